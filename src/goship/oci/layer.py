"""Layers: reproducible tar + gzip writing, and layers held on disk or in a registry.

A layer is built from a list of ``TarEntry`` values. Entries are sorted, owners, modes and
times are fixed by the caller, and the gzip header carries no name or time, so the same
entries always give the same bytes and digests.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal, Protocol

from goship.errors import OutputError
from goship.oci import mediatypes
from goship.oci.compress import Compression, GzipWriter
from goship.oci.digest import CHUNK, Digest
from goship.oci.manifest import Descriptor
from goship.oci.reference import Reference

EntryKind = Literal["file", "dir", "symlink"]


@dataclass(frozen=True)
class TarEntry:
    """One member of a layer: ``path`` is relative (``app/api``), without a leading slash."""

    path: str
    kind: EntryKind = "file"
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    data: bytes | None = None
    source: Path | None = None
    linkname: str = ""
    pax: tuple[tuple[str, str], ...] = field(default=())

    def size(self) -> int:
        if self.kind != "file":
            return 0
        if self.data is not None:
            return len(self.data)
        if self.source is not None:
            return self.source.stat().st_size
        return 0


class Layer(Protocol):
    """A layer of an image: compressed bytes behind a descriptor, and its diff ID."""

    @property
    def descriptor(self) -> Descriptor: ...

    @property
    def diff_id(self) -> Digest: ...

    @property
    def origin(self) -> Reference | None:
        """A repository the blob can be mounted or fetched from, when it came from one."""

    def open(self) -> AbstractContextManager[BinaryIO]:
        """The compressed bytes."""


@dataclass(frozen=True)
class FileLayer:
    path: Path
    descriptor: Descriptor
    diff_id: Digest
    origin: Reference | None = None

    def open(self) -> AbstractContextManager[BinaryIO]:
        return self.path.open("rb")


BlobOpener = Callable[[Digest], AbstractContextManager[BinaryIO]]


@dataclass(frozen=True)
class RemoteLayer:
    """A layer of a base image that stays in its registry until a destination needs it."""

    descriptor: Descriptor
    diff_id: Digest
    origin: Reference | None
    fetch: BlobOpener

    def open(self) -> AbstractContextManager[BinaryIO]:
        return self.fetch(self.descriptor.digest)


class LayerTap(Protocol):
    """Sees a new layer's compressed bytes as they are written (to upload them at once)."""

    def write(self, piece: bytes) -> None: ...

    def finish(self, layer: FileLayer) -> None:
        """The layer is complete; its descriptor says what the bytes were."""

    def abort(self) -> None:
        """The layer will not be complete."""


class _LayerSink(io.RawIOBase):
    """The file object tarfile writes into: hashes the tar, compresses, hashes the gzip."""

    def __init__(self, out: BinaryIO, compression: Compression,
                 tap: LayerTap | None = None) -> None:
        super().__init__()
        self._out = out
        self._buffer = bytearray()
        self.tar_hash = hashlib.sha256()
        self.gzip_hash = hashlib.sha256()
        self.gzip_size = 0
        self._written = 0
        self._tap = tap
        self._gzip = GzipWriter(compression, self._emit)

    def _emit(self, data: bytes) -> None:
        self.gzip_hash.update(data)
        self.gzip_size += len(data)
        self._out.write(data)
        if self._tap is not None:
            self._tap.write(data)

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._written

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._written += len(data)
        self._buffer += data
        if len(self._buffer) >= CHUNK:
            self._drain()
        return len(data)

    def _drain(self) -> None:
        chunk = bytes(self._buffer)
        self._buffer.clear()
        self.tar_hash.update(chunk)
        self._gzip.write(chunk)

    def finish(self) -> None:
        self._drain()
        self._gzip.close()


def _sorted(entries: Sequence[TarEntry]) -> list[TarEntry]:
    """Top-level directories first (Windows layers start with Files/ and Hives/), then every
    entry by its path components, so parents always come before their children."""

    def key(entry: TarEntry) -> tuple[int, list[str]]:
        parts = entry.path.split("/")
        return (0 if entry.kind == "dir" and len(parts) == 1 else 1, parts)

    return sorted(entries, key=key)


def _tarinfo(entry: TarEntry, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(entry.path + ("/" if entry.kind == "dir" else ""))
    info.mode = entry.mode
    info.uid, info.gid = entry.uid, entry.gid
    info.uname = info.gname = ""
    info.mtime = mtime
    if entry.kind == "dir":
        info.type = tarfile.DIRTYPE
    elif entry.kind == "symlink":
        info.type = tarfile.SYMTYPE
        info.linkname = entry.linkname
    else:
        info.type = tarfile.REGTYPE
        info.size = entry.size()
    if entry.pax:
        info.pax_headers = dict(entry.pax)
    return info


def write_tar(entries: Sequence[TarEntry], out: BinaryIO | io.RawIOBase, mtime: int) -> None:
    """Write the entries as a PAX tar stream, sorted, with the given modification time."""
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT, encoding="utf-8") as tar:
        for entry in _sorted(entries):
            info = _tarinfo(entry, mtime)
            if entry.kind != "file":
                tar.addfile(info)
            elif entry.data is not None:
                tar.addfile(info, io.BytesIO(entry.data))
            elif entry.source is not None:
                with entry.source.open("rb") as handle:
                    tar.addfile(info, handle)
            else:
                tar.addfile(info, io.BytesIO(b""))


def write_layer(
    entries: Sequence[TarEntry],
    directory: Path,
    *,
    mtime: int,
    compression: Compression,
    media_type: str = mediatypes.OCI_LAYER_GZIP,
    tap: LayerTap | None = None,
) -> FileLayer:
    """Write a gzip layer into ``directory/sha256/<hex>`` (atomically) and describe it.

    A ``tap`` sees the compressed bytes as they are written and is told at the end
    whether the layer was finished.
    """
    blobs = directory / "sha256"
    try:
        blobs.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=blobs, prefix=".layer-")
    except OSError as exc:
        raise OutputError(f"cannot write layer into {directory}: {exc.strerror}",
                          "check the cache directory is writable (GOSHIP_CACHE)") from exc
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            sink = _LayerSink(out, compression, tap)
            write_tar(entries, sink, mtime)
            sink.finish()
        digest = Digest("sha256", sink.gzip_hash.hexdigest())
        final = blobs / digest.hex
        temp.replace(final)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        if tap is not None:
            tap.abort()
        raise
    descriptor = Descriptor(media_type, digest, sink.gzip_size)
    layer = FileLayer(final, descriptor, Digest("sha256", sink.tar_hash.hexdigest()))
    if tap is not None:
        tap.finish(layer)
    return layer


def iter_chunks(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk
