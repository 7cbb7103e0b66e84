"""Descriptors, image manifests and image indexes, to and from canonical JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from goship.errors import ImageError
from goship.oci import mediatypes
from goship.oci.canonical import canonical_json
from goship.oci.digest import Digest
from goship.oci.platform import Platform


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: Digest
    size: int
    platform: Platform | None = None
    annotations: tuple[tuple[str, str], ...] = ()
    urls: tuple[str, ...] = ()
    artifact_type: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Descriptor:
        try:
            platform = data.get("platform")
            return cls(
                media_type=str(data.get("mediaType", "")),
                digest=Digest.parse(str(data["digest"])),
                size=int(data["size"]),
                platform=Platform.from_json(platform) if isinstance(platform, dict) else None,
                annotations=tuple(sorted((data.get("annotations") or {}).items())),
                urls=tuple(data.get("urls") or ()),
                artifact_type=str(data.get("artifactType", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ImageError(f"malformed descriptor {data!r}: {exc}", "the manifest is corrupt") from exc

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": str(self.digest),
            "size": self.size,
        }
        if self.platform is not None:
            out["platform"] = self.platform.to_json()
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        if self.urls:
            out["urls"] = list(self.urls)
        if self.artifact_type:
            out["artifactType"] = self.artifact_type
        return out

    def annotation(self, key: str) -> str | None:
        return dict(self.annotations).get(key)

    def with_annotations(self, annotations: dict[str, str]) -> Descriptor:
        return replace(self, annotations=tuple(sorted(annotations.items())))

    def with_platform(self, platform: Platform | None) -> Descriptor:
        return replace(self, platform=platform)

    @property
    def is_foreign(self) -> bool:
        return self.media_type in mediatypes.FOREIGN_LAYERS


def _load(raw: bytes, what: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImageError(f"{what} is not valid JSON: {exc}", "the blob is corrupt or not a manifest") from exc
    if not isinstance(data, dict):
        raise ImageError(f"{what} is not a JSON object", "the blob is corrupt or not a manifest")
    return data


@dataclass(frozen=True)
class Manifest:
    config: Descriptor
    layers: tuple[Descriptor, ...]
    media_type: str = mediatypes.OCI_MANIFEST
    annotations: tuple[tuple[str, str], ...] = ()
    subject: Descriptor | None = None
    artifact_type: str = ""

    @classmethod
    def from_bytes(cls, raw: bytes) -> Manifest:
        data = _load(raw, "image manifest")
        if "config" not in data or "layers" not in data:
            raise ImageError("image manifest lacks config or layers", "the blob is not an image manifest")
        subject = data.get("subject")
        return cls(
            config=Descriptor.from_json(data["config"]),
            layers=tuple(Descriptor.from_json(layer) for layer in data["layers"] or ()),
            media_type=str(data.get("mediaType", mediatypes.OCI_MANIFEST)),
            annotations=tuple(sorted((data.get("annotations") or {}).items())),
            subject=Descriptor.from_json(subject) if isinstance(subject, dict) else None,
            artifact_type=str(data.get("artifactType", "")),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": self.media_type,
            "config": self.config.to_json(),
            "layers": [layer.to_json() for layer in self.layers],
        }
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        if self.subject is not None:
            out["subject"] = self.subject.to_json()
        if self.artifact_type:
            out["artifactType"] = self.artifact_type
        return out

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_json())


@dataclass(frozen=True)
class Index:
    manifests: tuple[Descriptor, ...]
    media_type: str = mediatypes.OCI_INDEX
    annotations: tuple[tuple[str, str], ...] = ()
    extra: tuple[tuple[str, Any], ...] = field(default=())

    @classmethod
    def from_bytes(cls, raw: bytes) -> Index:
        data = _load(raw, "image index")
        if not isinstance(data.get("manifests"), list):
            raise ImageError("image index lacks a manifests list", "the blob is not an image index")
        return cls(
            manifests=tuple(Descriptor.from_json(item) for item in data["manifests"]),
            media_type=str(data.get("mediaType", mediatypes.OCI_INDEX)),
            annotations=tuple(sorted((data.get("annotations") or {}).items())),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": self.media_type,
            "manifests": [item.to_json() for item in self.manifests],
        }
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_json())


def media_type_of(raw: bytes) -> str:
    """The mediaType a manifest or index declares, guessing from its shape when it has none."""
    data = _load(raw, "manifest")
    declared = data.get("mediaType")
    if isinstance(declared, str) and declared:
        return declared
    return mediatypes.OCI_INDEX if "manifests" in data else mediatypes.OCI_MANIFEST
