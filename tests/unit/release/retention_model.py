"""An in-memory registry with distribution's deletion semantics, for retention tests.

Like distribution: a tag names one manifest; a manifest is deleted by digest only, and
deleting it removes every tag naming it; there is no way to delete a tag by name. It
implements goship.release.prune.PrunableRepository, reading its own state perfectly (it
knows its untagged manifests, which a real registry cannot list).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from goship.errors import RegistryError
from goship.oci import mediatypes
from goship.oci.digest import Digest
from goship.progress import Reporter
from goship.release.inventory import THROWAWAY_ANNOTATION
from goship.release.retention import ManifestFacts, RepositoryState


class Interrupted(Exception):
    """Stands for a crash or Ctrl-C in the middle of a prune."""


class ModelRegistry:
    def __init__(self, name: str, tags: Mapping[str, Digest], facts: Iterable[ManifestFacts],
                 untagged_since: Mapping[Digest, float] | None = None, *, now: float = 0.0) -> None:
        self._name = name
        self.tags: dict[str, Digest] = dict(tags)
        self.facts: dict[Digest, ManifestFacts] = {item.digest: item for item in facts}
        self.untagged_since: dict[Digest, float] = dict(untagged_since or {})
        self.now = now
        self.deletes = 0  # DELETE requests that removed something
        self.puts = 0
        self.deletes_enabled = True
        self.crash_at_put = 0  # raise Interrupted right after the Nth tag move (0: never)
        missing = set(self.tags.values()) - set(self.facts)
        assert not missing, f"tags name unknown manifests {missing}"

    @property
    def name(self) -> str:
        return self._name

    def list_tags(self) -> list[str]:
        return sorted(self.tags)

    def resolve(self, tag: str) -> Digest | None:
        return self.tags.get(tag)

    def resolve_many(self, tags: Iterable[str]) -> dict[str, Digest | None]:
        return {tag: self.tags.get(tag) for tag in tags}

    def put_throwaway(self, tag: str, raw: bytes) -> Digest:
        data = json.loads(raw)
        assert data["layers"] == [] and data["config"]["mediaType"] == mediatypes.OCI_EMPTY
        digest = Digest.of_bytes(raw)
        throwaway = THROWAWAY_ANNOTATION in data.get("annotations", {})
        self.facts[digest] = ManifestFacts(digest, mediatypes.OCI_MANIFEST, throwaway=throwaway)
        if not tag:  # pushed by digest only
            self.untagged_since.setdefault(digest, self.now)
            return digest
        self._retag(tag, digest)
        self.puts += 1
        if self.puts == self.crash_at_put:
            raise Interrupted(f"crashed after moving {tag} to a throwaway")
        return digest

    def _retag(self, tag: str, digest: Digest) -> None:
        previous = self.tags.get(tag)
        self.tags[tag] = digest
        if previous is not None and previous not in self.tags.values():
            self.untagged_since.setdefault(previous, self.now)

    def delete(self, digest: Digest) -> bool:
        if not self.deletes_enabled:
            raise RegistryError("deleting manifest: 127.0.0.1:5000 does not allow deleting manifests")
        gone = self.facts.pop(digest, None)
        if gone is None:
            return False
        self.untagged_since.pop(digest, None)
        for tag in [tag for tag, named in self.tags.items() if named == digest]:
            del self.tags[tag]
        listed = {child for item in self.facts.values() for child in item.children}
        for child in gone.children:  # what only the deleted index listed is untagged from now
            if child in self.facts and child not in self.tags.values() and child not in listed:
                self.untagged_since[child] = self.now
        self.deletes += 1
        return True

    def read_state(self, *, known_untagged: Mapping[Digest, float] | None = None,
                   previously_seen: Iterable[Digest] = (),
                   expected_tags: Mapping[str, Digest] | None = None,
                   reporter: Reporter | None = None) -> RepositoryState:
        tagged = set(self.tags.values())
        untagged = {digest: self.untagged_since.get(digest, self.now)
                    for digest in self.facts if digest not in tagged}
        return RepositoryState(self._name, dict(self.tags), dict(self.facts), untagged)
