FROM golang:alpine AS tools
RUN go install github.com/swaggo/swag/cmd/swag@latest \
 && go install golang.org/x/tools/cmd/stringer

FROM golang:1-bookworm AS build
COPY --from=tools /go/bin/ /usr/local/bin/
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go generate ./... \
 && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=5.5.0" -o /out/catalog ./cmd/catalog

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/catalog /catalog
USER 65532:65532
ENTRYPOINT ["/catalog"]
