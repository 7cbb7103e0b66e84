"""Where goship keeps its data, its cache and its build server's socket, per environment.

Kept free of heavy imports: the `goship` command reads it before anything else is loaded.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

# sun_path holds 108 bytes on Linux and 104 on macOS, terminating NUL included.
MAX_SOCKET_PATH = 100


def _user_home(env: Mapping[str, str]) -> Path:
    return Path(env.get("HOME") or env.get("USERPROFILE") or str(Path.home()))


def home_dir(env: Mapping[str, str]) -> Path:
    """goship's data (managed Go versions): GOSHIP_HOME, else the per-user data directory."""
    if env.get("GOSHIP_HOME"):
        return Path(env["GOSHIP_HOME"]).expanduser()
    if os.name == "nt" and env.get("LOCALAPPDATA"):
        return Path(env["LOCALAPPDATA"]) / "goship"
    base = env.get("XDG_DATA_HOME") or str(_user_home(env) / ".local" / "share")
    return Path(base) / "goship"


def cache_dir(env: Mapping[str, str]) -> Path:
    """goship's cache (layers, toolchain facts): GOSHIP_CACHE, else the per-user cache."""
    if env.get("GOSHIP_CACHE"):
        return Path(env["GOSHIP_CACHE"]).expanduser()
    if os.name == "nt" and env.get("LOCALAPPDATA"):
        return Path(env["LOCALAPPDATA"]) / "goship" / "cache"
    base = env.get("XDG_CACHE_HOME") or str(_user_home(env) / ".cache")
    return Path(base) / "goship"


def server_socket(env: Mapping[str, str], version: str, interpreter: str) -> Path:
    """The build server's socket for this goship version and Python interpreter.

    One server serves every project and cache of its user: each build brings its own
    directory and environment. Sockets need short paths (about 100 bytes), so it lives in
    XDG_RUNTIME_DIR or in a per-user directory under the temp directory.
    """
    key = hashlib.sha256(f"{interpreter}\0{version}".encode()).hexdigest()[:16]
    uid = os.getuid() if hasattr(os, "getuid") else 0
    fallback = Path(tempfile.gettempdir()) / f"goship-{uid}" / f"{key}.sock"
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime:
        preferred = Path(runtime) / "goship" / f"{key}.sock"
        if len(str(preferred)) <= MAX_SOCKET_PATH:
            return preferred
    return fallback


def is_private_socket(path: Path) -> bool:
    """Whether ``path`` is a socket of this user in a directory only this user can change.

    A client sends its environment (credentials included) to the server: it must never
    talk to a socket someone else could have put there.
    """
    if not hasattr(os, "getuid"):
        return False
    try:
        directory = path.parent.lstat()
        entry = path.lstat()
    except OSError:
        return False
    uid = os.getuid()
    return (
        stat.S_ISDIR(directory.st_mode) and directory.st_uid == uid
        and not directory.st_mode & 0o077
        and stat.S_ISSOCK(entry.st_mode) and entry.st_uid == uid
    )
