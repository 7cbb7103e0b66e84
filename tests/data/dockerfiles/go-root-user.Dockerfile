FROM golang:1.22.5-alpine AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=2.0.0" -o /out/uploader ./cmd/uploader

FROM alpine:3.20
LABEL maintainer="storage@example.com"
RUN apk add --no-cache ca-certificates \
 && adduser -D -u 10001 uploader
COPY --from=build /out/uploader /usr/local/bin/uploader
USER 10001
# needs to bind port 80 and write /var/spool, so back to root
USER root
ENTRYPOINT ["/usr/local/bin/uploader"]
