"""What the SBOM stage hands around: the neutral inventory every format is written from, the
formats and their media types, and the errors.

An ``Inventory`` is one SBOM document's content with no format in it yet: the described
thing (an image, an index of platform images, or a binary), its components, and which
component depends on which. ``goship.supply.sbom.model`` makes it from the Go binaries
``goship.gobinary.subject.find_go_binaries`` found; ``cyclonedx`` and ``spdx`` write it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol
from uuid import UUID

from goship.errors import ImageError, UsageError

Format = Literal["cyclonedx", "spdx"]
FORMATS: tuple[Format, ...] = ("cyclonedx", "spdx")
Kind = Literal["container", "application", "library"]

# The media type of the document as a layer under cosign's `sha256-<hex>.sbom` tag (cosign's
# SBOM specification) and as the artifact type of an OCI 1.1 referrer (IANA's SPDX type).
LAYER_MEDIA_TYPES: dict[Format, str] = {
    "cyclonedx": "application/vnd.cyclonedx+json",
    "spdx": "text/spdx+json",
}
ARTIFACT_TYPES: dict[str, str] = {
    "application/vnd.cyclonedx+json": "application/vnd.cyclonedx+json",
    "text/spdx+json": "application/spdx+json",
    "application/spdx+json": "application/spdx+json",
}

# Property names (CycloneDX properties; SPDX annotations "name=value"), in goship's namespace.
PROPERTY_PREFIX = "goship:"
MODULE_HASH_NOTE = ("The SHA-256 hash of a Go module is its go.sum hash (h1:, base64-decoded): "
                    "a SHA-256 over the list of the module's files and their SHA-256 hashes, "
                    "not the hash of a downloadable file.")


@dataclass(frozen=True)
class Component:
    """One entry of an SBOM: an image, a Go binary, a Go module or the standard library.

    ``ref`` is unique within a document (the CycloneDX bom-ref, the base of the SPDX ID):
    the purl for modules, so a module version shared by several binaries is one component.
    ``sha256`` is the file's hash for a binary, the manifest digest for an image and the
    decoded h1: sum for a module (``module_hash`` says which)."""

    ref: str
    kind: Kind
    name: str
    version: str = ""  # "" when there is none: (devel), a directory replacement
    purl: str = ""
    sha256: str = ""  # lower-case hex
    module_hash: bool = False  # sha256 is a Go module h1: hash, not a file or manifest hash
    properties: tuple[tuple[str, str], ...] = ()  # sorted (name, value)


@dataclass(frozen=True)
class Inventory:
    """One document's content: ``root`` is what it describes; ``components`` the rest,
    sorted by ref; ``dependencies`` each ref with the refs it depends on, sorted."""

    root: Component
    components: tuple[Component, ...]
    dependencies: tuple[tuple[str, tuple[str, ...]], ...]
    serial: UUID  # the CycloneDX serialNumber and the SPDX documentNamespace
    created: datetime  # UTC, whole seconds
    tool_version: str
    properties: tuple[tuple[str, str], ...] = ()

    def component(self, ref: str) -> Component | None:
        if ref == self.root.ref:
            return self.root
        return next((item for item in self.components if item.ref == ref), None)


@dataclass(frozen=True)
class Document:
    """A written SBOM: the bytes, and what they describe (the digest an attachment hangs on:
    the platform image, the index, or None for a binary on disk)."""

    format: Format
    content: bytes = field(repr=False)
    media_type: str
    subject_digest: str | None
    platform: str  # "linux/amd64"; "" for a document covering every platform of an index
    binaries: int
    modules: int


class DocumentWriter(Protocol):
    def __call__(self, inventory: Inventory) -> bytes: ...


class NoGoBinaryError(ImageError):
    """Nothing in the source is a Go program with build information."""


class PlatformNotFoundError(UsageError):
    """``--platform`` names a platform the source has no image for."""
