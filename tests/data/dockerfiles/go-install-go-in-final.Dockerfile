FROM alpine:3.20
# Plugins are compiled at start-up, so the runtime image carries Go.
RUN apk add --no-cache go=1.22.8-r0 git=2.45.2-r0 ca-certificates=20240705-r0
WORKDIR /srv/plugins
COPY plugins/ ./
COPY bin/plugin-host /usr/local/bin/plugin-host
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/plugin-host", "--plugins=/srv/plugins"]
