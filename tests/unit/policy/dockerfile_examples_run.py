"""Examples for GS4xx (RUN hygiene) and GS5xx (secrets and the build context)."""

from __future__ import annotations

from .dockerfile_cases import GOOD, Case, builder, final

ALPINE = "alpine:3.20"
DEBIAN = "debian:12-slim"
UBI = "registry.access.redhat.com/ubi9/ubi-minimal:9.4"

CASES = [
    # GS401
    Case("GS401", "cache-kept", final("RUN apk add ca-certificates=1-r0", base=ALPINE), (14,)),
    Case("GS401", "no-cache", final("RUN apk --no-cache add ca-certificates=1-r0", base=ALPINE)),
    Case("GS401", "cache-removed", final("RUN apk add x=1 && rm -rf /var/cache/apk/*", base=ALPINE)),
    Case("GS401", "cache-mount", final("RUN --mount=type=cache,target=/var/cache/apk apk add x=1",
                                       base=ALPINE)),
    Case("GS401", "builder-stage-only", builder("RUN apk add git", "RUN CGO_ENABLED=0 go build .")),
    Case("GS401", "quoted-is-not-a-command", final('RUN echo "apk add curl"', base=ALPINE)),
    # GS402
    Case("GS402", "recommends", final("RUN apt-get install -y curl=7 && rm -rf /var/lib/apt/lists/*",
                                      base=DEBIAN), (14,)),
    Case("GS402", "no-recommends", final("RUN apt-get install -y --no-install-recommends curl=7",
                                         base=DEBIAN)),
    Case("GS402", "apt-option", final("RUN apt-get -o APT::Install-Recommends=false install -y curl=7",
                                      base=DEBIAN)),
    # GS403
    Case("GS403", "apt-get", builder("RUN apt-get install curl"), (7,)),
    Case("GS403", "yum", final("RUN yum install httpd-2.4 && yum clean all", base=UBI), (14,)),
    Case("GS403", "zypper", builder("RUN zypper install curl"), (7,)),
    Case("GS403", "yes-flags", builder("RUN apt-get install -qy curl && apt-get -y install git "
                                       "&& apt-get install -qq jq && dnf install --assumeyes x "
                                       "&& zypper -n install y && yes | apt-get install z")),
    Case("GS403", "microdnf-and-apk-never-ask", builder("RUN microdnf install x && apk add y")),
    # GS404
    Case("GS404", "lists-left", final("RUN apt-get update && apt-get install -y --no-install-recommends "
                                      "curl=7", base=DEBIAN), (14,)),
    Case("GS404", "lists-removed", final("RUN apt-get update && apt-get install -y "
                                         "--no-install-recommends curl=7 && rm -rf /var/lib/apt/lists/*",
                                         base=DEBIAN)),
    Case("GS404", "lists-cached", final("RUN --mount=type=cache,target=/var/lib/apt/lists apt-get update",
                                        base=DEBIAN)),
    Case("GS404", "builder-stage-only", builder("RUN apt-get update && apt-get install -y git")),
    # GS405
    Case("GS405", "apk", final("RUN apk add --no-cache curl", base=ALPINE), (14,)),
    Case("GS405", "apt", final("RUN apt-get install -y --no-install-recommends curl", base=DEBIAN), (14,)),
    Case("GS405", "dnf", final("RUN dnf install -y curl && dnf clean all", base=UBI), (14,)),
    Case("GS405", "pinned", final("RUN apk add --no-cache curl=8.9.1-r0 --virtual .deps && "
                                  "apt-get install -y --no-install-recommends jq=1.6 && "
                                  "dnf install -y tar-1.34 && dnf clean all", base=ALPINE)),
    Case("GS405", "redirect-is-not-a-package", final("RUN apk add --no-cache jq=1.7 >/dev/null 2>&1",
                                                     base=ALPINE)),
    # GS406
    Case("GS406", "no-clean", final("RUN microdnf install -y shadow-utils-4.9", base=UBI), (14,)),
    Case("GS406", "clean", final("RUN microdnf install -y shadow-utils-4.9 && microdnf clean all",
                                 base=UBI)),
    Case("GS406", "removed", final("RUN yum install -y x-1 && rm -rf /var/cache/yum", base=UBI)),
    # GS407
    Case("GS407", "apt-upgrade", final("RUN apt-get update && apt-get upgrade -y && rm -rf "
                                       "/var/lib/apt/lists/*", base=DEBIAN), (14,)),
    Case("GS407", "apk-upgrade", final("RUN apk upgrade --no-cache", base=ALPINE), (14,)),
    Case("GS407", "dnf-update-all", final("RUN dnf update -y && dnf clean all", base=UBI), (14,)),
    Case("GS407", "dnf-update-one-package", final("RUN dnf update -y openssl-3.0.7 && dnf clean all",
                                                  base=UBI)),
    # GS408
    Case("GS408", "pipe", builder("RUN wget -qO- https://example.com/x.tgz | tar -xz"), (7,)),
    Case("GS408", "set-pipefail", builder("RUN set -eux -o pipefail; wget -qO- https://e.com/x | tar -xz")),
    Case("GS408", "shell-pipefail", builder('SHELL ["/bin/ash", "-eo", "pipefail", "-c"]',
                                            "RUN wget -qO- https://example.com/x.tgz | tar -xz")),
    Case("GS408", "or-is-not-a-pipe", builder("RUN test -f x || echo 'a | b'")),
    Case("GS408", "powershell", final('SHELL ["powershell", "-Command"]', "RUN Get-Item x | Remove-Item",
                                      base="mcr.microsoft.com/windows/servercore:ltsc2022")),
    # GS409
    Case("GS409", "cd", builder("RUN cd /src/cmd && CGO_ENABLED=0 go build ."), (7,)),
    Case("GS409", "subshell", builder("RUN (cd /tmp && tar -xf x.tar)")),
    Case("GS409", "workdir", GOOD),
    # GS410
    Case("GS410", "sudo", builder("RUN sudo apk add --no-cache git"), (7,)),
    Case("GS410", "sudo-in-sh-c", builder("RUN sh -c 'sudo make install'"), (7,)),
    Case("GS410", "word-in-a-string", builder('RUN echo "no sudo here"')),
    # GS411
    Case("GS411", "apt", builder("RUN apt update && apt install -y git"), (7,)),
    Case("GS411", "apt-get-and-apt-cache", builder("RUN apt-get update && apt-cache policy git")),
    # GS501
    Case("GS501", "env-password", final("ENV DB_PASSWORD=hunter2"), (14,)),
    Case("GS501", "env-from-build-arg", final("ARG NPM_TOKEN", "ENV NPM_TOKEN=$NPM_TOKEN"), (15,)),
    Case("GS501", "arg-default", final("ARG API_KEY=abc123"), (14,)),
    Case("GS501", "url-password", builder("RUN git clone https://bot:p4ss@git.example.com/x.git"), (7,)),
    Case("GS501", "aws-key", final("ENV AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE"), (14,)),
    Case("GS501", "private-key-heredoc", final("COPY <<EOF /key", "-----BEGIN OPENSSH PRIVATE KEY-----",
                                               "b3BlbnNzaC1rZXktdjEAAAA", "EOF"), (14,)),
    Case("GS501", "pointers-and-public-keys", final("ENV DB_PASSWORD_FILE=/run/secrets/db "
                                                    "TOKEN_URL=https://auth.example.com/token "
                                                    "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D "
                                                    "PWD=/app SECRET_NAME=db")),
    Case("GS501", "empty", final('ENV API_TOKEN=""')),
    # GS502
    Case("GS502", "arg", final("ARG GITHUB_TOKEN"), (14,)),
    Case("GS502", "url-from-arg", builder("RUN git clone https://oauth2:${TOKEN}@git.example.com/x.git"),
         (7,)),
    Case("GS502", "secret-mount", builder("RUN --mount=type=secret,id=token TOKEN=$(cat /run/secrets/token) "
                                          "make")),
    Case("GS502", "ordinary-arg", final("ARG VERSION")),
    # GS503
    Case("GS503", "url", final("ADD https://example.com/tool /tool"), (14,)),
    Case("GS503", "git-branch", final("ADD https://github.com/org/repo.git#main /src"), (14,)),
    Case("GS503", "checksum", final("ADD --checksum=sha256:" + "a" * 64 + " https://example.com/t /t")),
    Case("GS503", "git-commit", final("ADD https://github.com/org/repo.git#" + "b" * 40 + " /src")),
    # GS504
    Case("GS504", "plain-file", final("ADD app.conf /etc/app.conf"), (14,)),
    Case("GS504", "zip-is-not-unpacked", final("ADD assets.zip /srv/"), (14,)),
    Case("GS504", "tarball", final("ADD rootfs.tar.xz /")),
    Case("GS504", "url-is-gs503", final("ADD https://example.com/a.txt /a")),
    # GS505
    Case("GS505", "curl-sh", builder("RUN curl -fsSL https://example.com/i.sh | sh -s -- -b /bin"), (7,)),
    Case("GS505", "sudo-bash", builder("RUN wget -qO- https://example.com/i.sh | sudo bash"), (7,)),
    Case("GS505", "command-substitution", builder('RUN sh -c "$(curl -fsSL https://example.com/i.sh)"'),
         (7,)),
    Case("GS505", "download-then-verify", builder(
        "RUN curl -fsSLo /tmp/i.sh https://example.com/i.sh && echo 'abc  /tmp/i.sh' | sha256sum -c "
        "&& sh /tmp/i.sh")),
    Case("GS505", "curl-into-tar",
         builder("RUN set -o pipefail && curl -fsSL https://e.com/x.tgz | tar -xz")),
    # GS506
    Case("GS506", "dotenv", final("COPY .env /app/.env"), (14,)),
    Case("GS506", "ssh-key", builder("COPY id_ed25519 /root/.ssh/", "RUN true"), (7,)),
    Case("GS506", "tls-key", final("COPY certs/server.key certs/server.crt /etc/tls/"), (14,)),
    Case("GS506", "npmrc", final("ADD .npmrc /root/"), (14,)),
    Case("GS506", "aws-credentials", final("COPY .aws/credentials /root/.aws/credentials"), (14,)),
    Case("GS506", "public-certificates", final("COPY certs/ca.pem certs/fullchain.pem id_rsa.pub "
                                               ".env.example /etc/app/")),
    Case("GS506", "from-a-stage", final("COPY --from=build /src/.env /app/.env")),
    # GS507: examples with files are linted from disk, next to their .dockerignore
    Case("GS507", "no-dockerignore", GOOD, (1,), files={"go.mod": "module x\n"}),
    Case("GS507", "git-not-excluded", GOOD, (1,), files={".dockerignore": "bin/\n*.md\n"}),
    Case("GS507", "git-included-again", GOOD, (1,), files={".dockerignore": ".git\n!.git\n"}),
    Case("GS507", "git-excluded", GOOD, files={".dockerignore": "# vcs\n/.git/\nbin\n"}),
    Case("GS507", "git-excluded-anywhere", GOOD, files={".dockerignore": "**/.git\n"}),
    Case("GS507", "everything-excluded-but-sources", GOOD, files={".dockerignore": "*\n!go.*\n!cmd\n"}),
    Case("GS507", "dockerfile-specific-file", GOOD, files={"Dockerfile.dockerignore": ".git\n"}),
    Case("GS507", "copies-nothing-from-context", "FROM alpine:3.20\nUSER 1\n", files={"x": ""}),
    Case("GS507", "text-without-a-place", GOOD),
]
