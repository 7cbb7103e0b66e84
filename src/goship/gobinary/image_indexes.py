"""Which image index each platform image of a source belongs to (``Subject.index_digest``).

``open_source`` gives the platform images of a source with their manifest digests, not the
index the user's reference resolved to, so that is found here:

- a registry reference is resolved once, to the digest of what it names, and the images are
  then read by that digest: the index and its images agree even if the tag moves meanwhile;
- an OCI layout's index.json entries are read as ``open_source`` selects them (by name, tag or
  digest); a platform image belongs to the index entry that lists it (through nested indexes
  too), or to none when the entry is the image's own manifest;
- a tarball's index.json (goship and ``docker save`` write one beside manifest.json) is read
  the same way; a tarball is not a reference, so an image belongs to the index that lists it
  when exactly one does.

The source text is split with image_source's own helpers, so both read it the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from goship.oci import mediatypes
from goship.oci.blobstore import BlobSource
from goship.oci.digest import Digest
from goship.oci.layout import INDEX_FILE, REF_NAME, LayoutBlobs, read_layout
from goship.oci.manifest import Descriptor, Index, media_type_of
from goship.oci.tarball_read import TarArchive
from goship.policy.image_source import (
    LAYOUT_PREFIX,
    REGISTRY_PREFIX,
    TARBALL_PREFIXES,
    InspectedImage,
    RegistryAccess,
    _parse_reference,
    _split_local,
)
from goship.policy.inspected_image import tag_of

MAX_DEPTH = 4  # indexes of indexes: one level is common, more is a malformed layout
Entry = tuple[str, Descriptor]  # (ref name or "", descriptor) of an index.json entry


def pin_registry_source(source: str, access: RegistryAccess) -> tuple[str, Digest | None]:
    """``source`` by the digest it resolves to now (as ``docker://REF@sha256:…``), and that
    digest when it names an index."""
    reference = _parse_reference(source)
    with access.client() as client:
        raw, media_type, digest = client.get_manifest(reference)
    pinned = f"{REGISTRY_PREFIX}{reference.with_digest(digest)}"
    return pinned, digest if mediatypes.is_index(media_type or media_type_of(raw)) else None


def local_index_digests(source: str, images: Sequence[InspectedImage]) -> list[Digest | None]:
    """For each image of an OCI layout or tarball source, the index it was selected through."""
    if source.startswith(LAYOUT_PREFIX):
        directory, selector = _split_local(source[len(LAYOUT_PREFIX):], want_dir=True)
        return _layout_indexes(directory, selector, images)
    for prefix in TARBALL_PREFIXES:
        if source.startswith(prefix):
            path, _selector = _split_local(source[len(prefix):], want_dir=False)
            return _tarball_indexes(path, images)
    return [None] * len(images)


def _layout_indexes(directory: Path, selector: str,
                    images: Sequence[InspectedImage]) -> list[Digest | None]:
    if selector.startswith(("sha256:", "sha512:")):
        # Asked for by digest: that digest is an index when the images have other digests.
        top = Digest.parse(selector)
        return [top if image.digest != top else None for image in images]
    entries = read_layout(directory)
    if selector:  # as open_source selects: the exact ref name, else entries with that tag
        chosen = [entry for entry in entries if entry[0] == selector]
        entries = chosen or [entry for entry in entries if tag_of(entry[0]) == selector]
    blobs = LayoutBlobs(directory)
    found: list[Digest | None] = []
    for image in images:
        candidates = [entry for entry in entries if not image.name or entry[0] == image.name]
        found.append(_holder(blobs, candidates, image.digest))
    return found


def _tarball_indexes(path: Path, images: Sequence[InspectedImage]) -> list[Digest | None]:
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


def _holder(blobs: BlobSource, entries: list[Entry], digest: Digest | None) -> Digest | None:
    """The first entry that is the image's own manifest (None) or an index listing it."""
    for _name, descriptor in entries:
        if descriptor.digest == digest:
            return None
        if mediatypes.is_index(descriptor.media_type) and digest in _listed(blobs, descriptor, 0):
            return descriptor.digest
    return None


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
