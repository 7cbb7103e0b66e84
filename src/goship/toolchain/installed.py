"""Which Go versions are installed: a version directory counts only with its marker file.

The marker (``.goship-installed``, JSON with the version, the archive's SHA-256 and where it
came from) is written after the tree is complete and renamed into place, so a directory
without one is an interrupted install, not an installation.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from goship.toolchain.errors import VersionSyntaxError
from goship.toolchain.layout import MARKER, ToolchainHome
from goship.toolchain.versions import GoVersion
from goship.toolchain.winpath import long_path_safe


@dataclass(frozen=True)
class InstalledVersion:
    version: GoVersion
    path: Path
    sha256: str
    source: str  # the URL or file the archive came from
    filename: str


def marker_text(version: GoVersion, sha256: str, source: str, filename: str) -> bytes:
    record = {"version": version.name, "sha256": sha256, "source": source, "filename": filename}
    return (json.dumps(record, indent=2, sort_keys=True) + "\n").encode()


def installed_version(version: GoVersion, home: ToolchainHome) -> InstalledVersion | None:
    """The installation of ``version``, or None when it is absent or unfinished."""
    return _read(home.version_dir(version), version)


def list_installed(home: ToolchainHome) -> list[InstalledVersion]:
    """Every finished installation, newest first."""
    found = []
    try:
        entries = list(home.versions_dir.iterdir())
    except OSError:
        return []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            version = GoVersion.from_name(entry.name)
        except VersionSyntaxError:
            continue
        installed = _read(entry, version)
        if installed is not None:
            found.append(installed)
    found.sort(key=lambda item: item.version.sort_key, reverse=True)
    return found


def _read(directory: Path, version: GoVersion) -> InstalledVersion | None:
    try:
        record: Any = json.loads((directory / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("version") != version.name:
        return None
    return InstalledVersion(version, directory, str(record.get("sha256", "")),
                            str(record.get("source", "")), str(record.get("filename", "")))


def remove_tree(path: Path) -> None:
    """Remove a directory tree, read-only files included (Windows refuses to delete those)."""

    def make_writable_and_retry(function: Callable[..., Any], name: str, _error: Any) -> None:
        with contextlib.suppress(OSError):
            Path(name).chmod(stat.S_IWRITE | stat.S_IREAD | stat.S_IEXEC)
        function(name)

    path = long_path_safe(path)  # a Go tree nests deeper than Windows' 260 characters
    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=make_writable_and_retry)
    else:
        shutil.rmtree(path, onerror=make_writable_and_retry)
