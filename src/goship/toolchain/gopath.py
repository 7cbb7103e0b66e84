"""Per-version GOPATH: each managed Go version keeps its own module cache and installed tools.

Modules and tools built by one Go release are not always usable by another (``go install``d
linters are the usual casualty), so teams that keep several versions may want one GOPATH per
version. Go 1.21 and newer read defaults from ``$GOROOT/go.env``, below the environment and
``go env -w``; goship writes ``GOPATH=<home>/gopath/goX.Y.Z`` there for every managed version,
so the ``go`` found through the ``current`` link or a ``go1.X.Y`` launcher uses its own GOPATH
with no wrapper process. Versions before 1.21 do not read go.env: for them the setting takes
effect only through the shell lines (``goship go use V --shell``).

The choice is kept in ``<home>/gopath.mode`` so that later installs follow it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from goship.oci.filelock import write_atomic
from goship.toolchain.layout import ToolchainHome
from goship.toolchain.oserrors import write_failure
from goship.toolchain.versions import GoVersion

PER_VERSION = "per-version"
SHARED = "shared"
MODES = (PER_VERSION, SHARED)
_MARK = "# goship: per-version GOPATH (goship go env --gopath shared removes it)"
_FIRST_GO_ENV_RELEASE = GoVersion(1, 21, 0)


def mode_file(home: ToolchainHome) -> Path:
    return home.root / "gopath.mode"


def per_version(home: ToolchainHome) -> bool:
    try:
        return mode_file(home).read_text(encoding="utf-8").strip() == PER_VERSION
    except OSError:
        return False


def gopath_for(home: ToolchainHome, version: GoVersion) -> Path:
    return home.root / "gopath" / version.name


def reads_go_env(version: GoVersion) -> bool:
    """Whether this release reads $GOROOT/go.env (Go 1.21 and newer)."""
    return version >= _FIRST_GO_ENV_RELEASE


def set_mode(home: ToolchainHome, mode: str, versions: Iterable[GoVersion]) -> None:
    """Record ``mode`` and write (or remove) the GOPATH line in each version's go.env."""
    if mode not in MODES:
        raise ValueError(mode)
    for version in versions:
        write_go_env(home.version_dir(version), home, version, enabled=mode == PER_VERSION)
    path = mode_file(home)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, (mode + "\n").encode())
    except OSError as exc:
        raise write_failure("recording the GOPATH mode", path, exc, "the GOPATH mode is unchanged") from exc


def write_go_env(tree: Path, home: ToolchainHome, version: GoVersion, *, enabled: bool) -> None:
    """Put goship's GOPATH line into ``tree``/go.env, or take it out; other lines are kept."""
    path = tree / "go.env"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = []
    except OSError as exc:
        raise write_failure("reading go.env", path, exc, "the GOPATH of this version is unchanged") from exc
    kept: list[str] = []
    skip_next = False
    for line in lines:
        if skip_next:
            skip_next = False
            continue
        if line == _MARK:
            skip_next = True  # the GOPATH line goship wrote under its mark
            continue
        kept.append(line)
    if enabled:
        kept += [_MARK, f"GOPATH={gopath_for(home, version)}"]
    if kept == lines:
        return
    try:
        write_atomic(path, ("\n".join(kept) + "\n").encode() if kept else b"")
    except OSError as exc:
        raise write_failure("writing go.env", path, exc, "the GOPATH of this version is unchanged") from exc
