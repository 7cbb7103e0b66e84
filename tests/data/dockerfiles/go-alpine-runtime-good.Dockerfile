FROM golang:1.22.6-alpine3.20 AS builder
WORKDIR /build
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION
ARG GIT_SHA
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
    -ldflags "-s -w -X main.Version=${VERSION} -X main.GitSHA=${GIT_SHA}" \
    -o /usr/local/bin/notifier ./cmd/notifier

FROM alpine:3.20.3@sha256:1e42bbe2508154c9126d48c2b8a75420c3544343bf86fd041fb7527e017a4b4a
ARG VERSION
ARG GIT_SHA
ARG BUILD_DATE
LABEL maintainer="messaging@example.com" \
      org.opencontainers.image.created=$BUILD_DATE \
      org.opencontainers.image.version=$VERSION \
      org.opencontainers.image.revision=$GIT_SHA \
      org.opencontainers.image.source="https://git.example.com/messaging/notifier"
RUN apk add --no-cache ca-certificates=20240705-r0 tzdata=2024b-r0 \
 && addgroup -g 10001 -S notifier \
 && adduser -u 10001 -S -G notifier -H notifier
COPY --from=builder /usr/local/bin/notifier /usr/local/bin/notifier
USER 10001:10001
EXPOSE 9090
HEALTHCHECK --interval=30s --timeout=3s --retries=3 CMD ["/usr/local/bin/notifier", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/notifier"]
