# hadolint global ignore=DL3059
FROM golang:1.22.5-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=2.2.0" -o /out/geo ./cmd/geo

FROM debian:bookworm-slim
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/geo /usr/local/bin/geo
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/geo"]
