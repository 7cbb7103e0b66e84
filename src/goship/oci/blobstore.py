"""Images read back out of a store of content-addressed blobs, and blobs checked on the way.

An OCI layout directory and an image tarball both keep an image as blobs named by digest:
the manifest or index, the config, the layers. A ``BlobSource`` is such a store; the
functions here rebuild ``Image`` and ``ImageIndex`` values from one without caring which.
Every blob is checked against its descriptor (size and digest) as it is read or copied, so
a changed or truncated blob is an ``ImageError`` rather than a bad image.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

from goship.errors import ImageError
from goship.oci import mediatypes
from goship.oci.digest import CHUNK, Digest
from goship.oci.image import Image, ImageIndex, images_of
from goship.oci.imageconfig import ImageConfig
from goship.oci.layer import Layer
from goship.oci.manifest import Descriptor, Index, Manifest, media_type_of
from goship.oci.platform import Platform
from goship.oci.reference import Reference

BASE_NAME = "org.opencontainers.image.base.name"
BASE_DIGEST = "org.opencontainers.image.base.digest"

Opener = Callable[[], AbstractContextManager[BinaryIO]]


class BlobSource(Protocol):
    """Where the blobs of a stored image come from: a layout directory or a tarball."""

    def read_bytes(self, descriptor: Descriptor) -> bytes:
        """A small blob (manifest, index, config), verified against its descriptor."""

    def layer(self, descriptor: Descriptor, diff_id: Digest) -> Layer:
        """The layer behind a manifest's layer descriptor, without reading it."""


@dataclass(frozen=True)
class ForeignLayer:
    """A non-distributable layer (a Windows base layer) that a layout or tarball omits.

    Its bytes live at the descriptor's URLs; a runtime fetches them there.
    """

    descriptor: Descriptor
    diff_id: Digest
    origin: Reference | None = None

    def open(self) -> AbstractContextManager[BinaryIO]:
        urls = ", ".join(self.descriptor.urls) or "no URL"
        raise ImageError(
            f"layer {self.descriptor.digest.short()} is foreign and not stored locally ({urls})",
            "foreign (non-distributable) layers are pulled by the runtime from their URLs",
        )


def artifact_from_blobs(source: BlobSource, descriptor: Descriptor) -> Image | ImageIndex:
    """Build the image or index a descriptor points at from the blobs of ``source``."""
    raw = source.read_bytes(descriptor)
    media_type = descriptor.media_type or media_type_of(raw)
    if mediatypes.is_index(media_type):
        index = Index.from_bytes(raw)
        images = tuple(
            image_from_manifest(source, source.read_bytes(item))
            for item in index.manifests
            if mediatypes.is_manifest(item.media_type)
        )
        return ImageIndex(images, index.annotations)
    if mediatypes.is_manifest(media_type):
        return image_from_manifest(source, raw)
    raise ImageError(f"{descriptor.digest.short()} has media type '{media_type}'",
                     "goship loads image manifests and image indexes only")


def image_from_manifest(source: BlobSource, raw: bytes) -> Image:
    manifest = Manifest.from_bytes(raw)
    config = ImageConfig.from_bytes(source.read_bytes(manifest.config))
    diff_ids = config.diff_ids
    if len(diff_ids) != len(manifest.layers):
        raise ImageError(
            f"image config {manifest.config.digest.short()} lists {len(diff_ids)} diff IDs "
            f"for {len(manifest.layers)} layers",
            "the image is corrupt",
        )
    layers = tuple(
        source.layer(item, diff_id) for item, diff_id in zip(manifest.layers, diff_ids, strict=True)
    )
    annotations = dict(manifest.annotations)
    base_digest: Digest | None = None
    with contextlib.suppress(ImageError):
        base_digest = Digest.parse(annotations.get(BASE_DIGEST, ""))
    return Image(config, layers, manifest.annotations, annotations.get(BASE_NAME, ""), base_digest)


def select_platform(
    artifact: Image | ImageIndex, platform: Platform | None, where: str
) -> Image | ImageIndex:
    if platform is None:
        return artifact
    for image in images_of(artifact):
        if image.platform.matches(platform):
            return image
    available = ", ".join(str(image.platform) for image in images_of(artifact)) or "none"
    raise ImageError(f"{where} has no image for platform {platform} (it has {available})",
                     "choose one of the platforms it has, or build the image for yours")


def verify_bytes(raw: bytes, descriptor: Descriptor, what: str) -> bytes:
    try:
        actual = hashlib.new(descriptor.digest.algorithm, raw).hexdigest()
    except ValueError as exc:
        raise ImageError(f"{what}: unsupported digest algorithm", "use sha256 digests") from exc
    if len(raw) != descriptor.size or actual != descriptor.digest.hex:
        raise ImageError(f"{what} does not match its digest {descriptor.digest}",
                         "the blob is corrupt; write it again")
    return raw


def copy_verified(opener: Opener, descriptor: Descriptor, sink: Callable[[bytes], Any]) -> None:
    """Stream a blob to ``sink``, raising ImageError when its bytes do not match the descriptor.

    Errors while reading the source are the source's fault (ImageError); errors raised by the
    sink propagate unchanged so that the caller can name its destination.
    """
    what = f"blob {descriptor.digest.short()}"
    try:
        hasher = hashlib.new(descriptor.digest.algorithm)
    except ValueError as exc:
        raise ImageError(f"{what}: unsupported digest algorithm", "use sha256 digests") from exc
    size = 0
    with contextlib.ExitStack() as stack:
        try:
            source = stack.enter_context(opener())
        except OSError as exc:
            raise ImageError(f"cannot open {what}: {exc}", "the layer's source is gone") from exc
        while size <= descriptor.size:
            try:
                chunk = source.read(CHUNK)
            except OSError as exc:
                raise ImageError(f"cannot read {what}: {exc}",
                                 "the layer's source is gone") from exc
            if not chunk:
                break
            hasher.update(chunk)
            size += len(chunk)
            if size <= descriptor.size:
                sink(chunk)
    if size != descriptor.size or hasher.hexdigest() != descriptor.digest.hex:
        got = f"more than {descriptor.size} bytes" if size > descriptor.size else (
            f"{size} bytes with digest sha256:{hasher.hexdigest()}")
        raise ImageError(
            f"{what} does not match its descriptor: expected {descriptor.size} bytes with "
            f"digest {descriptor.digest}, read {got}",
            "a cached layer was changed or truncated; clear the cache and build again",
        )
