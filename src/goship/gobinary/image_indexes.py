"""Which image index each platform image of an image tarball belongs to
(``Subject.index_digest``).

An OCI layout or a registry reference records this as it is opened
(``InspectedImage.index_digest``); a tarball's images come from its manifest.json, which
does not say. Its index.json (goship and ``docker save`` write one beside manifest.json) does:
a tarball is not a reference, so an image belongs to the index that lists it when exactly one
index does.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from goship.oci import mediatypes
from goship.oci.blobstore import BlobSource
from goship.oci.digest import Digest
from goship.oci.layout import INDEX_FILE, REF_NAME
from goship.oci.manifest import Descriptor, Index
from goship.oci.tarball_read import TarArchive
from goship.policy.image_source import InspectedImage

MAX_DEPTH = 4  # indexes of indexes: one level is common, more is a malformed archive


def tarball_index_digests(path: Path, images: Sequence[InspectedImage]) -> list[Digest | None]:
    """For each image of the tarball at ``path``, the one index of its index.json listing it."""
    archive = TarArchive.scan(path)
    if INDEX_FILE not in archive.members:
        return [None] * len(images)
    entries = [(item.annotation(REF_NAME) or "", item)
               for item in Index.from_bytes(archive.member_bytes(INDEX_FILE)).manifests]
    found: list[Digest | None] = []
    for image in images:
        holders = {descriptor.digest for _, descriptor in entries
                   if mediatypes.is_index(descriptor.media_type)
                   and image.digest in _listed(archive, descriptor, 0)}
        found.append(holders.pop() if len(holders) == 1 else None)
    return found


def _listed(blobs: BlobSource, descriptor: Descriptor, depth: int) -> set[Digest]:
    """The manifest digests an index lists, through nested indexes."""
    listed: set[Digest] = set()
    if depth > MAX_DEPTH:
        return listed
    for item in Index.from_bytes(blobs.read_bytes(descriptor)).manifests:
        if mediatypes.is_index(item.media_type):
            listed |= _listed(blobs, item, depth + 1)
        else:
            listed.add(item.digest)
    return listed
