FROM registry.access.redhat.com/ubi9/go-toolset:1.21.13@sha256:4a7d2e4f5c7b8b2a0a1f2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7 AS build
USER 0
WORKDIR /opt/app-root/src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=1.0.0
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /tmp/billing ./cmd/billing

FROM registry.access.redhat.com/ubi9/ubi-minimal:9.4-1227@sha256:104cf11d890aeb7dd5728b7d7732e175a0e4018f1bb00d2faebcc8f6bf29bd52
ARG VERSION=1.0.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL maintainer="billing@example.com" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION" \
      org.opencontainers.image.created="$CREATED" \
      org.opencontainers.image.source="https://git.example.com/finance/billing"
RUN microdnf install -y --nodocs shadow-utils-4.9-9.el9 \
 && microdnf clean all \
 && useradd -l -u 1001 -r -g 0 -s /sbin/nologin billing
COPY --from=build /tmp/billing /usr/local/bin/billing
USER 1001:0
HEALTHCHECK CMD ["/usr/local/bin/billing", "health"]
ENTRYPOINT ["/usr/local/bin/billing"]
