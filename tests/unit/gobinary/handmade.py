"""Hand-made images for the Go binary search tests, written with goship's own oci module.

``Member`` covers what TarEntry does not: hard links, and whiteouts written as plain tar
members. Layers are gzip'd tar streams in a blob directory; images and indexes are written
into an OCI layout (or a tarball) for ``find_go_binaries`` to read back.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from goship.oci import mediatypes
from goship.oci.digest import Digest
from goship.oci.image import Image
from goship.oci.imageconfig import ImageConfig
from goship.oci.layer import FileLayer, Layer
from goship.oci.manifest import Descriptor
from goship.oci.platform import Platform

ELF_GO_PATH = "example.com/go117"  # the main package of Go's debug/buildinfo go117 test binary


@dataclass(frozen=True)
class Member:
    """One tar member: a file (``data``), a directory, a symlink or a hard link (``link``)."""

    path: str
    data: bytes | None = None
    kind: str = "file"  # "file", "dir", "symlink", "hardlink"
    link: str = ""
    mode: int = 0o755


def file(path: str, data: bytes, mode: int = 0o755) -> Member:
    return Member(path, data, "file", "", mode)


def directory(path: str) -> Member:
    return Member(path, None, "dir")


def symlink(path: str, target: str) -> Member:
    return Member(path, None, "symlink", target, 0o777)


def hardlink(path: str, target: str) -> Member:
    return Member(path, None, "hardlink", target)


def whiteout(path: str) -> Member:
    """The member that deletes ``path`` of the layers below (``dir/.wh.name``)."""
    parent, _, name = path.rpartition("/")
    return Member(f"{parent}/.wh.{name}" if parent else f".wh.{name}", b"", "file", "", 0o644)


class Blobs:
    """Writes layers into ``directory`` and assembles images from them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        (directory / "sha256").mkdir(parents=True, exist_ok=True)

    def layer(self, members: Sequence[Member]) -> FileLayer:
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for member in members:
                info = tarfile.TarInfo(member.path)
                info.mode = member.mode
                if member.kind == "dir":
                    info.type = tarfile.DIRTYPE
                    tar.addfile(info)
                elif member.kind in ("symlink", "hardlink"):
                    info.type = tarfile.SYMTYPE if member.kind == "symlink" else tarfile.LNKTYPE
                    info.linkname = member.link
                    tar.addfile(info)
                else:
                    info.size = len(member.data or b"")
                    tar.addfile(info, io.BytesIO(member.data or b""))
        compressed = gzip.compress(raw.getvalue(), mtime=0)
        return self.blob(compressed, mediatypes.OCI_LAYER_GZIP, Digest.of_bytes(raw.getvalue()))

    def blob(self, data: bytes, media_type: str, diff_id: Digest | None = None) -> FileLayer:
        digest = Digest.of_bytes(data)
        path = self.directory / "sha256" / digest.hex
        path.write_bytes(data)
        return FileLayer(path, Descriptor(media_type, digest, len(data)), diff_id or digest)

    def zstd_layer(self) -> FileLayer:
        """A layer goship cannot read: zstd-compressed (its content does not matter)."""
        return self.blob(b"\x28\xb5\x2f\xfd" + b"\x00" * 60, mediatypes.OCI_LAYER_ZSTD)


def image(layers: Sequence[Layer], platform: str = "linux/amd64") -> Image:
    config = ImageConfig.empty(Platform.parse(platform))
    for layer in layers:
        config = config.with_layer(layer.diff_id, "test", "2024-10-01T12:00:00Z")
    return Image(config.with_runtime(Entrypoint=["/app/hello"]), tuple(layers))
