FROM golang:1.22.5-alpine AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=1.0.0" -o /out/worker .

FROM alpine:3.20.3
COPY --from=build /out/worker /usr/local/bin/worker
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/worker"]
CMD ["--queue", "default"]
ENTRYPOINT ["/usr/local/bin/worker", "--verbose"]
CMD ["--queue", "priority"]
