"""Examples for GS0xx (the file), GS1xx (FROM and stages) and GS2xx (Go build)."""

from __future__ import annotations

from .dockerfile_cases import BUILDER, DIGEST, GOOD, RUNTIME, Case, builder, dockerfile, final

CASES = [
    # GS001: what Docker cannot read
    Case("GS001", "unknown-instruction", "FROM alpine:3.20\nFOO bar\nUSER 1000\n", (2,)),
    Case("GS001", "broken-json", final('CMD ["/app",'), (14,)),
    Case("GS001", "single-quoted-json", final("ENTRYPOINT ['/app']"), (14,)),
    Case("GS001", "unknown-flag", final("COPY --chwon=1 a /a"), (14,)),
    Case("GS001", "unclosed-heredoc", "FROM alpine:3.20\nRUN <<EOF\necho hi\n", (2,)),
    Case("GS001", "continuation-at-end", "FROM alpine:3.20\nRUN echo hi \\\n", (2,)),
    Case("GS001", "empty", "", (1,)),
    Case("GS001", "not-a-dockerfile", "hello world\nthis is prose\n", (1,)),
    Case("GS001", "shell-test-is-not-json", final('RUN [ -f /etc/os-release ] && echo "[1, 2]"'), ()),
    Case("GS001", "good", GOOD),
    # GS002 / GS003: inline ignores
    Case("GS002", "no-reason", "# goship ignore=GS104\n" + GOOD, (1,)),
    Case("GS002", "with-reason", "# goship ignore=GS104 reason=pinned by the release job\n" + GOOD),
    Case("GS003", "unknown-rule", "# goship ignore=GS999 reason=typo\n" + GOOD, (1,)),
    Case("GS003", "image-rule-id", "# goship ignore-file=GS601 reason=wrong family\n" + GOOD, (1,)),
    Case("GS003", "known-rule", "# goship ignore=GS104 reason=pinned by the release job\n" + GOOD),
    # GS101
    Case("GS101", "run-before-from", "RUN echo hi\n" + GOOD, (1,)),
    Case("GS101", "no-from-at-all", "ARG A=1\n", (1,)),
    Case("GS101", "arg-before-from", "ARG GO=1.22\n" + GOOD),
    # GS102 / GS103 / GS104: tags and digests, on FROM and on COPY --from=image
    Case("GS102", "untagged", "FROM alpine\nUSER 1\n", (1,)),
    Case("GS102", "untagged-copy-from", final("COPY --from=docker.io/org/tool /tool /tool"), (14,)),
    Case("GS102", "digest-only", f"FROM alpine@{DIGEST}\n"),
    Case("GS102", "tagged", "FROM alpine:3.20\n"),
    Case("GS103", "latest", "FROM golang:latest AS build\nFROM alpine:latest\n", (1, 2)),
    Case("GS103", "latest-with-digest", f"FROM alpine:latest@{DIGEST}\n"),
    Case("GS103", "version", "FROM alpine:3.20\n"),
    Case("GS104", "tag-only", "FROM alpine:3.20\n", (1,)),
    Case("GS104", "scratch-and-stages", f"FROM alpine:3.20@{DIGEST} AS a\nFROM a\nFROM scratch\n"),
    # GS105
    Case("GS105", "docker-hub", "FROM alpine:3.20\n", (1,),
         settings={"allowed_registries": ("registry.example.com",)}),
    Case("GS105", "mirror", "FROM registry.example.com/mirror/alpine:3.20\n",
         settings={"allowed_registries": ("registry.example.com", "*.azurecr.io")}),
    Case("GS105", "no-list-means-any", "FROM quay.io/org/app:1.0\n"),
    # GS106
    Case("GS106", "debian-final", final("USER 1", base="debian:12"), (9,)),
    Case("GS106", "through-a-stage", "FROM ubuntu:24.04 AS base\nFROM base\n", (2,)),
    Case("GS106", "sac-windows", "FROM mcr.microsoft.com/windows/nanoserver:1809\n", (1,)),
    Case("GS106", "custom-allowed", "FROM debian:12\n", settings={"allowed_bases": ("debian:*",)}),
    Case("GS106", "scratch", final("USER 1", base="scratch")),
    Case("GS106", "ltsc-windows", "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\n"),
    Case("GS106", "distroless", GOOD),
    # GS107
    Case("GS107", "duplicate", f"FROM {BUILDER} AS build\nFROM {BUILDER} AS Build\nFROM {RUNTIME}\n",
         (2,)),
    Case("GS107", "unique", GOOD),
    # GS108
    Case("GS108", "typo", final("COPY --from=biuld /out/app /app"), (14,)),
    Case("GS108", "self", "FROM alpine:3.20 AS a\nCOPY --from=a /x /y\n", (2,)),
    Case("GS108", "later-stage", "FROM alpine:3.20 AS a\nCOPY --from=b /x /y\nFROM alpine:3.20 AS b\n",
         (2,)),
    Case("GS108", "missing-number", "FROM alpine:3.20\nCOPY --from=1 /x /y\n", (2,)),
    Case("GS108", "image-reference", final("COPY --from=ghcr.io/org/tool:1.2 /tool /tool")),
    Case("GS108", "stage-number", "FROM alpine:3.20\nFROM scratch\nCOPY --from=0 /x /y\n"),
    Case("GS108", "good", GOOD),
    # GS109
    Case("GS109", "fixed", "FROM --platform=linux/amd64 alpine:3.20\n", (1,)),
    Case("GS109", "buildplatform", f"FROM --platform=$BUILDPLATFORM {BUILDER}\n"),
    # GS110
    Case("GS110", "no-go-release", "FROM golang:alpine AS a\nFROM golang:1-bookworm AS b\n", (1, 2)),
    Case("GS110", "minor", "FROM golang:1.22-alpine AS a\nFROM golang:1.23.1 AS b\n"),
    Case("GS110", "custom-builder", "FROM ghcr.io/acme/go:stable\n", (1,),
         settings={"builder_images": ("ghcr.io/acme/go:*",)}),
    # GS111
    Case("GS111", "arg-without-value", "ARG GO_VERSION\nFROM golang:${GO_VERSION}-alpine\n", (2,)),
    Case("GS111", "arg-declared-too-late", "FROM alpine:3.20\nARG TAG=3.20\nFROM alpine:${TAG}\n",
         (3,)),
    Case("GS111", "invalid-reference", "FROM Alpine:3.20\n", (1,)),
    Case("GS111", "build-arg-given", "ARG GO_VERSION\nFROM golang:${GO_VERSION}-alpine\n",
         build_args={"GO_VERSION": "1.22.5"}),
    Case("GS111", "default", "ARG GO_VERSION=1.22.5\nFROM golang:${GO_VERSION:-1.22}-alpine\n"),
    Case("GS111", "platform-arg", "FROM --platform=$BUILDPLATFORM alpine:3.20\nFROM ${TARGETOS}-base\n"),
    # GS201
    Case("GS201", "no-trimpath", builder('RUN CGO_ENABLED=0 go build -ldflags "-X main.v=1" .'), (7,)),
    Case("GS201", "goflags", builder("ENV GOFLAGS=-trimpath",
                                     'RUN CGO_ENABLED=0 go build -ldflags "-s -w -X m.v=1" .')),
    Case("GS201", "remote-tool", builder("RUN go install golang.org/x/tools/cmd/stringer@v0.24.0")),
    # GS202
    Case("GS202", "unset", builder('RUN go build -trimpath -ldflags "-s -w -X main.v=1" -o /app .'), (7,)),
    Case("GS202", "env", builder("ENV CGO_ENABLED=0",
                                 'RUN go build -trimpath -ldflags "-s -w -X main.v=1" -o /app .')),
    Case("GS202", "export",
         builder('RUN export CGO_ENABLED=0 && go build -trimpath -ldflags "-s -w -X m.v=1" .')),
    Case("GS202", "env-wrapper",
         builder('RUN env CGO_ENABLED=1 go build -trimpath -ldflags "-s -w -X m.v=1" .')),
    Case("GS202", "arg-default", builder("ARG CGO_ENABLED=0",
                                         'RUN go build -trimpath -ldflags "-s -w -X m.v=1" .')),
    Case("GS202", "arg-without-value", builder("ARG CGO_ENABLED",
                                               'RUN go build -trimpath -ldflags "-s -w -X m.v=1" .'), (8,)),
    # GS203 / GS204
    Case("GS203", "no-ldflags", builder("RUN CGO_ENABLED=0 go build -trimpath -o /app ."), (7,)),
    Case("GS203", "ldflags-without-x",
         builder('RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" .'), (7,)),
    Case("GS203", "ldflags-from-arg", builder('ARG LDFLAGS="-s -w -X main.version=1"',
                                              'RUN CGO_ENABLED=0 go build -trimpath -ldflags "$LDFLAGS" .')),
    Case("GS203", "unknown-variable", builder('RUN CGO_ENABLED=0 go build -trimpath -ldflags "$FLAGS" .')),
    Case("GS204", "not-stripped",
         builder('RUN CGO_ENABLED=0 go build -trimpath -ldflags "-X m.v=1" .'), (7,)),
    Case("GS204", "stripped", GOOD),
    # GS205
    Case("GS205", "golang-final", "FROM golang:1.22.5\nUSER 1\n", (1,)),
    Case("GS205", "final-from-builder-stage", f"FROM {BUILDER} AS build\nFROM build\n", (2,)),
    Case("GS205", "apk-add-go", final("RUN apk add --no-cache go", base="alpine:3.20"), (14,)),
    Case("GS205", "go-archive", final("ADD https://go.dev/dl/go1.22.5.linux-amd64.tar.gz /tmp/",
                                      base="alpine:3.20"), (14,)),
    Case("GS205", "copy-goroot", final("COPY --from=build /usr/local/go /usr/local/go"), (14,)),
    Case("GS205", "builder-only", GOOD),
    Case("GS205", "gopher-package", final("RUN apk add --no-cache gopass", base="alpine:3.20")),
    # GS206
    Case("GS206", "latest", builder("RUN go install github.com/swaggo/swag/cmd/swag@latest"), (7,)),
    Case("GS206", "no-version", builder("RUN go install golang.org/x/tools/cmd/stringer"), (7,)),
    Case("GS206", "go-run-remote", builder("RUN go run github.com/a/gen"), (7,)),
    Case("GS206", "pinned", builder("RUN go install golang.org/x/tools/cmd/stringer@v0.24.0")),
    Case("GS206", "local", builder("RUN go run ./cmd/gen main.go && go install ./...")),
    # GS207
    Case("GS207", "source-first", dockerfile(f"""
        FROM {BUILDER} AS build
        WORKDIR /src
        COPY . .
        RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X m.v=1" -o /out/app .
        """), (3,)),
    Case("GS207", "go-mod-first", GOOD),
    Case("GS207", "vendored", dockerfile(f"""
        FROM {BUILDER} AS build
        COPY . .
        RUN CGO_ENABLED=0 go build -mod=vendor -trimpath -o /out/app .
        """)),
    Case("GS207", "cache-mount", dockerfile(f"""
        FROM {BUILDER} AS build
        COPY . .
        RUN --mount=type=cache,target=/go/pkg/mod CGO_ENABLED=0 go build -trimpath .
        """)),
]
