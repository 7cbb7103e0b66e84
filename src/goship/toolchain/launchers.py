"""``go1.X.Y`` commands in ``<root>/bin``, one per installed version.

When GOTOOLCHAIN (or a go.mod ``toolchain`` line) asks for go1.22.10, the go command first
looks for a program named ``go1.22.10`` on PATH. With ``<root>/bin`` on PATH it finds the
version goship installed instead of downloading its own copy. On Unix a launcher is a
relative symlink to the version's ``bin/go`` (Go finds its GOROOT from the resolved path);
on Windows, where symlinks need a privilege, it is a small ``.cmd`` file that runs
``go.exe`` with the same arguments and exit code.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable
from pathlib import Path

from goship.oci.filelock import write_atomic
from goship.toolchain.layout import ToolchainHome
from goship.toolchain.versions import GoVersion

_LAUNCHER_NAME = re.compile(r"^go\d+\.\d+[0-9a-z.]*?(\.cmd)?$")
_CMD_MARKER = "rem goship launcher"


def launcher_file_name(version: GoVersion, *, windows: bool) -> str:
    return version.name + (".cmd" if windows else "")


def unix_launcher_target(version: GoVersion) -> str:
    """The symlink target, relative to ``<root>/bin`` so the home can be moved."""
    return f"../versions/{version.name}/bin/go"


def windows_launcher_text(version: GoVersion) -> str:
    """A .cmd that runs the version's go.exe; %~dp0 is the .cmd file's own directory."""
    return (
        "@echo off\r\n"
        f"{_CMD_MARKER} {version.name}\r\n"
        f'"%~dp0..\\versions\\{version.name}\\bin\\go.exe" %*\r\n'
        "exit /b %ERRORLEVEL%\r\n"
    )


def sync_launchers(home: ToolchainHome, versions: Iterable[GoVersion], *,
                   windows: bool | None = None) -> None:
    """Make ``<root>/bin`` hold exactly one launcher per version in ``versions``.

    Only entries goship made (links into ../versions, .cmd files with its marker) are
    removed; anything else a user put there is left alone. Raises OSError.
    """
    windows = os.name == "nt" if windows is None else windows
    wanted = {launcher_file_name(version, windows=windows): version for version in versions}
    home.bin_dir.mkdir(parents=True, exist_ok=True)
    for entry in home.bin_dir.iterdir():
        if entry.name not in wanted and _LAUNCHER_NAME.match(entry.name) and _is_ours(entry):
            entry.unlink()
    for name, version in wanted.items():
        target = home.bin_dir / name
        if windows:
            text = windows_launcher_text(version)
            if _read_text(target) != text:
                write_atomic(target, text.encode())
        else:
            link = unix_launcher_target(version)
            if _read_link(target) != link:
                temp = home.bin_dir / f".tmp-{os.urandom(16).hex()}"
                temp.symlink_to(link)
                try:
                    temp.replace(target)
                except OSError:
                    temp.unlink()
                    raise


def _is_ours(entry: Path) -> bool:
    link = _read_link(entry)
    if link is not None:
        return link.replace("\\", "/").startswith("../versions/")
    return entry.name.endswith(".cmd") and _CMD_MARKER in (_read_text(entry) or "")


def _read_link(path: Path) -> str | None:
    try:
        return str(path.readlink())
    except OSError:
        return None


def _read_text(path: Path) -> str | None:
    with contextlib.suppress(OSError, UnicodeDecodeError):
        return path.read_bytes().decode()
    return None
