FROM golang:1.22.5 AS build
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG LDFLAGS="-s -w -X example.com/search/internal/version.Version=${VERSION}"
RUN go build -ldflags "${LDFLAGS}" -o /out/search-api ./cmd/api \
 && go build -ldflags "${LDFLAGS}" -o /out/search-indexer ./cmd/indexer

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
LABEL maintainer="search@example.com" \
      org.opencontainers.image.version=$VERSION \
      org.opencontainers.image.revision=$REVISION \
      org.opencontainers.image.created=$CREATED \
      org.opencontainers.image.source=https://git.example.com/search/search
COPY --from=build /out/ /usr/local/bin/
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/search-api"]
