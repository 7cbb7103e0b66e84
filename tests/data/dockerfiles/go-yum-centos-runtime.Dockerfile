FROM golang:1.22.5 AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w -X main.version=7.1.0" -o /out/printer .

FROM quay.io/centos/centos:stream9
RUN yum install cups-libs
RUN dnf -y install fontconfig-2.14.0 && dnf clean all
COPY --from=build /out/printer /usr/local/bin/printer
USER 1001
ENTRYPOINT ["/usr/local/bin/printer"]
