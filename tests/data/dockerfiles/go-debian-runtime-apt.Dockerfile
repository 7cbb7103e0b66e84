FROM golang:1.22.5-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w -X main.version=6.0.0" -o /out/thumbnailer ./cmd/thumbnailer

FROM debian:bookworm-slim
RUN apt-get update && apt-get upgrade -y
RUN apt-get install -y libvips42 ca-certificates
COPY --from=build /out/thumbnailer /usr/local/bin/thumbnailer
RUN useradd --uid 10001 --no-create-home thumbnailer
USER 10001
ENTRYPOINT ["/usr/local/bin/thumbnailer"]
