# syntax=docker/dockerfile:1.7
FROM golang:1.23.1-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN <<EOF
#!/bin/sh
set -eu
export CGO_ENABLED=0
go vet ./...
go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/gateway ./cmd/gateway
EOF

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG REVISION
ARG CREATED
LABEL maintainer="edge@example.com" \
      org.opencontainers.image.version=${VERSION} \
      org.opencontainers.image.revision=${REVISION} \
      org.opencontainers.image.created=${CREATED} \
      org.opencontainers.image.source=https://git.example.com/edge/gateway
COPY --from=build /out/gateway /gateway
COPY <<EOF /etc/gateway/config.yaml
listen: ":8080"
log_format: json
EOF
USER 65532:65532
ENTRYPOINT ["/gateway", "--config=/etc/gateway/config.yaml"]
