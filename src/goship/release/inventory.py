"""What a repository holds, read from its registry for retention planning, and the few
registry calls pruning makes (:class:`RegistryRepository`).

The distribution API lists tags by name only, so every tag costs one HEAD to learn its
digest: they go out together over lean connections (registry/bulk_heads.py), conditionally
for the tags whose digest is expected: what the previous run saw, or what this run resolved
already (a 304 is the registry's word that the tag still names it, and costs it less than a
full answer). Manifests and image configs are content-addressed, so each is fetched once
per run however many tags share it. Untagged manifests cannot be listed at all: the ones
planning knows are those earlier runs saw (their audit records), checked here to still
exist, and the manifests the known indexes list.
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from goship.errors import ImageError
from goship.oci import mediatypes
from goship.oci.digest import Digest
from goship.oci.manifest import Descriptor, Index, Manifest
from goship.oci.reference import Reference
from goship.progress import Reporter, SilentReporter
from goship.release.retention import ManifestFacts, RepositoryState, attachment_subject

if TYPE_CHECKING:
    from goship.registry.client import RegistryClient

WORKERS = 8  # manifest and config GETs in flight (tags are resolved by registry/bulk_heads.py)
PAGE_SIZE = 1000  # tags per listing page
MAX_NESTING = 4  # indexes of indexes deeper than this are not followed
CREATED_LABEL = "org.opencontainers.image.created"
THROWAWAY_ANNOTATION = "dev.goship.prune.throwaway"  # the run that put it up
THROWAWAY_TAG_ANNOTATION = "dev.goship.prune.tag"  # the tag it removes
EMPTY_CONFIG = b"{}"
_FRACTION = re.compile(r"^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(.*)$")


def parse_created(text: object) -> float | None:
    """Epoch seconds of an RFC 3339 time (``2024-10-01T12:00:00.123456789Z``); None when
    absent, malformed, or the Unix epoch itself (reproducible builds write that: no age)."""
    if not isinstance(text, str) or not text.strip():
        return None
    value = text.strip()
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    match = _FRACTION.match(value)
    if match:  # fromisoformat before 3.11 takes no more than 6 fractional digits
        fraction = (match.group(2) or "")[:6]
        value = match.group(1) + (f".{fraction.ljust(6, '0')}" if fraction else "") + match.group(3)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = moment.timestamp()
    return seconds if seconds > 0 else None


def created_of_config(raw: bytes) -> float | None:
    """The image's ``created`` time, else its ``org.opencontainers.image.created`` label."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    created = parse_created(data.get("created"))
    if created is None:
        labels = (data.get("config") or {}).get("Labels") if isinstance(data.get("config"), dict) else None
        if isinstance(labels, dict):
            created = parse_created(labels.get(CREATED_LABEL))
    return created


def throwaway_manifest(run_id: str, tag: str) -> bytes:
    """The smallest image manifest a registry takes: the empty config, no layers; the
    annotations make it unique to this run and tag and mark it as goship prune's."""
    config = Descriptor(mediatypes.OCI_EMPTY, Digest.of_bytes(EMPTY_CONFIG), len(EMPTY_CONFIG))
    manifest = Manifest(config=config, layers=(), annotations=(
        (THROWAWAY_ANNOTATION, run_id), (THROWAWAY_TAG_ANNOTATION, tag)))
    return manifest.to_bytes()


class RegistryRepository:
    """One repository on a registry, through goship's client: reading its state and the
    calls that delete (the port prune.apply_plan works through)."""

    def __init__(self, client: RegistryClient, repository: Reference, *,
                 workers: int = WORKERS, page_size: int | None = PAGE_SIZE) -> None:
        self.client = client
        self.reference = Reference(repository.registry, repository.repository)
        self.workers = workers
        self.page_size = page_size
        self._manifests: dict[Digest, tuple[bytes, str]] = {}
        self._created: dict[Digest, float | None] = {}
        self._listed: dict[Digest, str] = {}  # media types of what indexes list
        self._resolved: dict[str, Digest] = {}  # tag -> digest, as last resolved in this run
        self._lock = threading.Lock()
        self._config_pushed = False

    @property
    def name(self) -> str:
        return self.reference.name

    # -- the port used while applying a plan --------------------------------------------

    def list_tags(self) -> list[str]:
        return self.client.list_tags(self.reference, self.page_size)

    def resolve(self, tag: str) -> Digest | None:
        found = self.client.head_manifest(self.reference.with_tag(tag))
        return None if found is None else found[1]

    def put_throwaway(self, tag: str, raw: bytes) -> Digest:
        """Point ``tag`` at a throwaway manifest, or with ``tag`` "" push it by digest only
        (its empty config blob is pushed first, once)."""
        if not self._config_pushed:
            config = Digest.of_bytes(EMPTY_CONFIG)
            self.client.upload_blob(self.reference, config, len(EMPTY_CONFIG),
                                    lambda: io.BytesIO(EMPTY_CONFIG), likely_present=True)
            self._config_pushed = True
        target = self.reference.with_tag(tag) if tag else self.reference.with_digest(Digest.of_bytes(raw))
        return self.client.put_manifest(target, raw, mediatypes.OCI_MANIFEST)

    def delete(self, digest: Digest) -> bool:
        """Delete the manifest (and with it every tag naming it); False when already gone."""
        try:
            self.client.delete_manifest(self.reference.with_digest(digest))
        except ImageError:  # 404: a previous run, or someone else, deleted it already
            return False
        return True

    # -- reading the state ------------------------------------------------------------

    def read_state(self, *, known_untagged: Mapping[Digest, float] | None = None,
                   previously_seen: Iterable[Digest] = (),
                   expected_tags: Mapping[str, Digest] | None = None,
                   reporter: Reporter | None = None) -> RepositoryState:
        """Tags and their digests, the facts of every manifest they name, and the untagged
        manifests earlier runs saw (``previously_seen`` digests no tag names now, and
        ``known_untagged`` ones with the time they were first seen untagged) that still exist.
        ``expected_tags`` (what an earlier run saw) only makes resolving cheaper: every tag's
        digest is still the registry's answer of now."""
        reporter = reporter or SilentReporter()
        known_untagged = known_untagged or {}
        names = self.list_tags()
        reporter.step(f"{self.name}: {len(names)} tags; resolving their digests")
        # A tag deleted since the listing has nothing left to decide.
        resolved = self.resolve_many(names, reporter, expected=expected_tags)
        tags = {tag: digest for tag, digest in resolved.items() if digest}
        tagged = set(tags.values())
        # The manifest an attachment tag (sha256-<hex>.sig) belongs to may be untagged: look
        # for it too, or planning would take the signature of a present image for an orphan.
        subjects = {subject for tag in tags if (subject := attachment_subject(tag)) is not None}
        candidates = sorted((set(previously_seen) | set(known_untagged) | subjects) - tagged)
        facts: dict[Digest, ManifestFacts] = {}
        with ThreadPoolExecutor(self.workers) as pool:
            found = list(pool.map(self._facts_or_none, sorted(tagged) + candidates))
        for item in found:
            if item is not None:
                facts[item.digest] = item
        self._add_children(facts)
        untagged = {digest: known_untagged[digest] for digest in candidates
                    if digest in facts and digest in known_untagged}
        reporter.debug(f"{self.name}: {len(facts)} manifests known, {len(untagged)} untagged")
        return RepositoryState(self.name, tags, facts, untagged)

    def resolve_many(self, tags: Iterable[str], reporter: Reporter | None = None, *,
                     expected: Mapping[str, Digest] | None = None) -> dict[str, Digest | None]:
        """Each tag's digest now (None: no such tag any more). Tags resolved earlier in this
        run, and those in ``expected``, are asked about conditionally."""
        hints = {**(expected or {}), **self._resolved}

        def progress(done: int, total: int) -> None:
            if reporter is not None:
                reporter.count("resolving tags", done, total)

        resolved = self.client.resolve_tags(self.reference, tags, expected=hints, on_progress=progress)
        for tag, digest in resolved.items():
            if digest is None:
                self._resolved.pop(tag, None)
            else:
                self._resolved[tag] = digest
        return resolved

    def _facts_or_none(self, digest: Digest) -> ManifestFacts | None:
        """Facts of a tagged manifest, or of a candidate untagged one (None when it is gone)."""
        try:
            return self._facts(digest)
        except ImageError as error:
            found = self.client.head_manifest(self.reference.with_digest(digest))
            if found is None:
                return None
            if mediatypes.is_index(found[0]):
                # What it lists is unknown, so no manifest could safely be deleted.
                raise ImageError(f"pruning {self.name}: index {digest} cannot be read: {error.message}",
                                 "nothing was planned; delete or repair that index first") from error
            # An image manifest goship cannot read (an old schema 1 one): it has no known
            # age, which only ever keeps more.
            return ManifestFacts(digest, found[0])

    def _facts(self, digest: Digest, depth: int = 0) -> ManifestFacts:
        raw, media_type = self._manifest(digest)
        if mediatypes.is_index(media_type) and depth < MAX_NESTING:
            index = Index.from_bytes(raw)
            children = tuple(item.digest for item in index.manifests)
            with self._lock:
                self._listed.update((item.digest, item.media_type) for item in index.manifests)
            first = _first_platform(index.manifests)
            try:
                created = self._facts(first.digest, depth + 1).created if first is not None else None
            except ImageError:  # a platform image that is missing or unreadable: no known age
                created = None
            return ManifestFacts(digest, media_type, created, children)
        if not mediatypes.is_manifest(media_type):
            return ManifestFacts(digest, media_type)
        manifest = Manifest.from_bytes(raw)
        annotations = dict(manifest.annotations)
        if THROWAWAY_ANNOTATION in annotations:
            return ManifestFacts(digest, media_type, throwaway=True)
        return ManifestFacts(digest, media_type, self._config_created(manifest.config))

    def _add_children(self, facts: dict[Digest, ManifestFacts]) -> None:
        """Make every manifest a known index lists known too, so planning can keep it while
        the index is kept. Only nested indexes are read (to learn what they list): planning
        needs nothing else of a platform manifest that no tag names."""
        pending = {child for item in facts.values() for child in item.children} - set(facts)
        with ThreadPoolExecutor(self.workers) as pool:
            while pending:
                indexes = sorted(child for child in pending
                                 if mediatypes.is_index(self._listed.get(child, "")))
                for child in pending - set(indexes):
                    facts[child] = ManifestFacts(child, self._listed.get(child, ""))
                for item in pool.map(self._facts_or_none, indexes):
                    if item is not None:
                        facts[item.digest] = item
                pending = {child for digest in indexes if digest in facts
                           for child in facts[digest].children} - set(facts)

    def _manifest(self, digest: Digest) -> tuple[bytes, str]:
        with self._lock:
            cached = self._manifests.get(digest)
        if cached is None:
            raw, media_type, _ = self.client.get_manifest(self.reference.with_digest(digest))
            cached = (raw, media_type)
            with self._lock:
                self._manifests[digest] = cached
        return cached

    def _config_created(self, config: Descriptor) -> float | None:
        if config.media_type == mediatypes.OCI_EMPTY or config.size > 4 << 20:
            return None
        with self._lock:
            if config.digest in self._created:
                return self._created[config.digest]
        with self.client.open_blob(self.reference, config.digest) as stream:
            created = created_of_config(stream.read())
        with self._lock:
            self._created[config.digest] = created
        return created


def _first_platform(items: Iterable[Descriptor]) -> Descriptor | None:
    """The index entry whose config dates the index: the first real platform image, not a
    BuildKit attestation (platform unknown/unknown)."""
    candidates = [item for item in items if mediatypes.is_manifest(item.media_type)
                  or mediatypes.is_index(item.media_type)]
    for item in candidates:
        if item.platform is None or item.platform.os != "unknown":
            return item
    return candidates[0] if candidates else None

