ARG GO_VERSION
FROM golang:${GO_VERSION}-alpine AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=1.0.0" -o /out/ratelimiter .

FROM gcr.io/distroless/static-debian12:nonroot AS runtime
ARG RUNTIME_TAG=nonroot

FROM gcr.io/distroless/static-debian12:${RUNTIME_TAG}
COPY --from=build /out/ratelimiter /ratelimiter
USER 65532:65532
ENTRYPOINT ["/ratelimiter"]
