"""GS2xx: how Go is built - reproducible flags, cgo, the version in the binary, and no Go
toolchain in the image that ships."""

from __future__ import annotations

import re
from collections.abc import Iterator

from goship.policy.dockerfile import Instruction, Stage
from goship.policy.dockerfile_rules.context import Check, LintContext, rule
from goship.policy.dockerfile_rules.packages import installed_packages
from goship.policy.dockerfile_rules.shell import SimpleCommand
from goship.policy.dockerfile_words import expand
from goship.policy.interface import Finding, Severity

_GO_PROGRAM = re.compile(r"^go(?:1\.[0-9.]+)?(?:\.exe)?$")
_GO_ARCHIVE = re.compile(r"(?:^|/)go1\.[0-9][0-9.]*[.-][a-z0-9.-]*\.(?:tar\.gz|zip)\b")
_GO_PACKAGES = re.compile(r"^(?:go|golang|golang-go|golang-[0-9.]+|golang-[0-9.]+-go|go[0-9.]+)$")
_UNPINNED_VERSIONS = frozenset({"latest", "master", "main", "head", "upgrade", "patch"})

TRIMPATH = rule(
    "GS201", Severity.WARNING, "go build without -trimpath",
    """Without -trimpath the binary records the paths of the build machine (/src, /go/pkg/mod,
    a developer's home), so two builds of the same commit differ and the image leaks its build
    layout. Add `-trimpath` to `go build`, or set `ENV GOFLAGS=-trimpath` in the builder
    stage.""",
)
CGO = rule(
    "GS202", Severity.WARNING, "go build does not set CGO_ENABLED",
    """With CGO_ENABLED unset, cgo is on whenever the builder has a C compiler, and packages
    such as net and os/user then link against the builder's libc: the binary fails on scratch,
    distroless/static or alpine, or behaves differently. Say what you mean: `ENV CGO_ENABLED=0`
    in the builder stage or `CGO_ENABLED=0 go build ...` (or `=1` with a libc runtime
    base).""",
)
VERSION = rule(
    "GS203", Severity.WARNING, "go build does not inject a version",
    """A service should report the version it was built from (`--version`, logs, metrics);
    the Go way is `-ldflags "-X main.version=${VERSION}"` with VERSION an ARG. Without it, an
    image cannot tell which release it runs. Add -X for the version (and commit) to
    -ldflags.""",
)
STRIP = rule(
    "GS204", Severity.INFO, "go build keeps the symbol table",
    """`-ldflags "-s -w"` drops the symbol table and DWARF data, which a production image does
    not need (panics still print stack traces), and makes the binary about a quarter smaller.
    Add -s -w to -ldflags, unless you debug inside containers.""",
)
TOOLCHAIN = rule(
    "GS205", Severity.ERROR, "Go toolchain in the final stage",
    """The shipped image must hold the compiled binary, not the Go toolchain: a golang base or
    an installed Go adds hundreds of megabytes and a compiler an attacker can use. Compile in
    a builder stage (`FROM golang:1.22 AS build`) and copy only the binary into a runtime base
    (`COPY --from=build /out/app /app`).""",
)
GO_INSTALL_PIN = rule(
    "GS206", Severity.WARNING, "go install of a tool without a version",
    """`go install example.com/tool` (or `@latest`) fetches whatever is newest when the image
    is built, so builds are not reproducible and a compromised release goes straight in. Name
    a version: `go install example.com/tool@v1.2.3`.""",
    ("DL3062",),
)
MODULE_CACHE = rule(
    "GS207", Severity.INFO, "source copied before the module download",
    """When the whole source is copied before `go build`, any source change invalidates the
    layer cache and every build downloads all modules again. Copy go.mod and go.sum first and
    run `go mod download`, then copy the rest; or build with
    `RUN --mount=type=cache,target=/go/pkg/mod`.""",
)


def _go_commands(context: LintContext, stages: tuple[Stage, ...] | None = None,
                 verbs: tuple[str, ...] = ("build",),
                 ) -> Iterator[tuple[Stage, Instruction, int, SimpleCommand]]:
    """(stage, RUN, index in its commands, effective command) of every ``go <verb>``."""
    for stage, instruction, commands in context.runs(stages or context.dockerfile.stages):
        for index, command in enumerate(commands):
            effective = command.effective()
            if _GO_PROGRAM.match(effective.program) and len(effective.words) > 1 \
                    and effective.words[1] in verbs:
                yield stage, instruction, index, effective


def _builds_service(command: SimpleCommand) -> bool:
    """``go build`` of anything, ``go install`` of local packages: the binaries that ship."""
    if command.words[1] == "build":
        return True
    packages = [word for word in command.words[2:] if not word.startswith("-")]
    return all(word.startswith((".", "/")) for word in packages)


def environment(context: LintContext, stage: Stage, instruction: Instruction, index: int,
                command: SimpleCommand, name: str) -> str | None:
    """The value ``name`` has in the environment of ``command``: its own ``NAME=x`` prefix, an
    earlier ``export`` or ``go env -w`` in the same RUN, or an ENV or ARG of the stage."""
    for key, value in command.assignments:
        if key == name:
            return value
    for earlier in reversed(context.commands(instruction)[:index]):
        words = earlier.effective().words
        setters = words[1:] if words[:1] in (("export",), ("set",)) else (
            words[3:] if words[:3] == ("go", "env", "-w") else ())
        for word in setters:
            key, equals, value = word.partition("=")
            if equals and key == name:
                return value
        if words and words[0].lower().startswith(f"$env:{name.lower()}"):
            return words[0].partition("=")[2] or (words[2] if len(words) > 2 else "")
    return context.dockerfile.values_at(stage, instruction.start_line).get(name)


def _option(words: tuple[str, ...], name: str) -> str | None:
    """The value of ``-name=value`` or ``-name value`` (also with ``--``), last one wins."""
    found = None
    for index, word in enumerate(words):
        flag, equals, value = word.lstrip("-").partition("=")
        if not word.startswith("-") or flag != name:
            continue
        if equals:
            found = value
        elif index + 1 < len(words):
            found = words[index + 1]
    return found


def _ldflags(context: LintContext, stage: Stage, instruction: Instruction, index: int,
             command: SimpleCommand) -> str | None:
    """The -ldflags of a go command, ARG/ENV references expanded; None when there are none.
    GOFLAGS may carry them too."""
    value = _option(command.words, "ldflags")
    if value is None:
        goflags = environment(context, stage, instruction, index, command, "GOFLAGS") or ""
        value = _option(tuple(goflags.split()), "ldflags")
    if value is None:
        return None
    values = context.dockerfile.values_at(stage, instruction.start_line)
    expanded = expand(value, values)
    return expanded.text if not expanded.missing else value


def check_trimpath(context: LintContext) -> Iterator[Finding]:
    for stage, instruction, index, command in _go_commands(context, verbs=("build", "install")):
        if not _builds_service(command) or any(word.lstrip("-").startswith("trimpath")
                                               for word in command.words):
            continue
        goflags = environment(context, stage, instruction, index, command, "GOFLAGS") or ""
        if "-trimpath" not in goflags:
            yield context.finding(TRIMPATH, instruction.start_line,
                                  f"'{' '.join(command.words[:2])}' in {stage.label()} has no "
                                  "-trimpath", "add -trimpath")


def check_cgo(context: LintContext) -> Iterator[Finding]:
    for stage, instruction, index, command in _go_commands(context, verbs=("build", "install")):
        if _builds_service(command) and environment(context, stage, instruction, index, command,
                                                    "CGO_ENABLED") is None:
            yield context.finding(CGO, instruction.start_line,
                                  f"'{' '.join(command.words[:2])}' in {stage.label()} runs with "
                                  "CGO_ENABLED unset", "set CGO_ENABLED=0 (or 1) explicitly")


def check_version(context: LintContext) -> Iterator[Finding]:
    for stage, instruction, index, command in _go_commands(context):
        ldflags = _ldflags(context, stage, instruction, index, command)
        if ldflags is None or ("$" not in ldflags and "-X" not in ldflags):
            yield context.finding(VERSION, instruction.start_line,
                                  f"'go build' in {stage.label()} sets no version with -ldflags -X",
                                  '-ldflags "-X main.version=${VERSION}"')


def check_strip(context: LintContext) -> Iterator[Finding]:
    for stage, instruction, index, command in _go_commands(context):
        ldflags = _ldflags(context, stage, instruction, index, command)
        if ldflags is None or ("$" not in ldflags and "-s" not in ldflags.split()):
            yield context.finding(STRIP, instruction.start_line,
                                  f"'go build' in {stage.label()} does not strip the binary",
                                  'add -ldflags "-s -w"')


def check_toolchain(context: LintContext) -> Iterator[Finding]:
    final = context.dockerfile.final_stage
    if final is None:
        return
    if context.is_builder(final):
        image = context.image(final)
        yield context.finding(TOOLCHAIN, final.line,
                              f"the final stage starts from {image.written if image else final.image}, "
                              "a Go toolchain image", "build in an earlier stage, ship a runtime base")
    for stage, instruction, commands in context.runs(context.final_lineage):
        for manager, packages in installed_packages(commands):
            go = [name for name in packages if _GO_PACKAGES.match(name.split("=")[0])]
            if go:
                yield context.finding(TOOLCHAIN, instruction.start_line,
                                      f"{stage.label()} installs Go ({manager} {' '.join(go)}) into "
                                      "the final image")
        if any(_GO_ARCHIVE.search(word) for command in commands for word in command.words):
            yield context.finding(TOOLCHAIN, instruction.start_line,
                                  f"{stage.label()} downloads a Go release into the final image")
    for stage in context.final_lineage:
        for instruction in stage.having("ADD", "COPY"):
            sources = instruction.arguments[:-1]
            if any(_GO_ARCHIVE.search(source) or source.rstrip("/").endswith("/usr/local/go")
                   for source in sources):
                yield context.finding(TOOLCHAIN, instruction.start_line,
                                      f"{instruction.keyword} puts a Go toolchain into the final image")


def _remote_package(word: str) -> bool:
    """``example.com/tool[@v1]``: a module path, whose first element has a dot."""
    first = word.split("/", 1)[0]
    return "/" in word and "." in first and not word.startswith((".", "/"))


def check_go_install_pin(context: LintContext) -> Iterator[Finding]:
    for stage, instruction, _, command in _go_commands(context, verbs=("install", "get", "run")):
        for word in command.words[2:]:
            if word.startswith("-"):
                continue
            version = word.partition("@")[2]
            if _remote_package(word) and (not version or version.lower() in _UNPINNED_VERSIONS):
                yield context.finding(GO_INSTALL_PIN, instruction.start_line,
                                      f"'go {command.words[1]} {word}' in {stage.label()} names no "
                                      "fixed version", f"write {word.partition('@')[0]}@vX.Y.Z")
            if command.words[1] == "run":
                break  # the words after the package are the program's arguments


def check_module_cache(context: LintContext) -> Iterator[Finding]:
    building = {stage.index for stage, instruction, index, command in _go_commands(context)
                if not _vendored(context, stage, instruction, index, command)}
    for stage in context.dockerfile.stages:
        if stage.index not in building or _caches_modules(stage):
            continue
        for instruction in stage.having("COPY", "ADD"):
            if instruction.flag("from") is not None:
                continue
            sources = [source.rstrip("/") for source in instruction.arguments[:-1]]
            if any(source.rsplit("/", 1)[-1].startswith("go.") for source in sources):
                break  # go.mod comes first: the download layer is cached
            if any(source in (".", "./", "") for source in sources):
                yield context.finding(MODULE_CACHE, instruction.start_line,
                                      f"{stage.label()} copies the whole source before go.mod "
                                      "and the module download",
                                      "COPY go.mod go.sum ./ and RUN go mod download first")
                break


def _vendored(context: LintContext, stage: Stage, instruction: Instruction, index: int,
              command: SimpleCommand) -> bool:
    """Whether the build uses vendor/: it comes with the source, nothing is downloaded."""
    goflags = environment(context, stage, instruction, index, command, "GOFLAGS") or ""
    return "-mod=vendor" in command.words or "-mod=vendor" in goflags.split()


def _caches_modules(stage: Stage) -> bool:
    return any("type=cache" in mount and "/pkg/mod" in mount
               for instruction in stage.having("RUN") for mount in instruction.flag_values("mount"))


CHECKS = (
    Check(TRIMPATH, check_trimpath),
    Check(CGO, check_cgo),
    Check(VERSION, check_version),
    Check(STRIP, check_strip),
    Check(TOOLCHAIN, check_toolchain),
    Check(GO_INSTALL_PIN, check_go_install_pin),
    Check(MODULE_CACHE, check_module_cache),
)
