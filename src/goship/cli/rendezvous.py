"""Where the build server listens, and the frames client and server exchange.

Read by the `goship` command before anything else is loaded, so it imports only modules
built into Python. Frames are a 4-byte big-endian length and a ``marshal`` dump of plain
data (dicts, lists, strings, numbers): marshal needs no import and no parsing code, and
only this user's processes can reach the socket (see ``is_private_socket``).
"""

from __future__ import annotations

import marshal
import os
import socket
import stat
import struct
import sys
import zlib

TYPE_CHECKING = False  # typing itself costs milliseconds this module is written to save
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

MAX_SOCKET_PATH = 100  # sun_path: 108 bytes on Linux, 104 on macOS, NUL included
_LENGTH = struct.Struct(">I")


def socket_path(env: Mapping[str, str], version: str, interpreter: str) -> str:
    """The socket of the server for this goship version and Python interpreter.

    One server serves every project and cache of its user: each build brings its own
    directory and environment. Sockets need short paths, so it lives in XDG_RUNTIME_DIR,
    else in a per-user directory of the temp directory.
    """
    key = f"{zlib.crc32(f'{interpreter}|{version}'.encode()):08x}-{version}"
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime:
        preferred = os.path.join(runtime, "goship", f"{key}.sock")
        if len(preferred) <= MAX_SOCKET_PATH:
            return preferred
    uid = os.getuid() if hasattr(os, "getuid") else 0
    temp = env.get("TMPDIR") or "/tmp"  # noqa: S108 - a per-user 0700 directory, checked below
    return os.path.join(temp, f"goship-{uid}", f"{key}.sock")


def is_private_directory(path: str) -> bool:
    if not hasattr(os, "getuid"):
        return False
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077


def is_private_socket(path: str) -> bool:
    """Whether ``path`` is a socket of this user in a directory only this user can change.

    A client sends its environment (credentials included) to the server: it must never
    talk to a socket someone else could have put there.
    """
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return (is_private_directory(os.path.dirname(path)) and stat.S_ISSOCK(info.st_mode)
            and info.st_uid == os.getuid())


def send(connection: socket.socket, message: Any) -> None:
    data = marshal.dumps(message)
    connection.sendall(_LENGTH.pack(len(data)) + data)


def receive(connection: socket.socket) -> Any:
    """The next frame, or None when the other side closed the connection."""
    header = _read_exactly(connection, _LENGTH.size)
    if header is None:
        return None
    body = _read_exactly(connection, _LENGTH.unpack(header)[0])
    return None if body is None else marshal.loads(body)


def _read_exactly(connection: socket.socket, size: int) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def supported() -> bool:
    return hasattr(socket, "AF_UNIX") and sys.platform != "win32"
