"""Finding what refers to an image: signatures, attestations and SBOMs that must travel with it.

Two conventions are in use, and both are looked for in the image's own repository:

- cosign's tags: the manifest tagged ``sha256-<hex>.sig`` holds the signatures of the
  manifest ``sha256:<hex>``; ``.att`` its attestations, ``.sbom`` its SBOM. The tag is the
  link, so the copy must carry the tag too.
- OCI 1.1 referrers: a manifest whose ``subject`` names the image. A registry that supports
  the referrers API lists them at ``/v2/<name>/referrers/<digest>``; on one that does not,
  clients keep an index of them under the fallback tag ``sha256-<hex>``.

One tag listing answers every tag question (rather than a HEAD per digest and suffix); the
referrers API is asked once per digest (every page of its answer: the registry client follows
its ``Link: <...>; rel="next"`` headers and joins the pages), and not again once the registry
has shown it does not have one. What is found may have referrers of its own (a signed attestation), so the
search repeats on what it finds, a few levels deep.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from goship.oci import mediatypes
from goship.oci.digest import Digest
from goship.oci.manifest import Descriptor, Index
from goship.oci.reference import Reference
from goship.release.copying import RegistryAPI, parse_json

COSIGN_SUFFIXES = {".sig": "signature", ".att": "attestation", ".sbom": "sbom"}
MAX_LEVELS = 3  # a signature of an attestation of an image is two levels; more is unusual


def cosign_tag(digest: Digest, suffix: str) -> str:
    """``sha256-<hex>.sig``: cosign's tag for ``digest``'s signatures (``suffix`` "" gives
    the OCI 1.1 fallback tag)."""
    return f"{digest.algorithm}-{digest.hex}{suffix}"


def kind_of(artifact_type: str) -> str:
    """"signature", "attestation", "sbom" or "referrer", from an OCI artifact type."""
    text = artifact_type.lower()
    if "sbom" in text or "spdx" in text or "cyclonedx" in text:
        return "sbom"
    if "in-toto" in text or "attestation" in text or "dsse" in text or "provenance" in text:
        return "attestation"
    if "signature" in text or ".sig" in text or "notary" in text:
        return "signature"
    return "referrer"


@dataclass(frozen=True)
class TaggedReferrer:
    """A manifest found under a cosign tag (or the fallback tag's index itself)."""

    subject: Digest
    tag: str
    digest: Digest
    kind: str  # signature, attestation, sbom; "referrers-index" for a fallback tag


@dataclass(frozen=True)
class Found:
    """What refers to a set of manifests in one repository."""

    tagged: tuple[TaggedReferrer, ...]
    # subject -> the referrer descriptors (OCI 1.1), from the API or the fallback index
    referrers: tuple[tuple[Digest, tuple[Descriptor, ...]], ...]
    api: bool | None  # the repository's registry has the referrers API (None: not asked)

    @property
    def manifests(self) -> list[Digest]:
        """Every referrer manifest to copy, each once, in the order found."""
        digests = [item.digest for item in self.tagged if item.kind != "referrers-index"]
        digests += [item.digest for _, items in self.referrers for item in items]
        return list(dict.fromkeys(digests))

    @property
    def count(self) -> int:
        return len(self.manifests)


def referrers_api(client: RegistryAPI, repository: Reference,
                  digest: Digest) -> tuple[Descriptor, ...] | None:
    """The referrers the API lists for ``digest``; None when the registry has no such API."""
    raw = client.referrers(repository, digest)
    if raw is None:
        return None
    data = parse_json(raw, f"the referrers of {repository.name}@{digest.short()}")
    if not isinstance(data.get("manifests"), list):
        return None  # not an index: a registry that answers unknown paths with 200
    return Index.from_bytes(raw).manifests


def discover(client: RegistryAPI, repository: Reference, digests: Sequence[Digest], *,
             use_api: bool = True) -> Found:
    """Everything that refers to ``digests`` (and, a few levels deep, to what refers to
    them) in ``repository``."""
    repository = repository.with_tag("")
    tags = set(client.list_tags(repository))
    tagged: list[TaggedReferrer] = []
    referrers: list[tuple[Digest, tuple[Descriptor, ...]]] = []
    api: bool | None = None if use_api else False
    seen: set[Digest] = set()
    pending = list(dict.fromkeys(digests))
    for _level in range(MAX_LEVELS):
        next_level: list[Digest] = []
        for subject in pending:
            if subject in seen:
                continue
            seen.add(subject)
            for suffix, kind in COSIGN_SUFFIXES.items():
                tag = cosign_tag(subject, suffix)
                if tag in tags:
                    found = client.head_manifest(repository.with_tag(tag))
                    if found is not None:
                        tagged.append(TaggedReferrer(subject, tag, found[1], kind))
                        next_level.append(found[1])
            listed: tuple[Descriptor, ...] | None = None
            if api is not False:
                listed = referrers_api(client, repository, subject)
                api = listed is not None
            fallback = cosign_tag(subject, "")
            if listed is None and fallback in tags:
                raw, _, index_digest = client.get_manifest(repository.with_tag(fallback))
                listed = Index.from_bytes(raw).manifests
                tagged.append(TaggedReferrer(subject, fallback, index_digest, "referrers-index"))
            if listed:
                referrers.append((subject, listed))
                next_level += [item.digest for item in listed]
        pending = next_level
        if not pending:
            break
    return Found(tuple(tagged), tuple(referrers), api)


def merged_index(existing: bytes | None, additions: Iterable[Descriptor]) -> bytes:
    """A fallback referrers index holding what ``existing`` lists and ``additions``, each
    digest once (existing entries first, so a re-run yields the same bytes)."""
    items: dict[Digest, Descriptor] = {}
    if existing is not None:
        for item in Index.from_bytes(existing).manifests:
            items.setdefault(item.digest, item)
    for item in additions:
        items.setdefault(item.digest, item)
    return Index(tuple(items.values()), mediatypes.OCI_INDEX).to_bytes()
