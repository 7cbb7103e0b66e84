"""Image tarballs that both ``docker load`` and OCI tools read.

The tarball holds an OCI image layout (``oci-layout``, ``index.json``, ``blobs/sha256/...``)
and, next to it, Docker's ``manifest.json`` whose ``Config`` and ``Layers`` point at the same
blobs, which is what ``docker save`` writes since Docker 25. Each blob is stored once; the
layers stay gzip-compressed, which docker, podman and skopeo all accept.

The tar stream is written here from ``TarInfo`` headers rather than through ``TarFile`` so
that a layer is copied once and hashed on the way (the same check as the layout writer);
every member gets mtime 0, uid/gid 0, no owner names, mode 0644 (0755 for directories), and
members are sorted, so the same images always give the same bytes.

Reading (these tarballs, older ``docker save`` tarballs and plain OCI archives) lives in
``tarball_read``; its public names are importable from here too.
"""

from __future__ import annotations

import io
import posixpath
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from goship.errors import OutputError, UsageError
from goship.oci.blobstore import Opener, copy_verified
from goship.oci.canonical import canonical_json
from goship.oci.digest import Digest
from goship.oci.filelock import atomic_file
from goship.oci.image import Image
from goship.oci.layout import BLOBS_DIR, INDEX_FILE, LAYOUT_FILE, LAYOUT_VERSION, REF_NAME
from goship.oci.manifest import Descriptor, Index
from goship.oci.reference import DEFAULT_REGISTRY, Reference
from goship.oci.tarball_read import (
    CONTAINERD_IMAGE_NAME,
    DOCKER_MANIFEST_FILE,
    ArchiveLayer,
    TarArchive,
    read_tarball,
    read_tarball_tagged,
)

__all__ = [
    "CONTAINERD_IMAGE_NAME",
    "DOCKER_MANIFEST_FILE",
    "ArchiveLayer",
    "TarArchive",
    "read_tarball",
    "read_tarball_tagged",
    "repo_tag",
    "short_name",
    "write_tarball",
]

_BLOCK = tarfile.BLOCKSIZE
_RECORD = tarfile.RECORDSIZE


def repo_tag(text: str) -> str:
    """The fully qualified ``registry/repository:tag`` that ``RepoTags`` holds.

    Docker shows ``docker.io/library/api:v1`` as ``api:v1`` either way, while podman and
    buildah would file a bare ``api:v1`` under ``localhost/``; the full name means the same
    image to all of them.
    """
    reference = Reference.parse(text)
    if not reference.tag:
        raise UsageError(
            f"'{text}' has no tag, and an image tarball names its images by tag",
            "give a tag, e.g. api:v1 (a digest alone cannot name an image in a tarball)",
        )
    return f"{reference.name}:{reference.tag}"


def short_name(text: str) -> str:
    """The name Docker shows (``api:v1``, ``team/api:v1``, ``host:5000/api:v1``)."""
    reference = Reference.parse(text)
    name = reference.name
    if reference.registry == DEFAULT_REGISTRY:
        name = reference.repository
        if name.startswith("library/") and name.count("/") == 1:
            name = name.removeprefix("library/")
    return f"{name}:{reference.tag}" if reference.tag else name


# ---------------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class _Member:
    descriptor: Descriptor
    opener: Opener


def write_tarball(path: Path, images: Sequence[tuple[Image, list[str]]]) -> None:
    """Write images with their tags (``[registry/]repo:tag``) into a docker/OCI tarball.

    ``RepoTags`` and ``io.containerd.image.name`` get the fully qualified name; the OCI
    ``org.opencontainers.image.ref.name`` gets the short one (``api:v1``), so that
    ``oci-archive:images.tar:api:v1`` selects it.
    """
    if not images:
        raise UsageError(f"no images to write into {path}", "give at least one image")
    tagged = [(image, list(dict.fromkeys(repo_tag(tag) for tag in tags))) for image, tags in images]
    members = _plan(tagged)
    if path.is_dir():
        raise OutputError(f"cannot write tarball {path}: it is a directory",
                          "give a file name for the tarball, e.g. images.tar")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(path, prefix=f".{path.name}.", suffix=".tmp") as out:
            _write_members(out, members)
    except OSError as exc:
        raise _output_error(path, exc) from exc


def _plan(tagged: list[tuple[Image, list[str]]]) -> dict[str, _Member]:
    """Every member of the tarball by name: the blobs once each, then the three JSON files."""
    members: dict[str, _Member] = {}

    def blob_name(descriptor: Descriptor) -> str:
        return f"{BLOBS_DIR}/{descriptor.digest.algorithm}/{descriptor.digest.hex}"

    def add_bytes(name: str, raw: bytes) -> None:
        members[name] = _Member(Descriptor("", Digest.of_bytes(raw), len(raw)),
                                lambda: io.BytesIO(raw))

    docker_manifest: list[dict[str, Any]] = []
    index_entries: list[Descriptor] = []
    for image, tags in tagged:
        sources: dict[str, Any] = {}
        for layer in image.layers:
            if layer.descriptor.is_foreign:
                sources[str(layer.diff_id)] = layer.descriptor.to_json()
            else:
                members[blob_name(layer.descriptor)] = _Member(layer.descriptor, layer.open)
        add_bytes(blob_name(image.config_descriptor), image.config_bytes)
        add_bytes(blob_name(image.descriptor()), image.manifest_bytes)
        entry: dict[str, Any] = {
            "Config": blob_name(image.config_descriptor),
            "RepoTags": tags,
            "Layers": [blob_name(layer.descriptor) for layer in image.layers],
        }
        if sources:
            entry["LayerSources"] = sources
        docker_manifest.append(entry)
        index_entries.extend(
            image.descriptor().with_annotations(
                {REF_NAME: short_name(tag), CONTAINERD_IMAGE_NAME: tag}
            )
            for tag in tags
        )
        if not tags:
            index_entries.append(image.descriptor())
    add_bytes(LAYOUT_FILE, canonical_json({"imageLayoutVersion": LAYOUT_VERSION}))
    add_bytes(INDEX_FILE, Index(tuple(index_entries)).to_bytes())
    add_bytes(DOCKER_MANIFEST_FILE, canonical_json(docker_manifest))
    return members


def _write_members(out: BinaryIO, members: dict[str, _Member]) -> None:
    directories: set[str] = set()
    for name in members:
        while (name := posixpath.dirname(name)) and name not in directories:
            directories.add(name)
    names = sorted([*members, *directories], key=lambda name: name.split("/"))
    offset = 0
    for name in names:
        member = members.get(name)
        header = _header(name, member.descriptor.size if member else 0, member is None)
        out.write(header)
        offset += len(header)
        if member is None:
            continue
        copy_verified(member.opener, member.descriptor, out.write)
        offset += member.descriptor.size
        padding = -member.descriptor.size % _BLOCK
        out.write(b"\0" * padding)
        offset += padding
    # The end-of-archive marker and record padding exactly as tarfile writes them.
    end = 2 * _BLOCK
    end += -(offset + end) % _RECORD
    out.write(b"\0" * end)


def _header(name: str, size: int, directory: bool) -> bytes:
    info = tarfile.TarInfo(name + "/" if directory else name)
    info.type = tarfile.DIRTYPE if directory else tarfile.REGTYPE
    info.size = size
    info.mode = 0o755 if directory else 0o644
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def _output_error(path: Path, exc: OSError) -> OutputError:
    return OutputError(
        f"cannot write tarball {path}: {exc.filename or path}: {exc.strerror or exc}",
        "check that the directory exists, is writable and has free space",
    )
