# escape=`
FROM golang:1.22.5-windowsservercore-ltsc2022 AS build
ENV CGO_ENABLED=0 GOOS=windows GOARCH=amd64
WORKDIR C:\src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=0.0.0
RUN go build -trimpath -ldflags "-s -w -X main.version=%VERSION%" -o C:\out\inventory.exe .\cmd\inventory

FROM mcr.microsoft.com/windows/nanoserver:ltsc2022@sha256:6c9a55b6ff4b2b55ee1e2ca2c3c9a1e5e2b86f8d7c1a6b4c9e3f2a1b0c9d8e7f
ARG VERSION=0.0.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL maintainer="dev-team@example.com" `
      org.opencontainers.image.version=$VERSION `
      org.opencontainers.image.revision=$REVISION `
      org.opencontainers.image.created=$CREATED `
      org.opencontainers.image.source="https://git.example.com/stores/inventory"
WORKDIR C:\app
COPY --from=build C:\out\inventory.exe C:\app\inventory.exe
VOLUME C:\app\logs
ENV LOG_DIR=C:\app\logs
USER ContainerUser
EXPOSE 8080
ENTRYPOINT ["C:\\app\\inventory.exe", "--log-dir", "C:\\app\\logs"]
