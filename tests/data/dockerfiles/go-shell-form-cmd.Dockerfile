FROM golang:1.22.5 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=0
RUN go build -trimpath -ldflags "-s -w -X main.version=1.0.0" -o /out/webhook ./cmd/webhook

FROM alpine:3.20.3
COPY --from=build /out/webhook /usr/bin/webhook
USER 65534:65534
ENTRYPOINT /usr/bin/webhook --listen :9000
CMD --verbose
