"""A Dockerfile and a .dockerignore that meet goship's image standard, for teams that keep
building with docker buildx, buildah or podman.

Pure: the caller gathers the facts (module, image, Go version, whether the module vendors,
whether its program has a health flag) and gets text back; nothing here reads files, the
environment or the network.

What the Dockerfile does, and why:

- every image is named by a global ARG with a pinned default (a digest when one was given),
  so a build is repeatable and still overridable with ``--build-arg``;
- the builder compiles for ``$TARGETOS/$TARGETARCH`` on ``$BUILDPLATFORM``: a multi-platform
  buildx build cross-compiles instead of emulating; ``GOTOOLCHAIN=local`` keeps Go from
  fetching another toolchain behind the pinned image's back;
- modules are downloaded in a layer of their own, before the source is copied, so editing
  code does not download again; the download lands in the layer (not a cache mount), so a
  layer cache imported from a registry is enough to build offline; only Go's compile cache
  is a cache mount, because an empty one costs time and never correctness;
- no ``# syntax=`` line: the frontend built into BuildKit, buildah and podman understands
  ``RUN --mount``, and the directive would make docker fetch a frontend image at every
  build on a machine without network;
- the final stage holds the binary alone, owned by and run as 65532, with the OCI labels
  filled from build args, exec-form ENTRYPOINT, EXPOSE for the configured ports, and a
  HEALTHCHECK run by the binary itself when it has a health flag (distroless and scratch
  have no shell or curl to run anything else); otherwise ``HEALTHCHECK NONE`` says so
  explicitly and leaves health to the orchestrator's probes.

Windows images are built by the classic Windows builder, which knows no ``--mount``,
``--chown`` or ``--platform``; their Dockerfile uses cmd for RUN and backticks as escape.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from goship.config import STATIC_BASE, Config, ImageSpec
from goship.gobuild.ldflags import DEFAULT_LDFLAGS, render

LINUX_BASE = "gcr.io/distroless/static-debian12:nonroot"
WINDOWS_BASE = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
BUILDER_FLAVOURS = ("bookworm", "alpine")  # `--builder alpine` picks golang:<version>-alpine
NONROOT = "65532:65532"
WINDOWS_USER = "ContainerUser"
_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
_HEALTH_FLAG = re.compile(
    r"\b(?:Bool|BoolVar|BoolP|BoolVarP|BoolFunc)\(\s*(?:&?[\w.]+\s*,\s*)?\"(health-?check|health)\"")
_SH_SPECIAL = re.compile(r'[\\"`$]')  # what sh still interprets between double quotes
_EMBED = re.compile(r"^//go:embed\s", re.MULTILINE)


@dataclass(frozen=True)
class DockerfileRequest:
    """Everything the Dockerfile depends on."""

    module_path: str                    # example.com/hello, for the header
    image: ImageSpec                    # name, package, ports, env, args, labels, data
    go_version: str                     # "1.25.5" (or a minor line, "1.22")
    go_version_reason: str = ""         # "go.mod's toolchain line", for the header
    windows: bool = False
    builder: str = ""                   # an image reference, a flavour, or "" for bookworm
    base: str = ""                      # an image reference, "scratch", or "" for the default
    vendored: bool = False              # vendor/modules.txt exists: build with -mod=vendor
    maintainer: str = ""
    source_url: str = ""                # default of the SOURCE build arg
    labels: tuple[tuple[str, str], ...] = ()
    ldflags: tuple[str, ...] = ()       # goship's templates; empty: DEFAULT_LDFLAGS
    go_flags: tuple[str, ...] = ()
    go_tags: tuple[str, ...] = ()
    go_env: tuple[tuple[str, str], ...] = ()
    health_flag: str = ""               # "--healthcheck" when the program answers one

    @classmethod
    def from_config(cls, config: Config, image: ImageSpec, *, module_path: str, go_version: str,
                    go_version_reason: str = "", windows: bool = False, builder: str = "",
                    base: str = "", vendored: bool = False, health_flag: str = "",
                    source_url: str = "") -> DockerfileRequest:
        """The request for ``image`` of a resolved Config; goship.toml's base is kept unless
        it is goship's own static base, which only goship can make (distroless is its twin).

        The standard wants a maintainer label: without goship.toml's ``maintainer`` the
        source repository stands for the team (its issues reach them), and with neither
        the label is left out, for ``goship lint`` to report rather than to be faked."""
        configured = config.windows_base if windows else config.base
        source_url = config.source_url or source_url
        return cls(
            module_path=module_path, image=image, go_version=go_version,
            go_version_reason=go_version_reason, windows=windows, builder=builder,
            base=base or ("" if configured == STATIC_BASE else configured), vendored=vendored,
            maintainer=config.maintainer or source_url, source_url=source_url,
            labels=config.labels, ldflags=config.ldflags, go_flags=config.go_flags,
            go_tags=config.go_tags, go_env=config.go_env, health_flag=health_flag,
        )

    @property
    def builder_image(self) -> str:
        if self.builder and self.builder not in BUILDER_FLAVOURS:
            return self.builder
        if self.windows:
            return f"golang:{self.go_version}-windowsservercore-ltsc2022"
        return f"golang:{self.go_version}-{self.builder or BUILDER_FLAVOURS[0]}"

    @property
    def base_image(self) -> str:
        return self.base or (WINDOWS_BASE if self.windows else LINUX_BASE)


@dataclass(frozen=True)
class _Shell:
    """How RUN lines of the builder refer to build args: sh on Linux, cmd on Windows."""

    windows: bool

    def arg(self, name: str) -> str:
        return f"%{name}%" if self.windows else f"${{{name}}}"

    def short_commit(self) -> str:
        return "%REVISION:~0,7%" if self.windows else '$(printf %.7s "${REVISION}")'


class _Recording(dict[str, str]):
    """The template values, remembering which fields a template used."""

    def __init__(self, values: Mapping[str, str]) -> None:
        super().__init__(values)
        self.used: set[str] = set()

    def __getitem__(self, field: str) -> str:
        self.used.add(field)
        return super().__getitem__(field)


class _ArgReferences(Mapping[str, str]):
    """``{{.Env.NAME}}`` of an ldflags template, read as the build arg NAME; remembers which."""

    def __init__(self, shell: _Shell) -> None:
        self._shell = shell
        self.used: list[str] = []

    def __getitem__(self, name: str) -> str:
        if name not in self.used:
            self.used.append(name)
        return self._shell.arg(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.used)

    def __len__(self) -> int:
        return len(self.used)


def find_health_flag(go_sources: Iterable[str]) -> str:
    """``--healthcheck`` (or ``--health``...) when the main package defines such a boolean
    flag with the flag package (or pflag): the binary can then be its own health check."""
    for text in go_sources:
        match = _HEALTH_FLAG.search(text)
        if match:
            return f"--{match.group(1)}"
    return ""


def uses_embed(go_sources: Iterable[str]) -> bool:
    """Whether any file embeds files (``//go:embed``): those files must stay in the context."""
    return any(_EMBED.search(text) for text in go_sources)


def _quote(value: str, windows: bool) -> str:
    """A double-quoted Dockerfile word (LABEL, ENV values), escaped with the file's escape
    character: a backslash, or a backtick under ``# escape=`` (Windows paths)."""
    escape = "`" if windows else "\\"
    return '"' + value.replace(escape, escape * 2).replace('"', escape + '"') + '"'


def _json_array(items: Iterable[str]) -> str:
    """Exec form: JSON, whatever the escape character."""
    return "[" + ", ".join(json.dumps(item) for item in items) + "]"


def _ldflags(request: DockerfileRequest, shell: _Shell) -> tuple[str, list[str]]:
    """The -ldflags value with goship's templates turned into build-arg references, and the
    extra build args ({{.Env.NAME}}) the builder stage must declare."""
    os_name = "windows" if request.windows else "${TARGETOS:-linux}"
    arch = "amd64" if request.windows else "${TARGETARCH:-$(go env GOARCH)}"
    values = _Recording({
        "Version": shell.arg("VERSION"), "Commit": shell.arg("REVISION"),
        "ShortCommit": shell.short_commit(), "Date": shell.arg("CREATED"),
        "Timestamp": shell.arg("SOURCE_DATE_EPOCH"), "Name": request.image.name,
        "Os": os_name, "Arch": arch,
    })
    references = _ArgReferences(shell)
    # The value goes between double quotes in sh: the user's text is escaped for them, the
    # inserted expressions ($VAR, $(...)) are not, so that sh expands them.
    templates = [item if request.windows else _SH_SPECIAL.sub(r"\\\g<0>", item)
                 for item in request.ldflags or DEFAULT_LDFLAGS]
    rendered = [render(item, values, references) for item in templates]
    # The commit time in seconds, as BuildKit reads it for reproducible timestamps too.
    epoch = ["SOURCE_DATE_EPOCH=0"] if "Timestamp" in values.used else []
    return " ".join(["-s", "-w", *rendered]), [*references.used, *epoch]


def _header(request: DockerfileRequest) -> list[str]:
    image = request.image
    lines = [
        f"# Dockerfile for {image.name} ({request.module_path}, package {image.package}),",
        "# written by `goship dockerfile` to meet goship's image standard (`goship lint`).",
    ]
    if request.go_version_reason:
        lines.append(f"# Go {request.go_version}: {request.go_version_reason}.")
    if request.windows:
        lines += [
            "# Build on a Windows host with Windows containers (PowerShell):",
            "#   docker build --build-arg VERSION=\"$(git describe --tags --dirty)\" `",
            "#     --build-arg REVISION=\"$(git rev-parse HEAD)\" `",
            "#     --build-arg CREATED=\"$(git log -1 --format=%cI)\" `",
            f"#     -t {image.name} .",
        ]
    else:
        lines += [
            "# Build with BuildKit (docker buildx, Docker 23+), buildah or podman:",
            "#   docker buildx build \\",
            '#     --build-arg VERSION="$(git describe --tags --dirty 2>/dev/null || echo 0.0.0-dev)" \\',
            '#     --build-arg REVISION="$(git rev-parse HEAD)" \\',
            '#     --build-arg CREATED="$(git log -1 --format=%cI)" \\',
            f"#     -t {image.name} .",
            "# Add --platform linux/amd64,linux/arm64 for several platforms: Go cross-compiles.",
        ]
    return [*lines, ""]


def _global_args(request: DockerfileRequest) -> list[str]:
    source = request.source_url or "unknown"
    return [
        "# Pinned images. To pin by digest: `goship dockerfile --force --builder REF@sha256:...`",
        "# (or --base), or --build-arg BUILDER_IMAGE=... at build time.",
        f"ARG BUILDER_IMAGE={request.builder_image}",
        f"ARG BASE_IMAGE={request.base_image}",
        "# Stamped into the binary and the org.opencontainers.image.* labels. Pass them: an",
        "# image built with these defaults fails `goship lint` (GS603), as it cannot be traced.",
        "ARG VERSION=0.0.0-dev",  # what goship build calls a tree outside git
        "ARG REVISION=unknown",
        "ARG CREATED=1970-01-01T00:00:00Z",
        f"ARG SOURCE={source}",
        "",
    ]


def _build_stage(request: DockerfileRequest) -> list[str]:
    shell = _Shell(request.windows)
    image = request.image
    ldflags, extra_args = _ldflags(request, shell)
    flags = list(request.go_flags)
    if request.go_tags:
        flags += ["-tags", ",".join(request.go_tags)]
    if request.vendored and not any(flag.startswith("-mod") for flag in flags):
        flags.append("-mod=vendor")
    env = [("CGO_ENABLED", "0"), ("GOTOOLCHAIN", "local"), *request.go_env]
    if request.windows:
        env += [("GOOS", "windows"), ("GOARCH", "amd64")]
    lines = [
        "FROM ${BUILDER_IMAGE} AS build" if request.windows
        else "FROM --platform=$BUILDPLATFORM ${BUILDER_IMAGE} AS build",
    ]
    if request.windows:
        lines.append('SHELL ["cmd", "/S", "/C"]')  # %VAR% expansion; golang's images default to PowerShell
    lines += [
        "ENV " + " ".join(f"{key}={_quote(value, request.windows)}" for key, value in env),
        "WORKDIR C:\\src" if request.windows else "WORKDIR /src",
    ]
    if request.vendored:  # GS207 asks for the download layer, which has nothing to do here
        lines += ["# goship ignore=GS207 reason=the module vendors its dependencies: nothing to download"]
    else:
        lines += [
            "# Dependencies first, in a layer of their own: reused until go.mod or go.sum change.",
            "COPY go.mod go.sum* ./",
            "RUN go mod download",
        ]
    lines.append("COPY . .")
    declared = ["VERSION", "REVISION", "CREATED", *extra_args]
    if not request.windows:
        declared = ["TARGETOS", "TARGETARCH", *declared]
    lines += [f"ARG {name}" for name in dict.fromkeys(declared)]  # a global ARG is seen only if named
    if request.windows:
        # Forward slashes: go takes them, and hadolint reads RUN as sh even under cmd, where
        # a backslash would escape the next letter.
        output = f"C:/out/{image.name}.exe"
        flag_text = "".join(f"{flag} " for flag in flags)
        lines.append(f'RUN go build -trimpath -ldflags "{ldflags}" {flag_text}-o {output} {image.package}')
    else:
        flag_text = "".join(f"{shlex.quote(flag)} " for flag in flags)
        lines += [
            "RUN --mount=type=cache,target=/root/.cache/go-build \\",
            "    GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \\",
            f'    go build -trimpath -ldflags="{ldflags}" {flag_text}\\',
            f"    -o /out/{image.name} {shlex.quote(image.package)}",
        ]
    return [*lines, ""]


def _labels(request: DockerfileRequest) -> list[str]:
    pairs = [
        ("org.opencontainers.image.title", request.image.name),
        ("org.opencontainers.image.version", "${VERSION}"),
        ("org.opencontainers.image.revision", "${REVISION}"),
        ("org.opencontainers.image.created", "${CREATED}"),
        ("org.opencontainers.image.source", "${SOURCE}"),
        ("org.opencontainers.image.base.name", "${BASE_IMAGE}"),
    ]
    if request.maintainer:
        pairs += [("org.opencontainers.image.authors", request.maintainer),
                  ("maintainer", request.maintainer)]
    pairs += [*request.labels, *request.image.labels]
    body = [f"{key}={_quote(value, request.windows)}" for key, value in dict(pairs).items()]
    continuation = " `\n      " if request.windows else " \\\n      "
    return ["LABEL " + continuation.join(body)]


def _final_stage(request: DockerfileRequest) -> list[str]:
    image = request.image
    windows = request.windows
    binary = f"C:\\app\\{image.name}.exe" if windows else f"/app/{image.name}"
    lines = ["FROM ${BASE_IMAGE}", "ARG BASE_IMAGE", "ARG VERSION", "ARG REVISION", "ARG CREATED",
             "ARG SOURCE", *_labels(request)]
    if image.env:
        lines.append("ENV " + " ".join(f"{key}={_quote(value, windows)}" for key, value in image.env))
    if windows:
        lines += ["WORKDIR C:\\app", f"COPY --from=build C:\\out\\{image.name}.exe {binary}"]
        if image.data_dir:
            lines.append(f"COPY {image.data_dir} C:\\app\\data")
        lines.append(f"USER {WINDOWS_USER}")
    else:
        if request.base_image == "scratch":
            lines += ["# scratch has no CA certificates: TLS clients need the builder's.",
                      f"COPY --from=build {_CA_BUNDLE} {_CA_BUNDLE}"]
        lines += ["WORKDIR /app", f"COPY --from=build --chown={NONROOT} /out/{image.name} {binary}"]
        if image.data_dir:
            lines.append(f"COPY --chown={NONROOT} {image.data_dir} /app/data")
        lines.append(f"USER {NONROOT}")
    if image.ports:
        lines.append("EXPOSE " + " ".join(str(port) for port in image.ports))
    if request.health_flag:
        lines.append("HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 "
                     f"CMD {_json_array([binary, request.health_flag])}")
    else:
        lines += [
            "# The base has no shell or HTTP client to probe with, and the program has no health",
            "# flag: health is left to the orchestrator (Kubernetes probes). Give the program a",
            "# --healthcheck flag and run `goship dockerfile --force` to get a HEALTHCHECK.",
            "HEALTHCHECK NONE",
        ]
    lines.append(f"ENTRYPOINT {_json_array([binary])}")
    if image.args:
        lines.append(f"CMD {_json_array(image.args)}")
    return lines


def render_dockerfile(request: DockerfileRequest) -> str:
    """The Dockerfile text for one image."""
    lines: list[str] = ["# escape=`"] if request.windows else []
    lines += [*_header(request), *_global_args(request), *_build_stage(request), *_final_stage(request)]
    return "\n".join(lines) + "\n"


_IGNORED = (
    ("", (".git", ".gitignore", ".goship", ".dockerignore", "Dockerfile*")),
    ("# build output and tools' work", ("bin", "dist", "out", "tmp", "*.test", "*.out", "coverage*",
                                        "node_modules")),
    ("# editors and systems", (".idea", ".vscode", "*.swp", "*~", "**/.DS_Store")),
    ("# secrets", (".env", ".env.*", "**/*.pem", "**/*.key", "**/*.p12", "**/*.pfx", "**/id_rsa*",
                   "**/id_ed25519*", ".netrc", ".npmrc", ".docker", ".aws", ".ssh", "**/*.tfstate*")),
)


def render_dockerignore(*, source_dirs: Iterable[str] = (), keep_markdown: bool = False) -> str:
    """What never belongs in the build context: VCS data, goship's work directory, build
    output, editor files and anything that looks like a secret. go.mod, go.sum, vendor/ and
    the sources stay: a top-level pattern that names one of ``source_dirs`` (top-level
    directories holding Go files, like a package called ``tmp``) is left out."""
    sources = list(source_dirs)
    lines = [
        "# Written by `goship dockerfile`: keeps the build context small and free of secrets.",
        "# A //go:embed of a file excluded here fails the build: add a `!path` line for it.",
    ]
    for comment, patterns in _IGNORED:
        kept = [pattern for pattern in patterns if pattern.startswith("**/")
                or not any(fnmatch.fnmatchcase(name, pattern) for name in sources)]
        lines += ([comment] if comment else []) + kept
    if not keep_markdown:
        lines += ["# documentation (kept when a Go file embeds files)", "**/*.md"]
    return "\n".join(lines) + "\n"
