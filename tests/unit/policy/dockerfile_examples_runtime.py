"""Examples for GS3xx: how the final stage runs."""

from __future__ import annotations

from .dockerfile_cases import GOOD, Case, dockerfile, final

NANOSERVER = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
SERVERCORE = "mcr.microsoft.com/windows/servercore:ltsc2022"

CASES = [
    # GS301
    Case("GS301", "no-user", final('ENTRYPOINT ["/app"]', base="alpine:3.20"), (9,)),
    Case("GS301", "scratch", final('ENTRYPOINT ["/app"]', base="scratch"), (9,)),
    Case("GS301", "servercore", final('ENTRYPOINT ["app.exe"]', base=SERVERCORE), (9,)),
    Case("GS301", "user-in-parent-stage", "FROM alpine:3.20 AS base\nUSER 1000\nFROM base\n"),
    Case("GS301", "nonroot-base", final('ENTRYPOINT ["/app"]')),
    Case("GS301", "nanoserver-runs-as-containeruser", final('ENTRYPOINT ["app.exe"]', base=NANOSERVER)),
    Case("GS301", "only-builder-lacks-user", GOOD),
    # GS302
    Case("GS302", "root", final("USER 1000", "USER root", 'ENTRYPOINT ["/app"]'), (15,)),
    Case("GS302", "uid-0", final("USER 0:0"), (14,)),
    Case("GS302", "from-arg", final("ARG RUN_AS=root", "USER ${RUN_AS}"), (15,)),
    Case("GS302", "container-administrator", final("USER ContainerAdministrator", base=SERVERCORE),
         (14,)),
    Case("GS302", "root-then-back", final("USER root", "RUN true", "USER 10001")),
    Case("GS302", "root-in-builder-only", dockerfile("""
        FROM alpine:3.20 AS build
        USER root
        FROM scratch
        USER 10001
        """)),
    # GS303
    Case("GS303", "name", final("USER app"), (14,)),
    Case("GS303", "name-with-group", final("USER app:app"), (14,)),
    Case("GS303", "numeric", final("USER 10001:app")),
    Case("GS303", "numeric-from-arg", final("ARG UID=10001", "USER $UID")),
    Case("GS303", "windows-name", final("USER ContainerUser", base=NANOSERVER)),
    # GS304
    Case("GS304", "nothing-to-run", final("USER 65532"), (9,)),
    Case("GS304", "scratch", final("USER 65532", base="scratch"), (9,)),
    Case("GS304", "cmd-only", final("USER 65532", 'CMD ["/app"]')),
    Case("GS304", "app-base-brings-its-command", "FROM nginx:1.27-alpine\nUSER 101\n"),
    # GS305
    Case("GS305", "shell-cmd", final("USER 1", "CMD /app --port 80"), (15,)),
    Case("GS305", "shell-entrypoint", final("USER 1", "ENTRYPOINT /app"), (15,)),
    Case("GS305", "exec", GOOD),
    Case("GS305", "shell-healthcheck-is-fine", final("USER 1", 'ENTRYPOINT ["/app"]',
                                                     "HEALTHCHECK CMD /app health || exit 1")),
    Case("GS305", "builder-stage-cmd", "FROM alpine:3.20 AS tools\nCMD sh\nFROM scratch\n"),
    # GS306
    Case("GS306", "two-cmds", final('CMD ["a"]', 'CMD ["b"]'), (15,)),
    Case("GS306", "two-entrypoints", final('ENTRYPOINT ["a"]', 'ENTRYPOINT ["b"]'), (15,)),
    Case("GS306", "one-each", final('ENTRYPOINT ["/app"]', 'CMD ["serve"]')),
    Case("GS306", "one-per-stage", "FROM alpine:3.20 AS a\nCMD [\"a\"]\nFROM a\nCMD [\"b\"]\n"),
    # GS307
    Case("GS307", "alpine", final("USER 1", 'ENTRYPOINT ["/app"]', base="alpine:3.20"), (9,)),
    Case("GS307", "distroless", GOOD),
    Case("GS307", "scratch", final("USER 1", 'ENTRYPOINT ["/app"]', base="scratch")),
    Case("GS307", "explicit-none", final("HEALTHCHECK NONE", base="alpine:3.20")),
    Case("GS307", "present", final('HEALTHCHECK CMD ["/app", "health"]', base="alpine:3.20")),
    # GS308 / GS309
    Case("GS308", "ssh", final("EXPOSE 8080 22/tcp"), (14,)),
    Case("GS308", "range-with-22", final("EXPOSE 20-25"), (14,)),
    Case("GS308", "builder-stage", "FROM alpine:3.20 AS a\nEXPOSE 22\nFROM scratch\n"),
    Case("GS308", "http", final("EXPOSE 8080 2222")),
    Case("GS309", "too-big", final("EXPOSE 70000"), (14,)),
    Case("GS309", "zero", final("EXPOSE 0"), (14,)),
    Case("GS309", "protocol", final("EXPOSE 80/http"), (14,)),
    Case("GS309", "not-a-number", final("EXPOSE http"), (14,)),
    Case("GS309", "valid", final("EXPOSE 80 443/tcp 53/udp 8000-8010 ${PORT}")),
    # GS310
    Case("GS310", "relative", final("WORKDIR app"), (14,)),
    Case("GS310", "relative-in-builder", "FROM alpine:3.20\nWORKDIR src/app\n", (2,)),
    Case("GS310", "absolute", final("WORKDIR /app")),
    Case("GS310", "windows-drive", final("WORKDIR C:\\app", base=NANOSERVER)),
    Case("GS310", "variable", final("ENV HOME=/home/app", "WORKDIR $HOME/data")),
    # GS311
    Case("GS311", "maintainer", final("MAINTAINER Jane <jane@example.com>"), (14,)),
    Case("GS311", "label", GOOD),
    # GS312
    Case("GS312", "no-labels", final("USER 1", 'ENTRYPOINT ["/app"]', labels=False), (9,)),
    Case("GS312", "arg-not-declared-in-stage", dockerfile("""
        ARG VERSION=1.0
        FROM scratch
        LABEL org.opencontainers.image.version=$VERSION
        """), (3,), settings={"required_labels": ("org.opencontainers.image.version",)}),
    Case("GS312", "empty", 'FROM scratch\nLABEL org.opencontainers.image.version=""\n', (2,),
         settings={"required_labels": ("org.opencontainers.image.version",)}),
    Case("GS312", "arg-set-at-build-time", 'FROM scratch\nARG V\nLABEL org.opencontainers.image.version=$V\n',
         settings={"required_labels": ("org.opencontainers.image.version",)}),
    Case("GS312", "inherited-from-parent-stage", dockerfile("""
        FROM alpine:3.20 AS base
        LABEL team=payments
        FROM base
        """), settings={"required_labels": ("team",)}),
    Case("GS312", "none-required", "FROM scratch\n", settings={"required_labels": ()}),
    # GS313
    Case("GS313", "no-maintainer", 'FROM scratch\nLABEL org.opencontainers.image.version="1"\n', (1,)),
    Case("GS313", "authors", 'FROM scratch\nLABEL org.opencontainers.image.authors="a@example.com"\n'),
    Case("GS313", "maintainer", GOOD),
    # GS314
    Case("GS314", "windows-logs", final("WORKDIR C:\\app", "RUN mkdir C:\\app\\logs", base=NANOSERVER),
         (15,)),
    Case("GS314", "windows-volume", final("ENV LOG_DIR=C:\\app\\logs", "VOLUME C:\\app\\logs",
                                          base=NANOSERVER)),
    Case("GS314", "windows-stdout", final('ENTRYPOINT ["C:\\\\app\\\\app.exe"]', base=NANOSERVER)),
    Case("GS314", "linux-is-not-asked", final("RUN mkdir -p /var/app/logs", base="alpine:3.20")),
]
