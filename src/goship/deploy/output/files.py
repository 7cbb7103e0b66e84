"""Writing a set of files into a directory the way GitOps tools want it.

Each file is written to a temporary name beside it and renamed into place, so a reader (Argo
CD, Flux, git) never sees half a file. A file whose bytes and mode are already right is left
alone, mtime included, so a second run with the same input changes nothing. Files this writer
put there before and that are no longer wanted are removed; it knows them from the list it
keeps in ``.goship-files``, so files of the user's own in the directory are never touched.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from goship.errors import OutputError

MARKER = ".goship-files"


@dataclass(frozen=True)
class FileContent:
    data: bytes
    mode: int = 0o644


@dataclass(frozen=True)
class WriteResult:
    directory: Path
    written: tuple[str, ...]  # new or changed
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]

    def summary(self) -> str:
        return (f"{self.directory}: {len(self.written)} written, {len(self.unchanged)} unchanged, "
                f"{len(self.removed)} removed")


def _check_relative(name: str) -> None:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or name != path.as_posix():
        raise ValueError(f"not a plain relative file name: {name!r}")


def _same(path: Path, content: FileContent) -> bool:
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode) or stat.S_IMODE(info.st_mode) != content.mode:
            return False
        return info.st_size == len(content.data) and path.read_bytes() == content.data
    except OSError:
        return False


def _write_atomic(path: Path, content: FileContent) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content.data)
        Path(temporary).chmod(content.mode)
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise


def _previous(directory: Path) -> list[str]:
    try:
        lines = (directory / MARKER).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    names = []
    for line in lines:
        try:
            _check_relative(line)
        except ValueError:
            continue  # a hand-edited marker never makes us delete outside the directory
        names.append(line)
    return names


def write_tree(directory: Path, files: Mapping[str, FileContent]) -> WriteResult:
    """Make ``directory`` hold ``files`` (relative POSIX names -> content)."""
    for name in files:
        _check_relative(name)
    if directory.exists() and not directory.is_dir():
        raise OutputError(f"cannot write manifests to {directory}: it is a file",
                          "give a directory (it is created when missing)")
    written: list[str] = []
    unchanged: list[str] = []
    removed: list[str] = []
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name in sorted(files):
            target = directory / name
            if target.is_dir():
                raise OutputError(f"cannot write {target}: a directory is in the way",
                                  "move that directory away, or choose another output directory")
            if _same(target, files[name]):
                unchanged.append(name)
            else:
                _write_atomic(target, files[name])
                written.append(name)
        for name in _previous(directory):
            if name in files:
                continue
            target = directory / name
            if target.is_file() or target.is_symlink():
                target.unlink()
                removed.append(name)
                for parent in target.parents:
                    if parent == directory:
                        break
                    with contextlib.suppress(OSError):
                        parent.rmdir()  # only when empty
        marker = FileContent(("".join(f"{name}\n" for name in sorted(files))).encode("utf-8"))
        if not _same(directory / MARKER, marker):
            _write_atomic(directory / MARKER, marker)
    except OSError as exc:
        raise OutputError(f"cannot write manifests to {directory}: {exc.strerror or exc}",
                          "check that the directory is writable") from exc
    return WriteResult(directory, tuple(written), tuple(unchanged), tuple(removed))
