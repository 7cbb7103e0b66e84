FROM golang:1.22.5-alpine AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=1.0.0" -o /out/quotes .

FROM alpine:3.20.3
MAINTAINER Jane Doe <jane@example.com>
COPY --from=build /out/quotes /usr/local/bin/quotes
USER 65534
ENTRYPOINT ["/usr/local/bin/quotes"]
