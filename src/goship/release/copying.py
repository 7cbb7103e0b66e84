"""Copying manifests and their blobs from one repository to another, byte for byte.

Nothing is decoded and re-encoded: every manifest is pushed with the exact bytes it was
read with, so its digest (and the digest of every index that names it) stays the same.
Within one registry a blob is mounted from the source repository (``POST
...?mount=&from=``), which moves no bytes; across registries it is streamed from the source
GET into the target upload a piece at a time, so a layer is never held whole in memory.
Either way a blob the target already has (HEAD) is left alone.

Order keeps a copy safe to interrupt: all blobs first, then each manifest after everything
it names (platform manifests before their index). Tags are the caller's last step.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol

from goship.errors import ImageError
from goship.oci.digest import Digest
from goship.oci.manifest import Descriptor
from goship.oci.reference import Reference
from goship.progress import Reporter
from goship.publish.registry import BlobAndManifestWriter, ReopeningStream, run_all

MAX_DEPTH = 8  # indexes of indexes: deeper than this is a malformed or hostile image


class RegistryAPI(BlobAndManifestWriter, Protocol):
    """What copying needs of a registry client (``goship.registry.RegistryClient``)."""

    def get_manifest(self, ref: Reference) -> tuple[bytes, str, Digest]: ...

    def open_blob(self, ref: Reference, digest: Digest) -> AbstractContextManager[BinaryIO]: ...

    def list_tags(self, ref: Reference, page_size: int | None = None) -> list[str]: ...

    def referrers(self, ref: Reference, digest: Digest) -> bytes | None: ...


@dataclass(frozen=True)
class ManifestNode:
    """A manifest or index as stored, with what it names: child manifests (of an index)
    and blobs (config and layers of a manifest; foreign layers are not blobs of a registry)."""

    digest: Digest
    media_type: str
    raw: bytes
    children: tuple[ManifestNode, ...] = ()
    blobs: tuple[Descriptor, ...] = ()
    data: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def walk(self) -> Iterator[ManifestNode]:
        """Children before their parent: the order manifests are pushed in."""
        for child in self.children:
            yield from child.walk()
        yield self


def parse_json(raw: bytes, what: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImageError(f"{what} is not valid JSON: {exc}", "the manifest is corrupt") from exc
    if not isinstance(data, dict):
        raise ImageError(f"{what} is not a JSON object", "the manifest is corrupt")
    return data


def _descriptors(data: dict[str, Any], key: str) -> list[Descriptor]:
    items = data.get(key) or []
    if not isinstance(items, list):
        raise ImageError(f"the manifest's '{key}' is not a list", "the manifest is corrupt")
    return [Descriptor.from_json(item) for item in items if isinstance(item, dict)]


def read_tree(client: RegistryAPI, repository: Reference, raw: bytes, media_type: str,
              digest: Digest, depth: int = 0) -> ManifestNode:
    """The manifest ``raw`` (already read from ``repository``) and all it names, read from
    there. Any manifest shape is accepted: image manifests, indexes, and artifacts (cosign
    signatures, attestations, SBOMs) that keep their blobs in ``config``/``layers``/``blobs``."""
    if depth > MAX_DEPTH:
        raise ImageError(f"{repository.name}@{digest.short()}: indexes nested more than "
                         f"{MAX_DEPTH} deep", "this is not an image goship can copy")
    data = parse_json(raw, f"manifest {repository.name}@{digest.short()}")
    children = []
    for item in _descriptors(data, "manifests"):
        child_raw, child_type, child_digest = client.get_manifest(repository.with_digest(item.digest))
        children.append(read_tree(client, repository, child_raw, child_type or item.media_type,
                                  child_digest, depth + 1))
    blobs: list[Descriptor] = []
    config = data.get("config")
    if isinstance(config, dict):
        blobs.append(Descriptor.from_json(config))
    blobs += [item for item in _descriptors(data, "layers") + _descriptors(data, "blobs")
              if not item.is_foreign]
    return ManifestNode(digest, media_type, raw, tuple(children), tuple(blobs), data)


def read_tree_at(client: RegistryAPI, ref: Reference) -> ManifestNode:
    raw, media_type, digest = client.get_manifest(ref)
    return read_tree(client, ref.with_tag(""), raw, media_type, digest)


@dataclass
class CopyStats:
    blobs_mounted: int = 0
    blobs_copied: int = 0
    blobs_skipped: int = 0  # the target had them already
    bytes_uploaded: int = 0
    manifests_pushed: int = 0
    manifests_skipped: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count_blob(self, outcome: str, size: int) -> None:
        with self._lock:
            if outcome == "uploaded":
                self.blobs_copied += 1
                self.bytes_uploaded += size
            elif outcome == "mounted":
                self.blobs_mounted += 1
            else:
                self.blobs_skipped += 1

    def count_manifest(self, *, pushed: bool) -> None:
        with self._lock:
            if pushed:
                self.manifests_pushed += 1
            else:
                self.manifests_skipped += 1


def unique_blobs(nodes: Sequence[ManifestNode]) -> list[Descriptor]:
    seen: dict[Digest, Descriptor] = {}
    for node in nodes:
        for item in node.walk():
            for blob in item.blobs:
                seen.setdefault(blob.digest, blob)
    return list(seen.values())


def copy_blobs(client: RegistryAPI, blobs: Sequence[Descriptor], source: Reference,
               target: Reference, *, stats: CopyStats, reporter: Reporter, parallel: int = 4) -> None:
    """Make every blob exist in ``target``'s repository: mounted from ``source`` within one
    registry, else streamed across; raise the first failure once all have finished."""
    same_registry = source.api_host == target.api_host
    source_repository, target_repository = source.with_tag(""), target.with_tag("")

    def copy(blob: Descriptor) -> None:
        opener = ReopeningStream(functools.partial(client.open_blob, source_repository, blob.digest))
        task = f"{target_repository.repository} {blob.digest.short()}"
        try:
            outcome = client.upload_blob(
                target_repository, blob.digest, blob.size, opener,
                mount_from=source_repository if same_registry else None,
                on_progress=lambda done: reporter.transfer(task, done, blob.size),
                # Across registries most blobs are new: ask "is it there?" while opening
                # the upload session rather than before.
                likely_present=same_registry)
        finally:
            opener.close()
        stats.count_blob(outcome, blob.size)
        reporter.debug(f"{task}: {outcome}")

    run_all([functools.partial(copy, blob) for blob in blobs], parallel)


def push_manifests(client: RegistryAPI, node: ManifestNode, target: Reference, *,
                   stats: CopyStats, parallel: int = 4) -> None:
    """Push ``node`` and the manifests below it by digest, children first (siblings side by
    side); one the target holds already is not sent again."""
    repository = target.with_tag("")

    def push(item: ManifestNode) -> None:
        if item.children:
            with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(item.children)))) as pool:
                for future in [pool.submit(push, child) for child in item.children]:
                    future.result()  # the first failure stops the parent from being pushed
        ref = repository.with_digest(item.digest)
        if client.head_manifest(ref) is not None:
            stats.count_manifest(pushed=False)
            return
        client.put_manifest(ref, item.raw, item.media_type)
        stats.count_manifest(pushed=True)

    push(node)
