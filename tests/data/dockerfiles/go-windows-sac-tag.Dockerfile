# escape=`
FROM golang:1.22.5-windowsservercore-1809 AS build
ENV CGO_ENABLED=0
WORKDIR C:\src
COPY . .
RUN go build -trimpath -ldflags "-s -w -X main.version=1.0.0" -o C:\out\kiosk.exe .

FROM mcr.microsoft.com/windows/nanoserver:1809
LABEL maintainer="retail@example.com"
WORKDIR C:\app
COPY --from=build C:\out\kiosk.exe .
USER ContainerUser
ENTRYPOINT ["C:\\app\\kiosk.exe"]
