FROM golang:1.22.5-alpine AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=1.0.0" -o /out/queue .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/queue /queue
USR 65532:65532
ENTRYPOINT ["/queue",
CMD ['--workers', '4']
