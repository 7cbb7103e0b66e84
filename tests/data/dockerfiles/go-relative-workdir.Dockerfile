FROM golang:1.22.5-alpine AS build
WORKDIR go/src/github.com/acme/tracker
COPY . .
RUN cd cmd/tracker && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=1.0.0" -o /out/tracker

FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR app
COPY --from=build /out/tracker ./tracker
USER 65532:65532
ENTRYPOINT ["/app/tracker"]
