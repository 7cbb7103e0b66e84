"""What `goship dockerfile` needs to know about a Go module, read from the module itself.

The Go version is the one ``goship build`` would use, found the same way but without
installing anything: the ``go`` setting (goship.toml, GOSHIP_GO), else a pin
(GOSHIP_GO_VERSION, ``.go-version``, go.mod's toolchain line), else the Go on PATH when
go.mod's go line allows it, else the newest installed release of that go line.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from goship.config import Config, load_toolchain_settings
from goship.errors import BuildError, GoshipError
from goship.gobuild.build import module_path
from goship.gobuild.toolchain import find_toolchain
from goship.image.project import go_line_minimum
from goship.policy.generate import find_health_flag, uses_embed
from goship.toolchain.errors import NoVersionSelectedError, VersionSyntaxError
from goship.toolchain.layout import ToolchainHome
from goship.toolchain.select import Selection, SelectionSource, select_version
from goship.toolchain.versions import GoVersion, SpecKind, VersionSpec

# Directories whose Go files are not the module's own code: skipped when reading sources.
_NOT_SOURCES = {".git", ".goship", "vendor", "node_modules", "testdata"}
_PINS = {
    SelectionSource.ENVIRONMENT: "pinned by GOSHIP_GO_VERSION",
    SelectionSource.GO_VERSION_FILE: "pinned by {origin}",
    SelectionSource.GOMOD_TOOLCHAIN: "pinned by the toolchain line of {origin}",
}


@dataclass(frozen=True)
class GoChoice:
    version: str  # "1.25.5", or a minor line ("1.22") when no release is known here
    reason: str   # why, for the Dockerfile's header


@dataclass(frozen=True)
class ModuleFacts:
    module_path: str
    vendored: bool                   # vendor/modules.txt: build with -mod=vendor
    health_flag: str                 # "--healthcheck" when the main package defines one
    embeds: bool                     # some Go file has a //go:embed directive
    source_dirs: tuple[str, ...]     # top-level names holding Go files (kept in the context)

    @classmethod
    def from_directory(cls, module_dir: Path, package: str) -> ModuleFacts:
        package_dir = (module_dir / package).resolve()
        texts: list[str] = []
        package_texts: list[str] = []
        tops = {"vendor"} if (module_dir / "vendor").is_dir() else set()
        for path in _go_files(module_dir):
            text = path.read_text(encoding="utf-8", errors="replace")
            texts.append(text)
            tops.add(path.relative_to(module_dir).parts[0])
            if path.parent.resolve() == package_dir and not path.name.endswith("_test.go"):
                package_texts.append(text)
        return cls(
            module_path=module_path(module_dir),
            vendored=(module_dir / "vendor" / "modules.txt").is_file(),
            health_flag=find_health_flag(package_texts),
            embeds=uses_embed(texts),
            source_dirs=tuple(sorted(tops)),
        )


def _go_files(module_dir: Path) -> Iterator[Path]:
    for current, dirs, files in os.walk(module_dir):
        here = Path(current)
        dirs[:] = sorted(name for name in dirs if name not in _NOT_SOURCES
                         and not (here / name / "go.mod").exists())  # nested modules are others'
        yield from (here / name for name in sorted(files) if name.endswith(".go"))


def choose_go_version(config: Config) -> GoChoice:
    """The Go release the builder image should hold, and why."""
    search_path = config.env.get("PATH", "")
    setting = config.go
    if setting:
        try:
            named = VersionSpec.parse(setting).version  # a version, or else a path
        except VersionSyntaxError:
            named = None
        if named is not None:
            return GoChoice(named.number, "the go setting of goship.toml (or GOSHIP_GO)")
        toolchain = find_toolchain(setting, search_path=search_path, cache_dir=config.cache_dir)
        return GoChoice(toolchain.version.removeprefix("go"), f"the version of {toolchain.go}")
    settings = load_toolchain_settings(config.env)
    try:
        selection: Selection | None = select_version(
            config.module_dir, ToolchainHome.for_goship_home(config.home),
            env_version=settings.version_override)
    except NoVersionSelectedError:
        selection = None
    if selection is not None and selection.source in _PINS:
        reason = _PINS[selection.source].format(origin=selection.origin.name if selection.origin else "")
        spec = selection.spec
        if selection.version is not None:
            return GoChoice(selection.version.number, reason)
        if spec.version is not None and spec.kind is SpecKind.EXACT:
            return GoChoice(spec.version.number, reason)
        if spec.version is not None:
            return GoChoice(f"{spec.version.major}.{spec.version.minor}",
                            f"{reason}; the newest {spec.version.major}.{spec.version.minor}.x"
                            " (not installed here, so the tag names the minor line)")
    found = go_line_minimum(config.module_dir)
    minimum = found[1] if found is not None else None
    on_path = _go_on_path(search_path, config)
    if on_path is not None and (minimum is None or on_path >= minimum):
        allowed = f" (go.mod's go line asks for {minimum.number} or newer)" if minimum else ""
        return GoChoice(on_path.number, f"the Go on PATH{allowed}, as goship build would use")
    if selection is not None and selection.version is not None:
        return GoChoice(selection.version.number, "the newest installed Go that go.mod's go line allows")
    if minimum is not None:
        line = f"{minimum.major}.{minimum.minor}"
        return GoChoice(line, f"go.mod's go line asks for {minimum.number} or newer; the tag follows "
                              f"the newest {line}.x (pin a release with a .go-version file)")
    raise BuildError("no Go version to put in the builder image: no Go on PATH and nothing pins one",
                     "write a .go-version file (`goship go use 1.22 --project`), or give --builder REF")


def _go_on_path(search_path: str, config: Config) -> GoVersion | None:
    try:
        toolchain = find_toolchain(None, search_path=search_path, cache_dir=config.cache_dir)
        return GoVersion.from_name(toolchain.version.split(" ")[0].split("-")[0])
    except GoshipError:
        return None  # no Go, or a development build whose version names no release
