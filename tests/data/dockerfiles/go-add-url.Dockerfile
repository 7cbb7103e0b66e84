FROM golang:1.22.5-alpine AS build
ADD https://github.com/grpc-ecosystem/grpc-health-probe/releases/download/v0.4.28/grpc_health_probe-linux-amd64 /bin/grpc_health_probe
ADD --checksum=sha256:24454f2b5aa4bbf2f11b54e0df0ad7be0ca1c2a1eacef0ae5a4ca4f5ce7e1e0b https://example.com/protoc-25.1-linux-x86_64.zip /tmp/protoc.zip
RUN chmod +x /bin/grpc_health_probe
WORKDIR /src
ADD . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=1.2.3" -o /out/profiles ./cmd/profiles

FROM alpine:3.20.3
ADD config/profiles.yaml /etc/profiles/profiles.yaml
ADD assets.tar.gz /usr/share/profiles/
COPY --from=build /bin/grpc_health_probe /bin/grpc_health_probe
COPY --from=build /out/profiles /usr/local/bin/profiles
USER 10001:10001
HEALTHCHECK CMD ["/bin/grpc_health_probe", "-addr=:9000"]
ENTRYPOINT ["/usr/local/bin/profiles"]
