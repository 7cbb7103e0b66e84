# Multi-platform build: the compiler runs natively, GOOS/GOARCH pick the target.
FROM --platform=$BUILDPLATFORM golang:1.22.5-alpine AS build
ARG TARGETOS TARGETARCH
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/metrics-agent ./cmd/agent

FROM gcr.io/distroless/static-debian12:nonroot@sha256:3f2b64ef97bd285e36132c684e6b2ae8f2723293d09aae046196cca64251acac
ARG VERSION=dev
ARG REVISION
ARG CREATED
LABEL org.opencontainers.image.authors="observability@example.com"
LABEL org.opencontainers.image.version=$VERSION
LABEL org.opencontainers.image.revision=$REVISION
LABEL org.opencontainers.image.created=$CREATED
LABEL org.opencontainers.image.source=https://git.example.com/observability/metrics-agent
COPY --from=build /out/metrics-agent /metrics-agent
USER 65532:65532
ENTRYPOINT ["/metrics-agent"]
