FROM golang:1.22.5-bookworm AS build
RUN curl -sSfL https://raw.githubusercontent.com/golangci/golangci-lint/master/install.sh | sh -s -- -b /usr/local/bin v1.59.1
RUN curl -fsSL https://downloads.example.com/setup_20.x | bash -
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN golangci-lint run ./... \
 && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=4.0.1" -o /out/reports ./cmd/reports

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/reports /reports
USER 65532:65532
ENTRYPOINT ["/reports"]
