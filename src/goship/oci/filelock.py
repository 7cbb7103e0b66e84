"""Writing files that other processes may be reading or writing at the same moment.

``exclusive_lock`` serialises writers across processes; ``atomic_file`` and ``write_atomic``
make a file appear whole or not at all, through a temporary file in the same directory that
is synced and renamed over the target (a crash leaves at most a stray temporary file).

The lock is written here because no maintained library covers both ``fcntl`` and ``msvcrt``
in a few lines, and goship needs a file lock in one place only (an OCI layout's index.json).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

TEMP_PREFIX = ".tmp-"


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if needed) across processes."""
    with path.open("a+b") as handle:
        if sys.platform == "win32":
            import msvcrt
            import time

            handle.seek(0)
            while True:
                try:
                    msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
                    break
                except OSError:  # LK_LOCK gives up after ten seconds; keep waiting
                    time.sleep(0.1)
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def atomic_file(path: Path, prefix: str = TEMP_PREFIX, suffix: str = "") -> Iterator[BinaryIO]:
    """A new file (mode 0644) that replaces ``path`` only when the block ends without error.

    The temporary file is named ``<prefix>...<suffix>`` next to ``path`` and is removed again
    when the block (or the rename) fails.
    """
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=suffix)
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        temp.chmod(0o644)
        temp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def write_atomic(path: Path, raw: bytes) -> None:
    """Replace ``path`` with ``raw`` so that readers see the old bytes or the new, never part."""
    with atomic_file(path) as out:
        out.write(raw)
