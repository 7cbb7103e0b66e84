"""What Go's own toolchain switching (GOTOOLCHAIN, Go 1.21+) will do with a selected version.

goship puts one Go on PATH; the go command may still run another one: GOTOOLCHAIN=go1.X.Y
always runs that version, and ``auto`` / ``path`` (the default is ``auto``, from the
distribution's go.env) switch to the version a go.mod ``toolchain`` or ``go`` line requires
when it is newer than the running one. This module reads GOTOOLCHAIN and go.mod the way
cmd/go does and says, as a warning, when the go that runs is not the go goship selected.
Written by hand: these are cmd/go's rules (cmd/go/internal/toolchain), not a library's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from goship.toolchain.errors import VersionSyntaxError
from goship.toolchain.versions import GoVersion

_FIRST_SWITCHING_RELEASE = GoVersion(1, 21, 0)
_LINE = re.compile(r"^\s*(go|toolchain)\s+(\S+)\s*(?://.*)?$")


@dataclass(frozen=True)
class GoToolchainSetting:
    """GOTOOLCHAIN read: ``base`` None means the go on PATH ("local")."""

    raw: str
    base: GoVersion | None = None
    switching: str = "auto"  # "" (never switches), "auto" (downloads) or "path" (PATH only)
    invalid: bool = False

    @property
    def display(self) -> str:
        return f"GOTOOLCHAIN={self.raw}" if self.raw else "GOTOOLCHAIN (unset, so auto)"


def parse_gotoolchain(value: str | None) -> GoToolchainSetting:
    """``local``, ``auto``, ``path``, ``go1.22.1``, ``go1.22.1+auto``, ``local+path``...; unset
    is ``auto``, the value in go.env of every official distribution."""
    raw = (value or "").strip()
    if not raw:
        return GoToolchainSetting("")
    if raw in ("auto", "path"):
        return GoToolchainSetting(raw, None, raw)
    name, _, mode = raw.partition("+")
    if mode not in ("", "auto", "path"):
        return GoToolchainSetting(raw, invalid=True, switching="")
    if name == "local":
        return GoToolchainSetting(raw, None, mode)
    version = _toolchain_version(name)
    if version is None:
        return GoToolchainSetting(raw, invalid=True, switching="")
    return GoToolchainSetting(raw, version, mode)


def _toolchain_version(name: str) -> GoVersion | None:
    """``go1.22.1`` (or ``go1.22.1-custom``) -> 1.22.1; a language version like go1.22 is not a
    toolchain from 1.21 on."""
    if not name.startswith("go"):
        return None
    try:
        version = GoVersion.from_name(name.split("-", 1)[0])
    except VersionSyntaxError:
        return None
    if version.patch is None and not version.prerelease and version >= _FIRST_SWITCHING_RELEASE:
        return None
    return version


@dataclass(frozen=True)
class GoModLines:
    path: Path
    go: GoVersion | None = None
    toolchain: GoVersion | None = None  # None when absent or "default"

    def minimum(self) -> GoVersion | None:
        """The oldest toolchain the go line allows: ``go 1.22`` is go1.22.0, the first release
        of that language version (Go 1.20 and older name it go1.20)."""
        go = self.go
        if go is not None and go.patch is None and not go.prerelease and go >= _FIRST_SWITCHING_RELEASE:
            return GoVersion(go.major, go.minor, 0)
        return go

    def required(self) -> tuple[GoVersion, str] | None:
        """The toolchain Go switches to when it is newer than the running one, and the line
        that asks for it: the toolchain line when at least as new as the go line."""
        minimum = self.minimum()
        if self.toolchain is not None and (minimum is None or self.toolchain >= minimum):
            return self.toolchain, "the toolchain line"
        if minimum is not None:
            return minimum, "the go line"
        return None


def parse_gomod(text: str, path: Path) -> GoModLines:
    """The ``go`` and ``toolchain`` directives of a go.mod (other lines are ignored)."""
    go: GoVersion | None = None
    toolchain: GoVersion | None = None
    for line in text.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        keyword, value = match.groups()
        if keyword == "go":
            try:
                go = GoVersion.from_name(value)
            except VersionSyntaxError as exc:
                raise VersionSyntaxError(f"{path}: the go line '{value}' is not a Go version",
                                         exc.hint) from exc
        elif value != "default":
            found = _toolchain_version(value)
            if found is None:
                raise VersionSyntaxError(f"{path}: the toolchain line '{value}' is not a Go toolchain",
                                         "a toolchain line names a release such as go1.22.10")
            toolchain = found
    return GoModLines(path, go, toolchain)


def toolchain_warning(selected: GoVersion, gotoolchain: str | None, gomod: GoModLines | None) -> str | None:
    """A warning when the go command will not run ``selected``; None when it will."""
    setting = parse_gotoolchain(gotoolchain)
    if selected < _FIRST_SWITCHING_RELEASE:
        return None  # before Go 1.21 the go command knows nothing of GOTOOLCHAIN
    if setting.invalid:
        return (f"{setting.display} is not a value the go command accepts: go{selected.number} "
                "will refuse to run; use local, auto, path or a release like go1.22.10")
    module = str(gomod.path) if gomod is not None else "go.mod"
    effective = setting.base or selected
    required = gomod.required() if gomod is not None else None
    if setting.switching and required is not None and required[0] > effective:
        version, line = required
        if version.same_release(selected):
            return None
        how = (f"if go{version.number} is on PATH, else it fails" if setting.switching == "path"
               else f"downloading it unless go{version.number} is on PATH")
        return (f"{setting.display} makes the go command run go{version.number} instead of the selected "
                f"go{selected.number}: {line} of {module} requires it ({how}); select "
                f"go{version.number} or newer, or set GOTOOLCHAIN=local to keep go{selected.number}")
    if not effective.same_release(selected):
        return (f"{setting.display} makes the go command run go{effective.number} instead of the "
                f"selected go{selected.number}; unset GOTOOLCHAIN or set it to local")
    minimum = gomod.minimum() if gomod is not None else None
    if not setting.switching and minimum is not None and minimum > effective:
        return (f"go{effective.number} will refuse to build here: the go line of {module} requires "
                f"go{minimum.number} and {setting.display} does not allow switching; select a newer version")
    return None
