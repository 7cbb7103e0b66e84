FROM golang:1.22.5-bookworm AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=0.3.0" -o /out/legacy-bridge .

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssh-server \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir /run/sshd
COPY --from=build /out/legacy-bridge /usr/local/bin/legacy-bridge
EXPOSE 22 8080
CMD ["/usr/sbin/sshd", "-D"]
