FROM --platform=linux/amd64 golang:1.22.5-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=2.3.0" -o /out/exporter .

FROM --platform=linux/amd64 gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/exporter /exporter
USER 65532:65532
ENTRYPOINT ["/exporter"]
