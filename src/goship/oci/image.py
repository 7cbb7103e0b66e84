"""Images and image indexes as read-only values.

An ``Image`` is a config plus layers; its manifest, digests and sizes are derived on first
use and never change. Nothing is written anywhere until a destination asks for the bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property

from goship.oci import mediatypes
from goship.oci.digest import Digest
from goship.oci.imageconfig import ImageConfig
from goship.oci.layer import Layer
from goship.oci.manifest import Descriptor, Index, Manifest
from goship.oci.platform import Platform


@dataclass(frozen=True)
class Image:
    config: ImageConfig
    layers: tuple[Layer, ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()
    # The base this image was built on, for org.opencontainers.image.base.* and mounts.
    base_name: str = ""
    base_digest: Digest | None = None

    @cached_property
    def config_bytes(self) -> bytes:
        return self.config.to_bytes()

    @cached_property
    def config_descriptor(self) -> Descriptor:
        raw = self.config_bytes
        return Descriptor(mediatypes.OCI_CONFIG, Digest.of_bytes(raw), len(raw))

    @cached_property
    def manifest(self) -> Manifest:
        return Manifest(
            config=self.config_descriptor,
            layers=tuple(layer.descriptor for layer in self.layers),
            annotations=self.annotations,
        )

    @cached_property
    def manifest_bytes(self) -> bytes:
        return self.manifest.to_bytes()

    @cached_property
    def digest(self) -> Digest:
        return Digest.of_bytes(self.manifest_bytes)

    @property
    def platform(self) -> Platform:
        return self.config.platform

    def descriptor(self) -> Descriptor:
        return Descriptor(
            mediatypes.OCI_MANIFEST, self.digest, len(self.manifest_bytes), platform=self.platform
        )

    @property
    def compressed_size(self) -> int:
        """Bytes a pull moves: manifest, config and every layer."""
        return (
            len(self.manifest_bytes)
            + self.config_descriptor.size
            + sum(layer.descriptor.size for layer in self.layers)
        )

    def with_annotations(self, annotations: dict[str, str]) -> Image:
        merged = dict(self.annotations)
        merged.update(annotations)
        return replace(self, annotations=tuple(sorted(merged.items())))

    def with_config(self, config: ImageConfig) -> Image:
        return replace(self, config=config)

    def with_layers(self, *layers: Layer) -> Image:
        return replace(self, layers=self.layers + layers)


@dataclass(frozen=True)
class ImageIndex:
    images: tuple[Image, ...]
    annotations: tuple[tuple[str, str], ...] = field(default=())

    @cached_property
    def index(self) -> Index:
        return Index(
            manifests=tuple(image.descriptor() for image in self.images),
            annotations=self.annotations,
        )

    @cached_property
    def index_bytes(self) -> bytes:
        return self.index.to_bytes()

    @cached_property
    def digest(self) -> Digest:
        return Digest.of_bytes(self.index_bytes)

    def descriptor(self) -> Descriptor:
        return Descriptor(mediatypes.OCI_INDEX, self.digest, len(self.index_bytes))

    @property
    def platforms(self) -> tuple[Platform, ...]:
        return tuple(image.platform for image in self.images)

    @property
    def compressed_size(self) -> int:
        """Bytes stored for all platforms, each distinct blob counted once."""
        seen: dict[Digest, int] = {}
        for image in self.images:
            seen[image.digest] = len(image.manifest_bytes)
            seen[image.config_descriptor.digest] = image.config_descriptor.size
            for layer in image.layers:
                seen[layer.descriptor.digest] = layer.descriptor.size
        return len(self.index_bytes) + sum(seen.values())


Artifact = Image | ImageIndex


def images_of(artifact: Artifact) -> tuple[Image, ...]:
    return artifact.images if isinstance(artifact, ImageIndex) else (artifact,)


def unique_layers(artifact: Artifact) -> Iterator[Layer]:
    """Every distinct layer of the artifact, each once, in a stable order."""
    seen: set[Digest] = set()
    for image in images_of(artifact):
        for layer in image.layers:
            if layer.descriptor.digest not in seen:
                seen.add(layer.descriptor.digest)
                yield layer
