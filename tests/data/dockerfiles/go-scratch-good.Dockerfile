ARG GO_VERSION=1.23.2
FROM golang:${GO_VERSION}-alpine3.20@sha256:9dd2625a1ff2859b8d8b01d8f7822c0f528942fe56cfe7a1e7c38d3b8d72d679 AS build
RUN apk add --no-cache ca-certificates tzdata
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=0.0.0
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/acme/ledger/internal/build.Version=${VERSION}" -o /ledger ./cmd/ledger \
 && echo 'ledger:x:10001:10001::/:/sbin/nologin' > /etc/passwd.ledger

FROM scratch
ARG VERSION=0.0.0
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
LABEL org.opencontainers.image.authors="platform@acme.example" \
      org.opencontainers.image.version=$VERSION \
      org.opencontainers.image.revision=$REVISION \
      org.opencontainers.image.created=$CREATED \
      org.opencontainers.image.source=https://github.com/acme/ledger
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
COPY --from=build /usr/share/zoneinfo /usr/share/zoneinfo
COPY --from=build /etc/passwd.ledger /etc/passwd
COPY --from=build /ledger /ledger
USER 10001:10001
ENTRYPOINT ["/ledger"]
CMD ["serve", "--addr=:8443"]
