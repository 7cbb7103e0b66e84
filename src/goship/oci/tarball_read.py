"""Reading image tarballs: docker-archive (``docker save``, old and new) and OCI archives.

Three shapes are accepted: what goship and ``docker save`` since Docker 25 write (an OCI
layout plus Docker's ``manifest.json`` over the same blobs), older ``docker save`` tarballs
(``manifest.json`` naming ``<id>/layer.tar`` members) and plain OCI archives (``index.json``
only). Where the OCI manifests are there they are used, so layer descriptors come back
exactly as written; otherwise layers are described from their bytes.

Layers read their bytes straight out of the tar file by offset, so the tarball must stay in
place while the images are in use, and it must not be compressed. ``TarFile`` only lists the
members; each layer opens the file itself at its offset, so a layer can be read any number of
times without a ``TarFile`` kept open for the life of the image.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import posixpath
import tarfile
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from goship.errors import ImageError
from goship.oci import mediatypes
from goship.oci.blobstore import ForeignLayer, artifact_from_blobs, image_from_manifest, verify_bytes
from goship.oci.digest import CHUNK, Digest
from goship.oci.image import Image, images_of
from goship.oci.imageconfig import ImageConfig
from goship.oci.layer import Layer
from goship.oci.layout import BLOBS_DIR, INDEX_FILE, REF_NAME
from goship.oci.manifest import Descriptor, Index, Manifest
from goship.oci.reference import Reference

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

DOCKER_MANIFEST_FILE = "manifest.json"
CONTAINERD_IMAGE_NAME = "io.containerd.image.name"
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def read_tarball(path: Path) -> list[Image]:
    """The images of a docker-archive (or plain OCI archive) tarball, in its order."""
    return [image for image, _ in read_tarball_tagged(path)]


def read_tarball_tagged(path: Path) -> list[tuple[Image, list[str]]]:
    """Like ``read_tarball``, with each image's tags (``RepoTags``, or OCI ref names)."""
    archive = TarArchive.scan(path)
    if DOCKER_MANIFEST_FILE in archive.members:
        return _docker_images(archive)
    if INDEX_FILE in archive.members:
        return _oci_images(archive)
    raise ImageError(f"{path} is neither a docker-archive nor an OCI archive tarball",
                     f"it has no {DOCKER_MANIFEST_FILE} and no {INDEX_FILE}")


@dataclass(frozen=True)
class ArchiveLayer:
    """A layer whose bytes are a member of a tar file, read in place by offset."""

    archive: Path
    offset: int
    descriptor: Descriptor
    diff_id: Digest
    origin: Reference | None = None

    def open(self) -> AbstractContextManager[BinaryIO]:
        handle = self.archive.open("rb")
        handle.seek(self.offset)
        return io.BufferedReader(_Slice(handle, self.descriptor.size), CHUNK)


class _Slice(io.RawIOBase):
    """``size`` bytes of an open file from its current position."""

    def __init__(self, handle: BinaryIO, size: int) -> None:
        super().__init__()
        self._handle = handle
        self._remaining = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        wanted = min(len(view), self._remaining)
        if wanted <= 0:
            return 0
        data = self._handle.read(wanted)
        view[: len(data)] = data
        self._remaining -= len(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._handle.close()
        super().close()


class TarArchive:
    """The regular members of an uncompressed tar file, by normalised name."""

    def __init__(self, path: Path, members: dict[str, tarfile.TarInfo]) -> None:
        self.path = path
        self.members = members

    @classmethod
    def scan(cls, path: Path) -> TarArchive:
        try:
            with path.open("rb") as handle:
                magic = handle.read(4)
                if magic.startswith(_GZIP_MAGIC) or magic == _ZSTD_MAGIC:
                    raise ImageError(f"{path} is a compressed tarball",
                                     "decompress it first (gunzip / zstd -d), then read it")
                handle.seek(0)
                with tarfile.open(fileobj=handle, mode="r:") as tar:
                    infos = tar.getmembers()
        except OSError as exc:
            raise ImageError(f"cannot read tarball {path}: {exc.strerror or exc}",
                             "check the path and its permissions") from exc
        except tarfile.TarError as exc:
            raise ImageError(f"{path} is not a readable tar file: {exc}",
                             "the tarball is truncated or corrupt; write it again") from exc
        files: dict[str, tarfile.TarInfo] = {}
        links: dict[str, str] = {}
        for info in infos:
            name = _normalise(info.name)
            if info.isreg() and not info.issparse():
                files[name] = info
            elif info.issym():
                links[name] = _normalise(posixpath.join(posixpath.dirname(name), info.linkname))
            elif info.islnk():
                links[name] = _normalise(info.linkname)
        for name, target in links.items():
            for _ in range(16):
                if target not in links:
                    break
                target = links[target]
            if target in files:
                files.setdefault(name, files[target])
        return cls(path, files)

    def member_bytes(self, name: str) -> bytes:
        info = self._member(name)
        with self._open(info) as stream:
            return stream.read()

    def _member(self, name: str) -> tarfile.TarInfo:
        info = self.members.get(_normalise(name))
        if info is None:
            raise ImageError(f"tarball {self.path} lacks {name}",
                             "the tarball is incomplete; write it again")
        return info

    def _open(self, info: tarfile.TarInfo) -> BinaryIO:
        handle = self.path.open("rb")
        handle.seek(info.offset_data)
        return io.BufferedReader(_Slice(handle, info.size), CHUNK)

    # BlobSource
    def read_bytes(self, descriptor: Descriptor) -> bytes:
        name = _blob_name(descriptor.digest)
        if self._member(name).size != descriptor.size:
            raise ImageError(f"{self.path}:{name} does not have the size its descriptor gives",
                             "the tarball is corrupt; write it again")
        return verify_bytes(self.member_bytes(name), descriptor, f"{self.path}:{name}")

    def layer(self, descriptor: Descriptor, diff_id: Digest) -> Layer:
        info = self.members.get(_blob_name(descriptor.digest))
        if info is None and descriptor.is_foreign:
            return ForeignLayer(descriptor, diff_id)
        info = info or self._member(_blob_name(descriptor.digest))
        if info.size != descriptor.size:
            raise ImageError(f"layer {descriptor.digest.short()} in {self.path} has the wrong size",
                             "the tarball is corrupt; write it again")
        return ArchiveLayer(self.path, info.offset_data, descriptor, diff_id)

    def docker_layer(self, name: str, diff_id: Digest, source: Any) -> Layer:
        """A layer named by path in manifest.json: describe it from its bytes."""
        info = self.members.get(_normalise(name))
        if info is None and isinstance(source, dict):
            return ForeignLayer(Descriptor.from_json(source), diff_id)
        info = info or self._member(name)
        with self._open(info) as stream:
            magic = stream.read(4)
            hasher = hashlib.sha256(magic)
            while chunk := stream.read(CHUNK):
                hasher.update(chunk)
        if magic.startswith(_GZIP_MAGIC):
            media_type = mediatypes.OCI_LAYER_GZIP
        elif magic == _ZSTD_MAGIC:
            media_type = mediatypes.OCI_LAYER_ZSTD
        else:
            media_type = mediatypes.OCI_LAYER
        descriptor = Descriptor(media_type, Digest("sha256", hasher.hexdigest()), info.size)
        return ArchiveLayer(self.path, info.offset_data, descriptor, diff_id)

    def manifests_by_config(self) -> dict[Digest, bytes]:
        """The OCI image manifests reachable from index.json, keyed by their config digest."""
        found: dict[Digest, bytes] = {}
        if INDEX_FILE not in self.members:
            return found
        pending = list(Index.from_bytes(self.member_bytes(INDEX_FILE)).manifests)
        while pending:
            descriptor = pending.pop(0)
            if mediatypes.is_index(descriptor.media_type):
                pending.extend(Index.from_bytes(self.read_bytes(descriptor)).manifests)
            elif mediatypes.is_manifest(descriptor.media_type):
                raw = self.read_bytes(descriptor)
                found.setdefault(Manifest.from_bytes(raw).config.digest, raw)
        return found


def _docker_images(archive: TarArchive) -> list[tuple[Image, list[str]]]:
    try:
        entries = json.loads(archive.member_bytes(DOCKER_MANIFEST_FILE))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImageError(f"{archive.path}: {DOCKER_MANIFEST_FILE} is not valid JSON: {exc}",
                         "the tarball is corrupt; write it again") from exc
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ImageError(f"{archive.path}: {DOCKER_MANIFEST_FILE} is not a list of images",
                         "the tarball is corrupt; write it again")
    # A tarball written by goship or Docker 25+ also holds the OCI manifests: using them keeps
    # the layer descriptors exactly as written. Older tarballs fall back to describing layers
    # from their bytes; a broken OCI part does not stop reading the Docker part.
    oci: dict[Digest, bytes] = {}
    with contextlib.suppress(ImageError):
        oci = archive.manifests_by_config()
    images: list[tuple[Image, list[str]]] = []
    for entry in entries:
        config_name = entry.get("Config")
        layer_names = entry.get("Layers") or []
        tags = entry.get("RepoTags") or []
        if not isinstance(config_name, str) or not isinstance(layer_names, list):
            raise ImageError(f"{archive.path}: an entry of {DOCKER_MANIFEST_FILE} lacks Config "
                             "or Layers", "the tarball is corrupt; write it again")
        config_raw = archive.member_bytes(config_name)
        manifest_raw = oci.get(Digest.of_bytes(config_raw))
        if manifest_raw is not None:
            image = image_from_manifest(archive, manifest_raw)
        else:
            config = ImageConfig.from_bytes(config_raw)
            diff_ids = config.diff_ids
            if len(diff_ids) != len(layer_names):
                raise ImageError(f"{archive.path}: config {config_name} lists {len(diff_ids)} "
                                 f"diff IDs for {len(layer_names)} layers",
                                 "the tarball is corrupt; write it again")
            sources = entry.get("LayerSources") or {}
            image = Image(config, tuple(
                archive.docker_layer(str(name), diff_id, sources.get(str(diff_id)))
                for name, diff_id in zip(layer_names, diff_ids, strict=True)
            ))
        images.append((image, [str(tag) for tag in tags]))
    return images


def _oci_images(archive: TarArchive) -> list[tuple[Image, list[str]]]:
    index = Index.from_bytes(archive.member_bytes(INDEX_FILE))
    images: list[tuple[Image, list[str]]] = []
    for descriptor in index.manifests:
        name = descriptor.annotation(CONTAINERD_IMAGE_NAME) or descriptor.annotation(REF_NAME)
        artifact = artifact_from_blobs(archive, descriptor)
        images.extend((image, [name] if name else []) for image in images_of(artifact))
    return images


def _blob_name(digest: Digest) -> str:
    return f"{BLOBS_DIR}/{digest.algorithm}/{digest.hex}"


def _normalise(name: str) -> str:
    return posixpath.normpath(name.lstrip("/")).removeprefix("./")
