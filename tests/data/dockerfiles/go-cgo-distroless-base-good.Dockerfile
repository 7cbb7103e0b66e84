# cgo on purpose (sqlite): glibc builder, glibc runtime.
FROM golang:1.22.5-bookworm@sha256:af9b40f2b1851be993763b85288f8434af87b5678af04355b1e33ff530b5765f AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/notes ./cmd/notes

FROM gcr.io/distroless/base-debian12:nonroot@sha256:5a4d2d5f7b8e6a8c3a6d1f0c9b2e7a4d5c8f1e0b3a6d9c2f5e8b1a4d7c0f3e6a
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
LABEL maintainer="notes@example.com" \
      org.opencontainers.image.version=$VERSION \
      org.opencontainers.image.revision=$REVISION \
      org.opencontainers.image.created=$CREATED \
      org.opencontainers.image.source=https://git.example.com/tools/notes
COPY --from=build /out/notes /notes
USER 65532:65532
VOLUME /data
ENTRYPOINT ["/notes", "--db=/data/notes.db"]
