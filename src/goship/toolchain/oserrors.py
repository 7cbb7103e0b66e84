"""Turning a failed write into the home directory into an error a user can act on."""

from __future__ import annotations

import errno
from pathlib import Path

from goship.toolchain.errors import InstallError

_NO_SPACE = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_NO_PERMISSION = {errno.EACCES, errno.EPERM, errno.EROFS}


def write_failure(operation: str, path: Path, exc: OSError,
                  consequence: str = "nothing was installed") -> InstallError:
    """``operation`` failed writing ``path``: no space, no permission, or something else."""
    reason = exc.strerror or str(exc)
    if exc.errno in _NO_SPACE:
        return InstallError(
            f"{operation}: no space left on the device holding {path}",
            "free some space (`goship go prune` removes older patch releases), or set GOSHIP_HOME "
            f"to a directory on a disk with room; {consequence}",
        )
    if exc.errno in _NO_PERMISSION:
        return InstallError(
            f"{operation}: permission denied writing {path} ({reason})",
            f"make the goship home writable by you, or set GOSHIP_HOME to a directory you own; {consequence}",
        )
    return InstallError(f"{operation}: cannot write {path}: {reason}",
                        f"check the goship home directory (GOSHIP_HOME); {consequence}")


def is_write_failure(exc: OSError) -> bool:
    """Whether ``exc`` says the disk is full or not writable (rather than the input is bad)."""
    return exc.errno in _NO_SPACE or exc.errno in _NO_PERMISSION
