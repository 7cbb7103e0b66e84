"""Where managed Go versions live inside the toolchain home.

::

    <root>/versions/go1.22.10/            a Go tree (bin/, src/, pkg/, ...) and, written
                                          last, .goship-installed: without it (or with one
                                          that does not read back) the directory is not an
                                          installation and the next install of that version
                                          removes it
    <root>/versions/.go1.22.10.lock       held while go1.22.10 is installed, removed or made global
    <root>/versions/.launchers.lock       held while the launchers in bin/ are updated
    <root>/versions/.tmp-*                work in progress (removed on failure)
    <root>/bin/go1.22.10                  launcher: Go's GOTOOLCHAIN finds versions on PATH
    <root>/current                        the global version: a link to versions/goX.Y.Z
    <root>/current.version                the global version where no link can be made

goship's ``gobuild`` looks managed versions up in ``<goship home>/go/versions``, so the root
of the toolchain home is ``<goship home>/go`` (see ``for_goship_home``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from goship.toolchain.versions import GoVersion

MARKER = ".goship-installed"
TEMP_PREFIX = ".tmp-"
GO_EXE = "go.exe" if os.name == "nt" else "go"


@dataclass(frozen=True)
class ToolchainHome:
    root: Path

    @classmethod
    def for_goship_home(cls, goship_home: Path) -> ToolchainHome:
        """The toolchain home inside goship's data directory (``Config.home``)."""
        return cls(goship_home / "go")

    @property
    def versions_dir(self) -> Path:
        return self.root / "versions"

    @property
    def bin_dir(self) -> Path:
        return self.root / "bin"

    @property
    def current_link(self) -> Path:
        return self.root / "current"

    @property
    def current_file(self) -> Path:
        return self.root / "current.version"

    def version_dir(self, version: GoVersion) -> Path:
        return self.versions_dir / version.name

    def marker(self, version: GoVersion) -> Path:
        return self.version_dir(version) / MARKER

    def lock_file(self, version: GoVersion) -> Path:
        return self.versions_dir / f".{version.name}.lock"

    @property
    def launchers_lock(self) -> Path:
        return self.versions_dir / ".launchers.lock"

    def go_binary(self, version: GoVersion) -> Path:
        return self.version_dir(version) / "bin" / GO_EXE
