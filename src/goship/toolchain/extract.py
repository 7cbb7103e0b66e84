"""Extracting a Go distribution archive (.tar.gz or .zip) without trusting its entry names.

tarfile and zipfile read the formats; the policy of what may be written is here, by hand,
because neither module has one that fits: tarfile's "data" filter still writes links that
stay inside the tree (and is missing from early Python 3.10 patch releases), and zipfile
has no filter at all. One policy covers both formats:

- only regular files and directories: symlinks, hard links, devices and FIFOs are refused;
- every name is relative, uses ``/`` only, has no ``..`` part, no drive or ``:``;
- every name lies under the top-level ``go/`` directory of Go's official archives, and the
  tree must hold ``go/bin/go`` (or ``go.exe``).

The first refused entry stops extraction with an ArchiveError; the caller extracts into a
temporary directory and removes it, so a refused archive leaves nothing behind. Files are
written 0755 when the archive marks them executable and 0644 otherwise.
"""

from __future__ import annotations

import errno
import os
import stat
import tarfile
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, cast

from zlib_ng import gzip_ng_threaded, zlib_ng

from goship.progress import Reporter
from goship.toolchain.errors import ArchiveError
from goship.toolchain.oserrors import is_write_failure, write_failure
from goship.toolchain.winpath import long_path_safe

TOP_DIR = "go"
_COPY_BUFFER = 1 << 20


def safe_member_path(name: str, archive: str) -> PurePosixPath:
    """The relative path an entry may be written to, or ArchiveError saying why not."""
    if not name or "\\" in name or ":" in name or "\x00" in name:
        raise ArchiveError(f"{archive}: refusing entry {name!r}: not a plain relative path",
                           "the archive is not a Go distribution goship can install safely")
    if name.startswith("/"):
        raise ArchiveError(f"{archive}: refusing entry {name!r}: absolute path",
                           "the archive is not a Go distribution goship can install safely")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ArchiveError(f"{archive}: refusing entry {name!r}: it climbs out with '..'",
                           "the archive is not a Go distribution goship can install safely")
    if not parts or parts[0] != TOP_DIR:
        raise ArchiveError(f"{archive}: refusing entry {name!r}: outside the top-level {TOP_DIR}/ directory",
                           "a Go distribution archive holds everything under go/")
    return PurePosixPath(*parts)


_INFLATE_ERROR = cast("type[Exception]", zlib_ng.error)  # corrupt deflate data (zlib-ng reader)


def extract_go_archive(archive: Path, destination: Path, *, label: str, reporter: Reporter) -> Path:
    """Extract ``archive`` (named ``label`` in the index: .zip or .tar.gz) into the existing
    directory ``destination``; returns the Go tree (``destination/go``)."""
    writable = long_path_safe(destination)  # deep Go trees pass Windows' 260-character limit
    with _archive_errors(label, destination):
        if label.endswith(".zip"):
            _extract_zip(archive, writable, label, reporter)
        else:
            total = archive.stat().st_size
            with archive.open("rb") as raw:
                _extract_tar(raw, writable, label, reporter, total=total, limit=expansion_limit(total))
    return go_tree(destination, label)


def expansion_limit(archive_size: int) -> int:
    """The most bytes an archive of this size may unpack to: a Go tree is about three times
    its .tar.gz, so anything near twenty times is a decompression bomb, not Go."""
    return 20 * archive_size + (64 << 20)


def go_tree(destination: Path, label: str) -> Path:
    tree = destination / TOP_DIR
    if not any((tree / "bin" / exe).is_file() for exe in ("go", "go.exe")):
        raise ArchiveError(f"{label} is not a Go distribution: it has no go/bin/go",
                           "check that the release index and the mirror serve Go's official archives")
    return tree


@contextmanager
def _archive_errors(label: str, destination: Path) -> Iterator[None]:
    """What can go wrong unpacking, as goship errors: a corrupt archive, or a full disk."""
    try:
        yield
    except (tarfile.TarError, zlib.error, _INFLATE_ERROR, EOFError) as exc:
        raise ArchiveError(f"{label} is corrupt: {exc}", "download it again") from exc
    except OSError as exc:
        if is_write_failure(exc):
            raise write_failure(f"extracting {label}", destination, exc) from exc
        raise ArchiveError(f"{label} cannot be extracted: {exc}",
                           "the archive is damaged or not a Go distribution") from exc


def _extract_tar(raw: IO[bytes], destination: Path, label: str, reporter: Reporter, *,
                 total: int | None, limit: int) -> None:
    """``raw`` is the .tar.gz; progress is reported against ``total`` when it is known (a
    streamed download reports its own)."""
    task = f"extracting {label}"
    unpacked_bytes = 0
    # zlib-ng (already goship's compressor) inflates twice as fast as zlib, and its threaded
    # reader does so in a second thread, beside the tar parsing and file writes, as tar | gzip does.
    with _gunzip(raw) as unpacked, tarfile.open(fileobj=unpacked, mode="r|") as tar:
        made: set[Path] = {destination}
        reported = 0
        for member in tar:
            path = safe_member_path(member.name, label)
            if member.isdir():
                _make_dir(destination, path, made)
            elif member.isreg():
                unpacked_bytes += member.size
                if unpacked_bytes > limit:
                    raise ArchiveError(f"{label} unpacks to more than {limit} bytes",
                                       "it is not a Go distribution (a Go tree is about 3 times its archive)")
                source = tar.extractfile(member)
                assert source is not None  # a regular file always has data
                _write_file(destination, path, source, executable=bool(member.mode & 0o111), made=made)
            else:
                kind = "symlink" if member.issym() else "hard link" if member.islnk() else "special file"
                raise ArchiveError(f"{label}: refusing entry {member.name!r}: it is a {kind}",
                                   "Go's official archives hold only files and directories")
            if total is not None:
                position = raw.tell()
                if position - reported >= _COPY_BUFFER or position == total:
                    reporter.transfer(task, position, total)
                    reported = position


class StreamingExtraction:
    """Unpacks a .tar.gz into ``destination`` while it downloads, so the two overlap as in
    ``curl | tar xz``. ``write`` takes the downloaded bytes (through a pipe to a thread that
    extracts); ``finish`` waits for the thread and returns the Go tree, or raises what the
    extraction met.

    Nothing unverified is installed all the same: ``destination`` is a temporary directory
    the caller renames into place only after the archive's SHA-256 matched the release index,
    and removes otherwise. The entry checks and the expansion limit apply as they do to a
    downloaded file. When the extraction stops early (a refused entry, a full disk), ``write``
    keeps accepting bytes without passing them on, so that the download can still be checked:
    other bytes than the index lists mean a bad mirror (try the next), the right bytes mean
    the error is real.
    """

    def __init__(self, destination: Path, *, label: str, size: int, reporter: Reporter) -> None:
        self._destination = destination
        self._label = label
        self._size = size
        self._reporter = reporter
        read_end, self._write_end = os.pipe()
        # Unbuffered: zlib-ng inflates each piece as it comes out of the pipe. Behind a buffered
        # reader it would wait for its whole 8 MiB input buffer, and the last 8 MiB of the archive
        # would still be unpacked after the download ended.
        self._reader = os.fdopen(read_end, "rb", buffering=0)
        self._stopped = False  # the extracting thread no longer reads
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._extract, name="goship-extract", daemon=True)
        self._thread.start()

    def _extract(self) -> None:
        try:
            with _archive_errors(self._label, self._destination):
                _extract_tar(self._reader, long_path_safe(self._destination), self._label, self._reporter,
                             total=None, limit=expansion_limit(self._size))
                while self._reader.read(_COPY_BUFFER):  # the gzip trailer and tar padding
                    pass
        except BaseException as exc:  # handed to the downloading thread by finish()
            self._error = exc
        finally:
            self._reader.close()  # a writer still writing now gets EPIPE, not a hang

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view and not self._stopped:
            try:
                view = view[os.write(self._write_end, view):]
            except OSError as exc:
                # The extracting thread closed its end: EPIPE (EINVAL on Windows pipes).
                if exc.errno not in (errno.EPIPE, errno.EINVAL) and self._thread.is_alive():
                    raise
                self._stopped = True
        return len(data)

    def flush(self) -> None:
        pass

    def finish(self) -> Path:
        """The Go tree, once every byte is written; raises what stopped the extraction."""
        self._close_and_wait()
        if self._error is not None:
            raise self._error
        return go_tree(self._destination, self._label)

    def abort(self) -> None:
        """Stop (the download failed): the thread sees the end of its input and ends."""
        self._close_and_wait()

    def _close_and_wait(self) -> None:
        if self._write_end >= 0:
            os.close(self._write_end)
            self._write_end = -1
        self._thread.join()


def _gunzip(raw: IO[bytes]) -> IO[bytes]:
    reader: IO[bytes] = gzip_ng_threaded.open(raw, "rb", threads=1)  # type: ignore[no-untyped-call]
    return reader


def _extract_zip(archive: Path, destination: Path, label: str, reporter: Reporter) -> None:
    import zipfile  # loaded only for a .zip (the Windows archives)

    task = f"extracting {label}"
    made: set[Path] = {destination}
    try:
        with zipfile.ZipFile(archive) as bundle:
            entries = bundle.infolist()
            for number, entry in enumerate(entries, 1):
                path = safe_member_path(entry.filename, label)
                mode = entry.external_attr >> 16 if entry.create_system == 3 else 0
                kind = stat.S_IFMT(mode)
                if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
                    name = "symlink" if kind == stat.S_IFLNK else "special file"
                    raise ArchiveError(f"{label}: refusing entry {entry.filename!r}: it is a {name}",
                                       "Go's official archives hold only files and directories")
                if entry.is_dir():
                    _make_dir(destination, path, made)
                else:
                    with bundle.open(entry) as source:
                        _write_file(destination, path, source, executable=bool(mode & 0o111), made=made)
                reporter.count(task, number, len(entries))
    except zipfile.BadZipFile as exc:
        raise ArchiveError(f"{label} is corrupt: {exc}", "download it again") from exc


def _make_dir(destination: Path, path: PurePosixPath, made: set[Path]) -> None:
    directory = destination.joinpath(*path.parts)
    if directory not in made:
        directory.mkdir(parents=True, exist_ok=True)
        made.add(directory)


# O_NOFOLLOW: nothing here creates links, but never write through one all the same.
_WRITE_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
                | getattr(os, "O_BINARY", 0))


def _write_file(destination: Path, path: PurePosixPath, source: IO[bytes], *, executable: bool,
                made: set[Path]) -> None:
    target = destination.joinpath(*path.parts)
    if target.parent not in made:  # one mkdir per directory, not one per file
        target.parent.mkdir(parents=True, exist_ok=True)
        made.add(target.parent)
    descriptor = os.open(target, _WRITE_FLAGS, 0o755 if executable else 0o644)
    try:
        # Plain reads and os.write: most of Go's ten thousand files fit in one chunk, and a
        # buffered file object per file costs more than the write itself.
        while chunk := source.read(_COPY_BUFFER):
            view = memoryview(chunk)
            while view:
                view = view[os.write(descriptor, view):]
    finally:
        os.close(descriptor)
