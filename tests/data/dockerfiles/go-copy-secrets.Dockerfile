FROM golang:1.22.5-bookworm AS build
WORKDIR /src
COPY .netrc /root/.netrc
COPY id_rsa /root/.ssh/id_rsa
RUN git config --global url."git@github.com:".insteadOf "https://github.com/"
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=0.9.0" -o /out/crawler .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/crawler /crawler
COPY .env /app/.env
COPY certs/server.key certs/server.crt /etc/crawler/tls/
COPY certs/ca.pem /etc/crawler/ca.pem
USER 65532:65532
ENTRYPOINT ["/crawler"]
