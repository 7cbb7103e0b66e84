"""Windows' 260-character path limit, lifted for the trees goship writes and removes.

A Go distribution nests up to ~170 characters deep (``go/src/cmd/vendor/...``); under
``%LOCALAPPDATA%\\goship\\go\\versions\\.tmp-go1.22.10-xxxx\\`` that passes MAX_PATH, and
without the LongPathsEnabled policy (off by default, and changing it needs admin rights)
Windows refuses such paths. The ``\\\\?\\`` prefix turns the limit off for one call. This is
string logic, so it is written here and tested on any system with PureWindowsPath.
"""

from __future__ import annotations

import os
from pathlib import Path, PureWindowsPath


def extended_length(path: str) -> str:
    """``C:\\x`` -> ``\\\\?\\C:\\x``, ``\\\\server\\share\\x`` -> ``\\\\?\\UNC\\server\\share\\x``;
    an already extended path, or a relative one, is returned as it is."""
    if path.startswith("\\\\?\\") or not PureWindowsPath(path).is_absolute():
        return path
    normal = str(PureWindowsPath(path))  # forward slashes are not allowed after \\?\
    if normal.startswith("\\\\"):
        return "\\\\?\\UNC\\" + normal[2:]
    return "\\\\?\\" + normal


def long_path_safe(path: Path) -> Path:
    """``path`` made absolute and extended-length on Windows; unchanged elsewhere."""
    if os.name != "nt":
        return path
    return Path(extended_length(str(path.absolute())))
