"""Which Go version applies in a directory, and why.

First match wins:

1. GOSHIP_GO_VERSION (its value is passed in: the library reads no environment);
2. the nearest ``.go-version`` file, searching from the directory upwards;
3. the ``toolchain`` line of the nearest go.mod (exactly that release);
4. the ``go`` line of that go.mod, read as the minimum it is: the newest stable release of its
   minor line that is not older (``go 1.22.0`` is satisfied by go1.22.10);
5. the global version (the ``current`` link).

``use_global`` (current.py) and ``shell_lines`` (shell.py) are offered here too.

The spec is resolved against the installed versions; ``Selection.version`` is None when none
matches (the caller may offer to install it). The GOTOOLCHAIN value (passed in) and the go.mod
are checked for a switch to another version behind the user's back (see gotoolchain.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from goship.oci.filelock import write_atomic
from goship.toolchain.current import GlobalSwitch, read_global, use_global
from goship.toolchain.errors import InstallError, NoVersionSelectedError, VersionSyntaxError
from goship.toolchain.gotoolchain import GoModLines, parse_gomod, toolchain_warning
from goship.toolchain.installed import list_installed
from goship.toolchain.layout import ToolchainHome
from goship.toolchain.oserrors import write_failure
from goship.toolchain.shell import Shell, shell_lines
from goship.toolchain.versions import GoVersion, SpecKind, VersionSpec

__all__ = [  # the global link and the shell lines live in current.py and shell.py
    "GO_VERSION_FILE", "GlobalSwitch", "Selection", "SelectionSource", "Shell", "select_version",
    "shell_lines", "use_global", "write_project",
]

GO_VERSION_FILE = ".go-version"
GO_MOD = "go.mod"


class SelectionSource(Enum):
    ENVIRONMENT = "GOSHIP_GO_VERSION"
    GO_VERSION_FILE = ".go-version"
    GOMOD_TOOLCHAIN = "go.mod toolchain line"
    GOMOD_GO = "go.mod go line"
    GLOBAL = "global version"


@dataclass(frozen=True)
class Selection:
    spec: VersionSpec
    source: SelectionSource
    origin: Path | None  # the file that said so (None for GOSHIP_GO_VERSION)
    version: GoVersion | None  # the installed version the spec resolves to; None: not installed
    warning: str | None = None  # the go command would run another version (GOTOOLCHAIN)

    @property
    def installed(self) -> bool:
        return self.version is not None


def select_version(directory: Path, home: ToolchainHome, *, env_version: str | None = None,
                   gotoolchain: str | None = None) -> Selection:
    """The version that applies in ``directory``; NoVersionSelectedError when nothing says."""
    directory = directory.resolve()
    gomod = _nearest_gomod(directory)
    spec, source, origin = _choose(directory, home, env_version, gomod)
    installed = [item.version for item in list_installed(home)]
    version = spec.pick(installed)
    concrete = version or (spec.version if spec.kind is SpecKind.EXACT else None)
    warning = toolchain_warning(concrete, gotoolchain, gomod) if concrete is not None else None
    return Selection(spec, source, origin, version, warning)


def _choose(directory: Path, home: ToolchainHome, env_version: str | None,
            gomod: GoModLines | None) -> tuple[VersionSpec, SelectionSource, Path | None]:
    if env_version and env_version.strip():
        return _spec(env_version, "GOSHIP_GO_VERSION"), SelectionSource.ENVIRONMENT, None
    version_file = _nearest(directory, GO_VERSION_FILE)
    if version_file is not None:
        return _read_version_file(version_file), SelectionSource.GO_VERSION_FILE, version_file
    if gomod is not None and gomod.toolchain is not None:
        return VersionSpec(SpecKind.EXACT, gomod.toolchain), SelectionSource.GOMOD_TOOLCHAIN, gomod.path
    if gomod is not None and gomod.go is not None:
        return VersionSpec.at_least(gomod.go), SelectionSource.GOMOD_GO, gomod.path
    current = read_global(home)
    if current is not None:
        return VersionSpec(SpecKind.EXACT, current), SelectionSource.GLOBAL, home.current_link
    raise NoVersionSelectedError(
        f"no Go version is selected for {directory}",
        "set a global version, write a .go-version file in the project, or give the go.mod a go line",
    )


def _spec(text: str, where: str) -> VersionSpec:
    try:
        return VersionSpec.parse(text)
    except VersionSyntaxError as exc:
        raise VersionSyntaxError(f"{where}: {exc.message}", exc.hint) from exc


def _read_version_file(path: Path) -> VersionSpec:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise VersionSyntaxError(f"cannot read {path}: {exc}",
                                 "make it a text file naming a Go version") from exc
    lines = [line.strip() for line in text.splitlines()]
    wanted = next((line for line in lines if line and not line.startswith("#")), "")
    if not wanted:
        raise VersionSyntaxError(f"{path} names no Go version", "write a version such as 1.22.10 into it")
    return _spec(wanted, str(path))


def _parents(directory: Path) -> Iterator[Path]:
    yield directory
    yield from directory.parents


def _nearest(directory: Path, name: str) -> Path | None:
    for folder in _parents(directory):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def _nearest_gomod(directory: Path) -> GoModLines | None:
    path = _nearest(directory, GO_MOD)
    if path is None:
        return None
    try:
        return parse_gomod(path.read_text(encoding="utf-8"), path)
    except (OSError, UnicodeDecodeError):
        return None


def write_project(directory: Path, version: GoVersion | VersionSpec) -> Path:
    """Pin ``directory`` (a project) to ``version`` with a ``.go-version`` file; returns it."""
    if isinstance(version, VersionSpec):
        if version.kind not in (SpecKind.EXACT, SpecKind.MINOR) or version.version is None:
            raise VersionSyntaxError(f"cannot pin a project to '{version}'",
                                     "pin a release (1.22.10) or a minor line (1.22)")
        text = version.version.number
    else:
        text = version.number
    path = directory / GO_VERSION_FILE
    try:
        write_atomic(path, (text + "\n").encode())
    except OSError as exc:
        error: InstallError = write_failure(f"writing {path}", path, exc, "the project is not pinned")
        raise error from exc
    return path
