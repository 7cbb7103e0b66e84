"""The Go platform (GOOS, GOARCH) of the machine goship runs on: which archive to install."""

from __future__ import annotations

import os
import sys

_GOOS = {"linux": "linux", "darwin": "darwin", "win32": "windows", "cygwin": "windows",
         "freebsd": "freebsd", "openbsd": "openbsd", "netbsd": "netbsd"}
_GOARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64",
           "i386": "386", "i686": "386", "x86": "386", "armv6l": "arm", "armv7l": "arm",
           "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64", "loongarch64": "loong64"}


def host_platform(system: str | None = None, machine: str | None = None) -> tuple[str, str]:
    """(GOOS, GOARCH) for ``sys.platform`` and ``platform.machine()`` (or the values given)."""
    system = (system or sys.platform).lower()
    machine = (machine or _machine()).lower()
    goos = next((name for prefix, name in _GOOS.items() if system.startswith(prefix)), system)
    return goos, _GOARCH.get(machine, machine)


def _machine() -> str:
    """``platform.machine()``, without loading ``platform`` where ``os.uname`` answers."""
    if hasattr(os, "uname"):
        return os.uname().machine
    import platform

    return platform.machine()
