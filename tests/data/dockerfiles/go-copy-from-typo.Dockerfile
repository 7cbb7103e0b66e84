FROM golang:1.22.5-alpine AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=1.1.0" -o /out/mailer ./cmd/mailer

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=biuld /out/mailer /mailer
COPY --from=3 /etc/ssl/certs /etc/ssl/certs
USER 65532:65532
ENTRYPOINT ["/mailer"]
