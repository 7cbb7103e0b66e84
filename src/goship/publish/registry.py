"""Pushing images and indexes to a registry.

Order is what keeps a push safe to interrupt: every blob first (in parallel), then each
platform manifest by digest, then the index by digest, and only then the tags. A tag that
already names the same digest is left alone and nothing is uploaded.
"""

from __future__ import annotations

import functools
import io
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from goship.errors import GoshipError
from goship.image.project import BuiltImage
from goship.oci import mediatypes
from goship.oci.digest import Digest
from goship.oci.image import Artifact, Image, ImageIndex, images_of, unique_layers
from goship.oci.layer import FileLayer, Layer, LayerTap
from goship.oci.reference import Reference
from goship.progress import Reporter
from goship.publish.interface import Published


class BlobStream(Protocol):
    """A blob upload fed while the blob is being made (goship.registry.stream)."""

    def write(self, piece: bytes) -> None: ...

    def finish(self, digest: Digest, size: int) -> bool: ...

    def abort(self) -> None: ...


class BlobAndManifestWriter(Protocol):
    """What copying blobs and manifests into a repository needs of a registry client."""

    def head_manifest(self, ref: Reference) -> tuple[str, Digest, int] | None: ...

    def put_manifest(self, ref: Reference, raw: bytes, media_type: str) -> Digest: ...

    def upload_blob(
        self,
        ref: Reference,
        digest: Digest,
        size: int,
        opener: Callable[[], BinaryIO],
        *,
        mount_from: Reference | None = None,
        on_progress: Callable[[int], None] | None = None,
        likely_present: bool = False,
    ) -> str: ...


class RegistryWriter(BlobAndManifestWriter, Protocol):
    """What pushing needs of a registry client: also streamed uploads, for layers being made."""

    def stream_upload(self, ref: Reference) -> BlobStream: ...


@dataclass
class PushStats:
    uploaded_bytes: int = 0
    uploaded: int = 0
    mounted: int = 0
    existing: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def count(self, outcome: str, size: int) -> None:
        with self._lock:
            if outcome == "uploaded":
                self.uploaded += 1
                self.uploaded_bytes += size
            elif outcome == "mounted":
                self.mounted += 1
            else:
                self.existing += 1


class ReopeningStream:
    """Re-opens a blob's bytes for each upload attempt (retries need a fresh stream); used for
    layers here and for blobs copied between registries by `goship promote`."""

    def __init__(self, open_layer: Callable[[], AbstractContextManager[BinaryIO]]) -> None:
        self._open_layer = open_layer
        self._current: AbstractContextManager[BinaryIO] | None = None

    def __call__(self) -> BinaryIO:
        self.close()
        self._current = self._open_layer()
        return self._current.__enter__()

    def close(self) -> None:
        if self._current is not None:
            self._current.__exit__(None, None, None)
            self._current = None


def push_artifact(
    client: RegistryWriter,
    artifact: Artifact,
    target: Reference,
    tags: Sequence[str],
    *,
    reporter: Reporter,
    parallel: int = 4,
    stats: PushStats | None = None,
    known_tags: Mapping[str, Digest | None] | None = None,
    present: frozenset[Digest] = frozenset(),
) -> Digest:
    """Push ``artifact`` to ``target``'s repository and point each tag at it.

    ``known_tags`` holds what the tags were found to name moments ago (None: no such
    tag), so they are not asked again; ``present`` names blobs known to be in the
    repository already (streamed there while they were made). A manifest PUT by tag stores
    manifest and tag in one step: the tag exists only once the registry has accepted it.
    """
    stats = stats if stats is not None else PushStats()
    repository = target.with_tag("")
    digest = artifact.digest
    known = dict(known_tags or {})

    def current(tag: str) -> Digest | None:
        if tag not in known:
            found = client.head_manifest(repository.with_tag(tag))
            known[tag] = found[1] if found is not None else None
        return known[tag]

    pending = [tag for tag in tags if current(tag) != digest]
    if not pending:
        reporter.debug(f"{repository.name}: every tag already names {digest.short()}")
        return digest

    # Blobs the registry holds already (the image under another tag, a shared base) are
    # found by one HEAD each and not sent again.
    _push_blobs(client, artifact, repository, reporter, parallel, stats, present)
    if isinstance(artifact, ImageIndex):
        for image in artifact.images:
            client.put_manifest(repository.with_digest(image.digest), image.manifest_bytes,
                                mediatypes.OCI_MANIFEST)
    raw, media_type = _manifest_of(artifact)
    for tag in pending:
        client.put_manifest(repository.with_tag(tag), raw, media_type)
    return digest


def _manifest_of(artifact: Artifact) -> tuple[bytes, str]:
    if isinstance(artifact, ImageIndex):
        return artifact.index_bytes, mediatypes.OCI_INDEX
    return artifact.manifest_bytes, mediatypes.OCI_MANIFEST


def _push_blobs(client: RegistryWriter, artifact: Artifact, repository: Reference,
                reporter: Reporter, parallel: int, stats: PushStats,
                present: frozenset[Digest] = frozenset()) -> None:
    """Upload every layer and config blob, in parallel; raise the first failure."""

    def upload_layer(layer: Layer) -> None:
        descriptor = layer.descriptor
        if descriptor.is_foreign or descriptor.digest in present:
            return
        origin = layer.origin
        mount_from = None
        if origin is not None and origin.registry == repository.registry \
                and origin.repository != repository.repository:
            mount_from = origin
        opener = ReopeningStream(layer.open)
        task = f"{repository.repository} {descriptor.digest.short()}"
        try:
            outcome = client.upload_blob(
                repository, descriptor.digest, descriptor.size, opener, mount_from=mount_from,
                on_progress=lambda done: reporter.transfer(task, done, descriptor.size),
                # new layers were streamed up as they were made: what is left is mostly base
                likely_present=True,
            )
        finally:
            opener.close()
        stats.count(outcome, descriptor.size)
        reporter.debug(f"{task}: {outcome}")

    def upload_config(image: Image) -> None:
        config = image.config_descriptor
        outcome = client.upload_blob(repository, config.digest, config.size,
                                     _bytes_opener(image.config_bytes))
        stats.count(outcome, config.size)

    tasks: list[Callable[[], None]] = [
        functools.partial(upload_layer, layer) for layer in unique_layers(artifact)
    ]
    tasks += [functools.partial(upload_config, image) for image in images_of(artifact)]
    run_all(tasks, parallel)


def run_all(tasks: Sequence[Callable[[], None]], parallel: int) -> None:
    """Run ``tasks`` on up to ``parallel`` threads, all of them to the end; then raise the first
    GoshipError any of them met (an upload that failed leaves the others' work usable)."""
    if not tasks:
        return
    failures: list[GoshipError] = []
    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(tasks)))) as pool:
        for future in [pool.submit(task) for task in tasks]:
            try:
                future.result()
            except GoshipError as exc:
                failures.append(exc)
    if failures:
        raise failures[0]


def _bytes_opener(raw: bytes) -> Callable[[], BinaryIO]:
    return lambda: io.BytesIO(raw)


def repository_for(target: str, image_name: str, image_count: int) -> Reference:
    """The repository an image goes to: ``target`` itself for one image, else target/NAME."""
    ref = Reference.parse(target, default_tag="")
    if image_count > 1:
        ref = Reference.parse(f"{ref.registry}/{ref.repository}/{image_name}", default_tag="")
    return ref


class RegistryPublisher:
    def __init__(self, client: RegistryWriter, targets: dict[str, Reference],
                 tags: dict[str, list[str]], parallel: int = 4) -> None:
        self._client = client
        self._targets = targets
        self._tags = tags
        self._parallel = parallel
        self._known: dict[str, dict[str, Digest | None]] = {name: {} for name in targets}
        self.stats = PushStats()
        # (repository, digest) -> size of blobs streamed there while they were made
        self._streamed: dict[tuple[str, Digest], int] = {}
        self._streamed_lock = threading.Lock()

    def layer_tap(self, image_name: str) -> LayerTap | None:
        target = self._targets[image_name].with_tag("")
        return _StreamingTap(self, target, self._client.stream_upload(target))

    def streamed(self, repository: Reference, digest: Digest, size: int) -> None:
        with self._streamed_lock:
            self._streamed[(repository.repository, digest)] = size

    def prepare(self) -> None:
        """Connect, authenticate and read what the tags name now, while Go still compiles."""
        for name, target in self._targets.items():
            for tag in self._tags[name]:
                found = self._client.head_manifest(target.with_tag(tag))
                self._known[name][tag] = found[1] if found is not None else None

    def publish(self, built: Sequence[BuiltImage], reporter: Reporter) -> list[Published]:
        results = []
        for item in built:
            target = self._targets[item.spec.name]
            tags = self._tags[item.spec.name]
            reporter.step(f"pushing {item.spec.name} to {target.name}")
            before = self.stats.uploaded_bytes
            with self._streamed_lock:
                streamed = {digest: self._streamed.pop((target.repository, digest))
                            for layer in unique_layers(item.artifact)
                            if (target.repository, digest := layer.descriptor.digest) in self._streamed}
            digest = push_artifact(self._client, item.artifact, target, tags, reporter=reporter,
                                   parallel=self._parallel, stats=self.stats,
                                   known_tags=self._known[item.spec.name],
                                   present=frozenset(streamed))
            uploaded = self.stats.uploaded_bytes - before + sum(streamed.values())
            for number, tag in enumerate(tags):
                # The bytes went up once for all tags: count them on the first only.
                results.append(Published(item.spec.name, "registry",
                                         f"{target.name}:{tag}@{digest}", digest,
                                         uploaded if number == 0 else 0))
        return results


class _StreamingTap:
    """Feeds a new layer to a streamed upload and tells the publisher when it landed."""

    def __init__(self, publisher: RegistryPublisher, repository: Reference, stream: BlobStream) -> None:
        self._publisher = publisher
        self._repository = repository
        self._stream = stream

    def write(self, piece: bytes) -> None:
        self._stream.write(piece)

    def finish(self, layer: FileLayer) -> None:
        descriptor = layer.descriptor
        if self._stream.finish(descriptor.digest, descriptor.size):
            self._publisher.streamed(self._repository, descriptor.digest, descriptor.size)

    def abort(self) -> None:
        self._stream.abort()
