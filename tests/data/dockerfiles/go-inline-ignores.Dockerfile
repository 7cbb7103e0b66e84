# goship ignore-file=GS104 reason=digests are pinned by the release pipeline, not in git
FROM golang:1.22.5-alpine AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# goship ignore=GS203 reason=version comes from debug.ReadBuildInfo at run time
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/shortener .

FROM alpine:3.20.3
LABEL maintainer="links@example.com"
# goship ignore=GS405
RUN apk add --no-cache ca-certificates
# goship ignore=GS404,GS999 reason=left over from the debian days
COPY --from=build /out/shortener /usr/local/bin/shortener
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/shortener"]
