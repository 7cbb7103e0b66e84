# syntax=docker/dockerfile:1.7
# The reference Go service image: everything the image standard asks for.
ARG GO_VERSION=1.22.5

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm@sha256:8e5c4b4bd1e1a4c2e1b0f5f4d6b4e3d6a1c5b7e2f9d8c7b6a5f4e3d2c1b0a9f8 AS build
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
ARG COMMIT=unknown
ENV CGO_ENABLED=0
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath \
      -ldflags="-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/orders ./cmd/orders

FROM gcr.io/distroless/static-debian12:nonroot@sha256:3f2b64ef97bd285e36132c684e6b2ae8f2723293d09aae046196cca64251acac
ARG VERSION=dev
ARG COMMIT=unknown
ARG CREATED
LABEL maintainer="orders-team@example.com" \
      org.opencontainers.image.title="orders" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.source="https://git.example.com/shop/orders"
COPY --from=build /out/orders /orders
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/orders"]
