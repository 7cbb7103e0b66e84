FROM golang:1.22.5-bookworm AS build
RUN wget -qO- https://github.com/bufbuild/buf/releases/download/v1.34.0/buf-Linux-x86_64.tar.gz | tar -xz -C /usr/local --strip-components 1
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN buf generate && go list ./... | grep -v /vendor/ | xargs go vet
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=1.0.0" -o /out/events ./cmd/events

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/events /events
USER 65532:65532
ENTRYPOINT ["/events"]
