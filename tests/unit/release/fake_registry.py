"""An in-memory stand-in for goship.release.copying.RegistryAPI (our own protocol), which
records every write in order so tests can check what a promotion did and when."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO

from goship.errors import ImageError
from goship.oci import mediatypes
from goship.oci.digest import Digest
from goship.oci.reference import Reference


def digest_of(data: bytes) -> Digest:
    return Digest("sha256", hashlib.sha256(data).hexdigest())


@dataclass
class Repository:
    manifests: dict[Digest, tuple[bytes, str]] = field(default_factory=dict)
    tags: dict[str, Digest] = field(default_factory=dict)
    blobs: dict[Digest, bytes] = field(default_factory=dict)


class FakeRegistry:
    """Repositories by "host/name"; ``referrers_api`` says whether hosts answer the API."""

    def __init__(self, *, referrers_api: bool = False) -> None:
        self.repositories: dict[str, Repository] = {}
        self.writes: list[tuple[str, str]] = []  # (verb, what) in order
        self.referrers_api = referrers_api
        # A registry that alters the manifests of this repository when they are read by tag.
        self.rewrite: tuple[str, Callable[[bytes], bytes]] | None = None

    def repo(self, ref: Reference) -> Repository:
        return self.repositories.setdefault(ref.name, Repository())

    # -- seeding ----------------------------------------------------------------------------

    def add_blob(self, ref: Reference, data: bytes) -> dict[str, object]:
        digest = digest_of(data)
        self.repo(ref).blobs[digest] = data
        return {"mediaType": mediatypes.OCI_LAYER_GZIP, "digest": str(digest), "size": len(data)}

    def add_manifest(self, ref: Reference, document: dict[str, object],
                     tag: str = "") -> tuple[Digest, bytes]:
        raw = json.dumps(document, separators=(",", ":")).encode()
        digest = digest_of(raw)
        self.repo(ref).manifests[digest] = (raw, str(document.get("mediaType", mediatypes.OCI_MANIFEST)))
        if tag:
            self.repo(ref).tags[tag] = digest
        return digest, raw

    # -- RegistryAPI ---------------------------------------------------------------------------

    def _resolve(self, ref: Reference) -> Digest | None:
        repository = self.repo(ref)
        digest = ref.digest if ref.digest is not None else repository.tags.get(ref.tag)
        return digest if digest in repository.manifests else None

    def get_manifest(self, ref: Reference) -> tuple[bytes, str, Digest]:
        digest = self._resolve(ref)
        if digest is None:
            raise ImageError(f"image {ref} not found", "push it")
        raw, media_type = self.repo(ref).manifests[digest]
        if self.rewrite is not None and self.rewrite[0] == ref.name and ref.tag and ref.digest is None:
            raw = self.rewrite[1](raw)
            return raw, media_type, digest_of(raw)
        return raw, media_type, digest

    def head_manifest(self, ref: Reference) -> tuple[str, Digest, int] | None:
        digest = self._resolve(ref)
        if digest is None:
            return None
        raw, media_type = self.repo(ref).manifests[digest]
        return media_type, digest, len(raw)

    def put_manifest(self, ref: Reference, raw: bytes, media_type: str) -> Digest:
        digest = digest_of(raw)
        repository = self.repo(ref)
        repository.manifests[digest] = (raw, media_type)
        if ref.tag:
            repository.tags[ref.tag] = digest
        self.writes.append(("put-manifest", ref.tag or str(digest)))
        return digest

    @contextmanager
    def open_blob(self, ref: Reference, digest: Digest) -> Iterator[BinaryIO]:
        yield io.BytesIO(self.repo(ref).blobs[digest])

    def upload_blob(self, ref: Reference, digest: Digest, size: int, opener: Callable[[], BinaryIO], *,
                    mount_from: Reference | None = None, on_progress: Callable[[int], None] | None = None,
                    likely_present: bool = False) -> str:
        repository = self.repo(ref)
        if digest in repository.blobs:
            return "exists"
        if mount_from is not None and digest in self.repo(mount_from).blobs:
            repository.blobs[digest] = self.repo(mount_from).blobs[digest]
            self.writes.append(("mount", str(digest)))
            return "mounted"
        data = opener().read()
        assert digest_of(data) == digest and len(data) == size
        repository.blobs[digest] = data
        self.writes.append(("upload", str(digest)))
        return "uploaded"

    def list_tags(self, ref: Reference, page_size: int | None = None) -> list[str]:
        return sorted(self.repo(ref).tags)

    def referrers(self, ref: Reference, digest: Digest) -> bytes | None:
        if not self.referrers_api:
            return None
        found = []
        for item_digest, (raw, media_type) in self.repo(ref).manifests.items():
            subject = json.loads(raw).get("subject")
            if isinstance(subject, dict) and subject.get("digest") == str(digest):
                found.append({"mediaType": media_type, "digest": str(item_digest), "size": len(raw),
                              "artifactType": json.loads(raw).get("artifactType", "")})
        index = {"schemaVersion": 2, "mediaType": mediatypes.OCI_INDEX, "manifests": found}
        return json.dumps(index).encode()


def seed_image(registry: FakeRegistry, ref: Reference, *, labels: dict[str, str] | None = None,
               platforms: tuple[str, ...] = ("amd64", "arm64"), tag: str = "v1.2.3") -> Digest:
    """An index of one image per platform (config and one layer each) tagged ``tag``."""
    children = []
    for arch in platforms:
        config = {"architecture": arch, "os": "linux", "created": "2024-10-01T12:00:00Z",
                  "config": {"Labels": labels or {}}, "rootfs": {"type": "layers", "diff_ids": []}}
        config_descriptor = registry.add_blob(ref, json.dumps(config).encode())
        config_descriptor["mediaType"] = mediatypes.OCI_CONFIG
        layer = registry.add_blob(ref, f"layer {arch}".encode())
        digest, raw = registry.add_manifest(ref, {"schemaVersion": 2, "mediaType": mediatypes.OCI_MANIFEST,
                                                  "config": config_descriptor, "layers": [layer]})
        children.append({"mediaType": mediatypes.OCI_MANIFEST, "digest": str(digest), "size": len(raw),
                         "platform": {"os": "linux", "architecture": arch}})
    digest, _ = registry.add_manifest(ref, {"schemaVersion": 2, "mediaType": mediatypes.OCI_INDEX,
                                            "manifests": children}, tag=tag)
    return digest
