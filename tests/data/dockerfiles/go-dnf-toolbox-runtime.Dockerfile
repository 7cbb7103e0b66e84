FROM golang:1.22.5 AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=1.0.0" -o /out/diag ./cmd/diag

FROM registry.access.redhat.com/ubi9/ubi:9.4
RUN dnf install -y procps-ng iproute tcpdump \
 && dnf update -y
COPY --from=build /out/diag /usr/local/bin/diag
USER 1001
ENTRYPOINT ["/usr/local/bin/diag"]
