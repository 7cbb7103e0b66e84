FROM golang:1.21.13-bookworm AS build
WORKDIR /src
COPY go.* ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/scheduler .

FROM alpine:3.20
RUN apk add --no-cache tzdata \
 && addgroup -S scheduler && adduser -S -G scheduler scheduler
COPY --from=build /out/scheduler /app/scheduler
USER scheduler
ENTRYPOINT ["/app/scheduler"]
