"""Downloading a Go archive from an ordered list of mirrors, verified against the index.

Each mirror is a base URL (or a local directory) the archive's file name is appended to.
The archive streams to a temporary file next to where it will be used, or into a sink that
unpacks it as it arrives (``stream_archive``), hashed as it arrives; the size and the SHA-256
must be the ones the release index names (a mirror's own checksum file is never read). A
mirror that cannot be reached, answers anything but 200, or serves other bytes is recorded
and the next one is tried. A failure or an interruption removes the temporary file; a disk
that cannot take the file stops at once, as no other mirror would help.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from goship.progress import Reporter, SilentReporter
from goship.toolchain.errors import DownloadError, MirrorFailure
from goship.toolchain.index import ReleaseFile
from goship.toolchain.layout import TEMP_PREFIX
from goship.toolchain.network import DownloadOptions, RequestError, get, is_url
from goship.toolchain.oserrors import write_failure

# dl.google.com is where go.dev/dl redirects to; go.dev/dl is the documented address.
DEFAULT_MIRRORS = ("https://dl.google.com/go/", "https://go.dev/dl/")
CHUNK_SIZE = 1 << 20
_SAFE_FILENAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class DownloadedArchive:
    path: Path
    file: ReleaseFile
    source: str  # the URL (or path) the verified bytes came from
    failures: tuple[MirrorFailure, ...]  # mirrors tried before it, and why they failed


class _MirrorFailed(Exception):
    def __init__(self, reason: str, *, wrong_bytes: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wrong_bytes = wrong_bytes  # the mirror answered, with other bytes than the index lists


def archive_location(mirror: str, filename: str) -> str:
    """Where ``mirror`` (a base URL, ``file://`` URL or directory) keeps ``filename``."""
    if is_url(mirror):
        return mirror.rstrip("/") + "/" + filename
    return str(Path(mirror.removeprefix("file://")).expanduser() / filename)


def check_entry(file: ReleaseFile) -> None:
    """Refuse index entries goship cannot verify or could not name safely."""
    if not _SAFE_FILENAME.match(file.filename) or ".." in file.filename:
        raise DownloadError(f"the release index names an unsafe file name {file.filename!r}",
                            "use the official release index (go.dev/dl) or fix the custom one")
    if not _SHA256.match(file.sha256.lower()):
        raise DownloadError(f"the release index gives no SHA-256 for {file.filename}",
                            "goship installs only archives the index names a SHA-256 for; "
                            "pick another version")
    if file.size <= 0:
        raise DownloadError(f"the release index gives no size for {file.filename}",
                            "use the official release index (go.dev/dl) or fix the custom one")


@contextlib.contextmanager
def downloaded_archive(
    file: ReleaseFile, mirrors: Sequence[str], work_dir: Path, *,
    options: DownloadOptions | None = None, reporter: Reporter | None = None,
) -> Iterator[DownloadedArchive]:
    """``download_archive`` whose file is removed when the block ends, however it ends."""
    archive = download_archive(file, mirrors, work_dir, options=options, reporter=reporter)
    try:
        yield archive
    finally:
        with contextlib.suppress(OSError):
            archive.path.unlink()


def download_archive(
    file: ReleaseFile, mirrors: Sequence[str], work_dir: Path, *,
    options: DownloadOptions | None = None, reporter: Reporter | None = None,
) -> DownloadedArchive:
    """Fetch ``file`` from the first mirror that delivers it intact, into ``work_dir``.

    The caller owns (and removes) the returned file. Raises DownloadError listing every
    mirror's failure when none delivers.
    """
    streamed = stream_archive(file, mirrors, lambda: _FileSink(work_dir, file), work_dir,
                              options=options, reporter=reporter)
    sink = streamed.sink
    assert isinstance(sink, _FileSink)
    sink.close()
    return DownloadedArchive(sink.path, file, streamed.source, streamed.failures)


class ArchiveSink(Protocol):
    """Where ``stream_archive`` puts the bytes of one attempt (see extract.StreamingExtraction)."""

    def write(self, data: bytes) -> int: ...

    def flush(self) -> None: ...

    def abort(self) -> None: ...


class _FileSink:
    """A temporary file in ``work_dir``; an aborted attempt's file is removed."""

    def __init__(self, work_dir: Path, file: ReleaseFile) -> None:
        self._operation = f"downloading {file.filename}"
        try:
            handle, name = tempfile.mkstemp(dir=work_dir, prefix=TEMP_PREFIX + "download-",
                                            suffix="-" + file.filename)
        except OSError as exc:
            raise write_failure(self._operation, work_dir, exc) from exc
        self.path = Path(name)
        self._out = os.fdopen(handle, "wb")

    def write(self, data: bytes) -> int:
        return self._out.write(data)

    def flush(self) -> None:
        self._out.flush()  # no fsync: the file is read back at once, and a crash leaves only a leftover

    def close(self) -> None:
        try:
            self._out.close()
        except OSError as exc:
            self.abort()
            raise write_failure(self._operation, self.path, exc) from exc

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self._out.close()
        with contextlib.suppress(OSError):
            self.path.unlink()


@dataclass(frozen=True)
class StreamedArchive:
    sink: ArchiveSink  # the one that received the verified bytes
    source: str  # the URL or path they came from
    failures: tuple[MirrorFailure, ...]  # mirrors tried before, and why they failed


def stream_archive(
    file: ReleaseFile, mirrors: Sequence[str], open_sink: Callable[[], ArchiveSink], work_dir: Path, *,
    options: DownloadOptions | None = None, reporter: Reporter | None = None,
) -> StreamedArchive:
    """``download_archive`` into sinks instead of a file: each mirror tried gets a fresh sink
    from ``open_sink``; a failed attempt's sink is aborted. The bytes pass the same size and
    SHA-256 checks, which end the attempt; the returned sink got exactly the indexed bytes."""
    check_entry(file)
    reporter = reporter or SilentReporter()
    options = options or DownloadOptions()
    if not mirrors:
        raise DownloadError(f"no mirror to download {file.filename} from",
                            "pass at least one mirror (the default is " + DEFAULT_MIRRORS[0] + ")")
    failures: list[MirrorFailure] = []
    wrong_bytes = False
    for mirror in mirrors:
        location = archive_location(mirror, file.filename)
        reporter.step(f"downloading {file.filename} from {location}")
        sink = open_sink()
        try:
            if is_url(location):
                _stream_url(location, file, sink, work_dir, options, reporter)
            else:
                _copy_file(Path(location), file, sink, work_dir, reporter)
        except _MirrorFailed as failed:
            sink.abort()
            failures.append(MirrorFailure(mirror, failed.reason))
            wrong_bytes = wrong_bytes or failed.wrong_bytes
            reporter.step(f"mirror {mirror} failed: {failed.reason}")
            continue
        except BaseException:
            sink.abort()
            raise
        return StreamedArchive(sink, location, tuple(failures))
    raise _no_mirror_delivered(file, failures, wrong_bytes)


def _no_mirror_delivered(file: ReleaseFile, failures: list[MirrorFailure],
                         wrong_bytes: bool) -> DownloadError:
    listing = "; ".join(f"{failure.mirror}: {failure.reason}" for failure in failures)
    return DownloadError(
        f"cannot download {file.filename} from any mirror ({listing})",
        ("a mirror served other bytes than the release index lists (a broken or tampered "
         "mirror): remove it from the mirror list; " if wrong_bytes else "")
        + "check the network and the proxy setting, or add a mirror that holds the archive",
        tuple(failures),
    )


def _stream_url(url: str, file: ReleaseFile, out: ArchiveSink, target: Path,
                options: DownloadOptions, reporter: Reporter) -> None:
    try:
        with get(url, options) as response:
            if response.status != 200:
                raise _MirrorFailed(f"HTTP {response.status} for {url}")
            announced = response.header("Content-Length")
            if announced is not None and announced.isdigit() and int(announced) != file.size:
                raise _MirrorFailed(f"it offers {announced} bytes, the release index lists {file.size}",
                                    wrong_bytes=True)
            _receive(response.iter_bytes(CHUNK_SIZE), file, out, target, reporter)
    except RequestError as exc:
        raise _MirrorFailed(exc.reason) from exc


def _copy_file(path: Path, file: ReleaseFile, out: ArchiveSink, target: Path,
               reporter: Reporter) -> None:
    # Writes to ``out`` raise InstallError, so an OSError here comes from reading the mirror.
    try:
        with path.open("rb") as source:
            _receive(iter(lambda: source.read(CHUNK_SIZE), b""), file, out, target, reporter)
    except FileNotFoundError as exc:
        raise _MirrorFailed(f"{path} does not exist") from exc
    except OSError as exc:
        raise _MirrorFailed(f"cannot read {path}: {exc.strerror or exc}") from exc


def _receive(chunks: Iterable[bytes], file: ReleaseFile, out: ArchiveSink, target: Path,
             reporter: Reporter) -> None:
    digest = hashlib.sha256()
    received = 0
    task = f"downloading {file.filename}"
    reporter.transfer(task, 0, file.size)
    for chunk in chunks:
        received += len(chunk)
        if received > file.size:
            raise _MirrorFailed(f"it served more than the {file.size} bytes the release index lists",
                                wrong_bytes=True)
        digest.update(chunk)
        try:
            out.write(chunk)
        except OSError as exc:
            raise write_failure(f"downloading {file.filename}", target, exc) from exc
        reporter.transfer(task, received, file.size)
    if received != file.size:
        raise _MirrorFailed(f"it served {received} bytes, the release index lists {file.size}",
                            wrong_bytes=True)
    actual = digest.hexdigest()
    if actual != file.sha256.lower():
        raise _MirrorFailed(f"SHA-256 {actual} does not match {file.sha256.lower()} from the release index",
                            wrong_bytes=True)
    try:
        out.flush()
    except OSError as exc:
        raise write_failure(f"downloading {file.filename}", target, exc) from exc

