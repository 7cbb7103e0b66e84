# syntax=docker/dockerfile:1.7
FROM golang:1.22.5-alpine AS build
WORKDIR /src
COPY . .
RUN <<EOF
set -eu
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=1.0.0" -o /out/cache .
EOF

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/cache /cache
COPY <<CONFIG /etc/cache.yaml
size: 512Mi
ttl: 10m
USER 65532:65532
ENTRYPOINT ["/cache"]
