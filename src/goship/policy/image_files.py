"""The files of a built image: every layer read as a stream, whiteouts applied.

The image rules need to know which files the container will see (a shell, a setuid binary,
a private key), not what each layer once added: a file that a later layer deletes (an
``.wh.<name>`` whiteout, or an ``.wh..wh..opq`` marker that hides a whole directory) does not
count. The layers are decompressed and parsed one after the other as streams, so memory holds
the list of paths and modes, never the layer data. Small regular files are read on the way to
note the PEM blocks they hold, which is how a private key is found whatever its name. A caller
that needs the content of files (the Go binaries among them) passes an ``on_content`` hook,
which is given each regular file as a stream while its layer is read; the entry's ``layer``
then says whether that version of the file is the one that survives.

Windows layers keep the container's files under ``Files/`` (see ``goship.oci.windows``); they
are listed here from the root (``Files/app/api.exe`` is ``/app/api.exe``), compared without
case, and the registry hives under ``Hives/`` are left out.

Layers that cannot be read are recorded as skips with a reason, not raised: a foreign
(non-distributable) Windows base layer lives at Microsoft's URLs, and a zstd layer needs a
decompressor goship does not ship. A layer that is there but corrupt is an ``ImageError``.
"""

from __future__ import annotations

import io
import posixpath
import re
import tarfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, BinaryIO, Literal, cast

from zlib_ng import gzip_ng_threaded, zlib_ng

from goship.errors import ImageError
from goship.oci.digest import CHUNK
from goship.oci.layer import Layer

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

FileKind = Literal["file", "dir", "symlink", "hardlink", "other"]

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"
SNIFF_LIMIT = 64 * 1024  # key files are a few kB; bigger files are not read for PEM blocks
MAX_LINK_HOPS = 40  # as Linux's path resolution gives up on symlink loops
WINDOWS_FILES = "/files/"  # compared in lower case
_PEM_BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9 ]{1,64})-----")
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_INFLATE_ERRORS = (tarfile.TarError, zlib.error, cast("type[Exception]", zlib_ng.error), EOFError)


@dataclass(frozen=True, slots=True)  # slots: an image may list a hundred thousand paths
class FileEntry:
    """One path as the container sees it: ``/usr/bin/sh``, ``/app/api.exe``."""

    path: str
    kind: FileKind
    mode: int  # permission bits with setuid (0o4000), setgid (0o2000) and sticky (0o1000)
    size: int  # bytes of a regular file (of the linked file for a hard link), else 0
    uid: int = 0
    gid: int = 0
    link_target: str = ""  # a symlink's target as written, a hard link's path from the root
    layer: int = 0  # index of the layer this version of the path comes from
    pem_labels: tuple[str, ...] = ()  # "RSA PRIVATE KEY", "CERTIFICATE" in a small file

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)

    @property
    def is_setuid(self) -> bool:
        return bool(self.mode & 0o4000)

    @property
    def is_setgid(self) -> bool:
        return bool(self.mode & 0o2000)

    @property
    def is_executable(self) -> bool:
        return bool(self.mode & 0o111)

    @property
    def has_content(self) -> bool:
        return self.kind in ("file", "hardlink")


ContentHook = Callable[[FileEntry, IO[bytes]], None]
"""Given each regular file (not empty) of a layer with a stream of its bytes, to read or not."""


@dataclass
class FileTree:
    """The merged file system of an image's layers."""

    windows: bool = False
    skipped: list[str] = field(default_factory=list)  # why a layer was not read, one each
    _entries: dict[str, FileEntry] = field(default_factory=dict)
    _children: dict[str, set[str]] = field(default_factory=dict)
    on_content: ContentHook | None = field(default=None, repr=False, compare=False)

    @property
    def complete(self) -> bool:
        """Whether every layer was read: a missing file may otherwise be in a skipped one."""
        return not self.skipped

    def __iter__(self) -> Iterator[FileEntry]:
        """Every entry, sorted by path."""
        return iter(sorted(self._entries.values(), key=lambda entry: entry.path))

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, path: str) -> FileEntry | None:
        return self._entries.get(self._key(normalise(path)))

    def resolve(self, path: str) -> FileEntry | None:
        """The entry ``path`` leads to, following symlinks (also in its directories)."""
        pending = [part for part in normalise(path).split("/") if part]
        current = ""
        hops = 0
        while pending:
            part = pending.pop(0)
            if part == "..":
                current = posixpath.dirname(current) if current != "/" else "/"
                continue
            candidate = posixpath.join(current or "/", part)
            entry = self._entries.get(self._key(candidate))
            if entry is not None and entry.kind == "symlink":
                hops += 1
                if hops > MAX_LINK_HOPS:
                    return None
                target = entry.link_target.replace("\\", "/") if self.windows else entry.link_target
                if target.startswith("/"):
                    current = "/"
                pending[:0] = [piece for piece in target.split("/") if piece and piece != "."]
                continue
            if entry is None and not self._exists(self._key(candidate)):
                return None
            current = candidate
        return self._entries.get(self._key(current or "/"))

    def _key(self, path: str) -> str:
        return path.lower() if self.windows else path

    def _exists(self, key: str) -> bool:
        """A path exists when a layer holds it or something below it (an implied directory)."""
        return key in self._entries or any(self._exists(child) for child in self._children.get(key, ()))

    # -- building, layer by layer ---------------------------------------------------------

    def add_member(self, tar: tarfile.TarFile, member: tarfile.TarInfo, layer: int) -> None:
        """Apply one tar member of layer number ``layer`` (0 is the bottom one)."""
        path = normalise(member.name)
        if self.windows:
            if not path.lower().startswith(WINDOWS_FILES):
                return  # Hives/, UtilityVM/: not files of the container
            path = normalise(path[len(WINDOWS_FILES):])
        if path == "/":
            return
        base = posixpath.basename(path)
        if base == OPAQUE_MARKER:
            self._remove_below(self._key(posixpath.dirname(path)), layer)
        elif base.startswith(WHITEOUT_PREFIX):
            hidden = posixpath.join(posixpath.dirname(path), base[len(WHITEOUT_PREFIX):])
            self._remove(self._key(hidden), layer)
        else:
            self._add(self._entry(tar, member, path, layer))

    def _entry(self, tar: tarfile.TarFile, member: tarfile.TarInfo, path: str, layer: int) -> FileEntry:
        mode = member.mode & 0o7777
        if member.isreg():
            wanted = member.size > 0 and (member.size <= SNIFF_LIMIT or self.on_content is not None)
            content = tar.extractfile(member) if wanted else None
            labels: tuple[str, ...] = ()
            if content is not None and member.size <= SNIFF_LIMIT:
                data = content.read()  # a stream is read once: keep it for the hook
                labels = _pem_labels(data)
                content = io.BytesIO(data)
            entry = FileEntry(path, "file", mode, member.size, member.uid, member.gid, "", layer, labels)
            if content is not None and self.on_content is not None:
                self.on_content(entry, content)
            return entry
        if member.isdir():
            return FileEntry(path, "dir", mode, 0, member.uid, member.gid, "", layer)
        if member.issym():
            return FileEntry(path, "symlink", mode, 0, member.uid, member.gid, member.linkname, layer)
        if member.islnk():
            link = normalise(member.linkname)
            if self.windows and link.lower().startswith(WINDOWS_FILES):
                link = normalise(link[len(WINDOWS_FILES):])
            target = self._entries.get(self._key(link))
            size, labels = (target.size, target.pem_labels) if target is not None else (0, ())
            return FileEntry(path, "hardlink", mode, size, member.uid, member.gid, link, layer, labels)
        return FileEntry(path, "other", mode, 0, member.uid, member.gid, "", layer)

    def _add(self, entry: FileEntry) -> None:
        key = self._key(entry.path)
        old = self._entries.get(key)
        if old is not None and old.kind == "dir" and entry.kind != "dir":
            self._remove_below(key, entry.layer)  # a file put over a directory hides its content
        self._entries[key] = entry
        while key != "/":
            parent = posixpath.dirname(key)
            siblings = self._children.setdefault(parent, set())
            if key in siblings:
                break
            siblings.add(key)
            key = parent

    def _remove(self, key: str, layer: int) -> None:
        """Delete a path and all below it that lower layers added (an ``.wh.`` whiteout)."""
        self._remove_below(key, layer)
        entry = self._entries.get(key)
        if entry is not None and entry.layer < layer:
            del self._entries[key]

    def _remove_below(self, key: str, layer: int) -> None:
        """Delete what lower layers put inside a directory (an opaque marker). Entries of
        ``layer`` itself stay: a layer may list the marker after its own new files."""
        pending = list(self._children.get(key, ()))
        while pending:
            child = pending.pop()
            pending.extend(self._children.get(child, ()))
            entry = self._entries.get(child)
            if entry is not None and entry.layer < layer:
                del self._entries[child]


def normalise(path: str) -> str:
    """``./usr/bin/``, ``usr/bin``, ``/usr//bin`` and ``//usr/bin`` are all ``/usr/bin``."""
    # lstrip: normpath keeps a leading "//" (POSIX leaves its meaning to the system).
    return posixpath.normpath("/" + path.replace("\\", "/").lstrip("/")) if path else "/"


def read_file_tree(
    layers: Sequence[Layer],
    *,
    windows: bool,
    what: str,
    on_layer: Callable[[int, int], None] | None = None,
    on_content: ContentHook | None = None,
) -> FileTree:
    """Stream every layer (bottom first) into one tree; ``what`` names the image in errors,
    ``on_layer(done, total)`` follows the progress, ``on_content`` sees every regular file."""
    tree = FileTree(windows=windows, on_content=on_content)
    for number, layer in enumerate(layers):
        descriptor = layer.descriptor
        if descriptor.is_foreign:
            where = ", ".join(descriptor.urls) or "no URL"
            tree.skipped.append(f"layer {number + 1} ({descriptor.digest.short()}) is a foreign layer "
                                f"that the runtime fetches from {where}")
        else:
            _read_layer(tree, layer, number, what)
        if on_layer is not None:
            on_layer(number + 1, len(layers))
    return tree


def _read_layer(tree: FileTree, layer: Layer, number: int, what: str) -> None:
    label = f"layer {number + 1} ({layer.descriptor.digest.short()}) of {what}"
    with open_layer_tar(layer, label) as tar:
        if tar is None:
            tree.skipped.append(f"{label} is zstd-compressed, which goship cannot read")
            return
        for member in tar:
            tree.add_member(tar, member, number)


@contextmanager
def open_layer_tar(layer: Layer, label: str) -> Iterator[tarfile.TarFile | None]:
    """The layer as a tar stream (gzip or uncompressed); None for a zstd layer. ``label``
    names the layer in errors. Leaving the block reads the rest of the layer, which lets a
    registry download check the blob's digest."""
    try:
        with layer.open() as raw:
            magic = raw.read(4)
            if magic == _ZSTD_MAGIC:
                yield None
                return
            stream: IO[bytes] = io.BufferedReader(_Rejoined(magic, raw), CHUNK)
            if magic.startswith(_GZIP_MAGIC):
                stream = gzip_ng_threaded.open(stream, "rb", threads=1)  # type: ignore[no-untyped-call]
            with stream, tarfile.open(fileobj=stream, mode="r|") as tar:
                yield tar
                while stream.read(CHUNK):
                    pass
    except (*_INFLATE_ERRORS, OSError) as exc:
        raise ImageError(f"{label} cannot be read as a tar stream: {exc}",
                         "the image is corrupt or truncated; build or pull it again") from exc


def _pem_labels(content: bytes) -> tuple[str, ...]:
    if b"-----BEGIN " not in content:
        return ()
    return tuple(dict.fromkeys(match.group(1).decode("ascii") for match in _PEM_BEGIN.finditer(content)))


class _Rejoined(io.RawIOBase):
    """A stream whose first bytes were already read (to see the compression), put back."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            count = min(len(view), len(self._head))
            view[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        data = self._rest.read(len(view))
        view[: len(data)] = data
        return len(data)
