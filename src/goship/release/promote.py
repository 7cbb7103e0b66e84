"""Promotion: the image a test environment ran, copied by digest to another environment's
repository and tagged there. Nothing is rebuilt, so what reaches production is byte for
byte what was tested.

The steps, in the order that keeps an interrupted promotion harmless:

1. resolve the source reference to its digest and read every manifest below it; with
   ``require_signature``, a signature on that digest must verify with one of the keys
   (goship.supply.signing) or nothing is copied;
2. check the tags to set: an immutable tag (``immutable-tags`` of goship.toml) that already
   names another digest in the target is refused before anything is copied (``force``
   moves it);
3. find what refers to the image (signatures, attestations, SBOMs: goship.release.referrers);
4. copy every blob (mounted within one registry, streamed across registries), then the
   manifests, children before their index (goship.release.copying);
5. point the tags at the digest, then carry the referrers' tags (cosign ``.sig``/``.att``/
   ``.sbom``) and, on a registry without the referrers API, the fallback index;
6. read each tag back from the target: its manifest must hash to the source digest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from goship.errors import ImageError, RegistryError, ReleaseError, UsageError
from goship.oci import mediatypes
from goship.oci.digest import Digest
from goship.oci.reference import Reference, is_valid_tag
from goship.progress import Reporter, SilentReporter
from goship.release.copying import (
    CopyStats,
    RegistryAPI,
    copy_blobs,
    push_manifests,
    read_tree,
    read_tree_at,
    unique_blobs,
)
from goship.release.referrers import (
    Found,
    cosign_tag,
    discover,
    kind_of,
    merged_index,
    referrers_api,
)
from goship.release.settings import Environment
from goship.release.tags import CREATED_LABEL, REVISION_LABEL, VERSION_LABEL, image_facts, parse_time
from goship.release.tagscheme import TagContext, TagMove, immutable_moves, parse_template, render_tags

if TYPE_CHECKING:
    from goship.supply.signing.keys import PublicKey


@dataclass(frozen=True)
class CarriedReferrer:
    """A signature, attestation or SBOM that travelled with the image (or did not)."""

    kind: str  # signature, attestation, sbom, referrer, referrers-index
    digest: Digest
    subject: Digest
    tag: str = ""  # the tag it is found under ("" for a referrer listed by the API)
    outcome: str = "copied"  # copied; kept: the target's tag names another one (see notes)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "digest": str(self.digest), "subject": str(self.subject),
                "tag": self.tag or None, "outcome": self.outcome}


@dataclass(frozen=True)
class Promotion:
    source: Reference  # as resolved: the source repository @ digest
    digest: Digest
    target: Reference  # the target repository @ digest
    tags: tuple[str, ...]  # every tag that names the digest in the target now
    tags_unchanged: tuple[str, ...]  # of those, the ones that named it already
    moved: tuple[TagMove, ...]  # tags that named another digest before (immutable ones: --force)
    referrers: tuple[CarriedReferrer, ...]
    blobs_mounted: int
    blobs_copied: int
    blobs_skipped: int
    bytes_uploaded: int
    manifests_pushed: int
    manifests_skipped: int
    environment: str = ""
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "source": str(self.source), "digest": str(self.digest), "target": str(self.target),
            "environment": self.environment or None, "tags": list(self.tags),
            "tags_unchanged": list(self.tags_unchanged),
            "moved": [{"tag": move.tag, "from": move.existing} for move in self.moved],
            "referrers": [item.to_json() for item in self.referrers],
            "blobs": {"mounted": self.blobs_mounted, "copied": self.blobs_copied,
                      "skipped": self.blobs_skipped},
            "bytes_uploaded": self.bytes_uploaded,
            "manifests": {"pushed": self.manifests_pushed, "skipped": self.manifests_skipped},
            "notes": list(self.notes),
        }


def environment_tags(environment: Environment, labels: Mapping[str, str]) -> tuple[str, ...]:
    """The environment's tag templates rendered for the image with these labels: the version,
    revision and creation time are the image's own, so every promotion of it says the same."""
    version = labels.get(VERSION_LABEL, "").removeprefix("v")
    templates = environment.templates_for(version)
    needs = {name for template in templates for name in parse_template(template).fields}
    if not version:
        raise UsageError(f"the image has no {VERSION_LABEL} label to render environment "
                         f"'{environment.name}''s tags from", "name the tags with --tag")
    if "branch" in needs:
        raise UsageError(f"environment '{environment.name}' has a tag template with {{branch}}, "
                         "which an image does not record", "name the tags with --tag")
    revision = labels.get(REVISION_LABEL, "")
    if needs & {"commit", "short_commit"} and not revision:
        raise UsageError(f"environment '{environment.name}''s tags need the commit, and the image "
                         f"has no {REVISION_LABEL} label", "name the tags with --tag")
    created = parse_time(labels.get(CREATED_LABEL, ""))
    return render_tags(templates, TagContext(version=version, commit=revision,
                                                    env=environment.name, date=created))


def promote(client: RegistryAPI, source: Reference, target: Reference, *,
            tags: Sequence[str] = (), environment: Environment | None = None,
            immutable: Sequence[str] = (), force: bool = False, carry_referrers: bool = True,
            reporter: Reporter | None = None, parallel: int = 8,
            require_signature: Sequence[PublicKey] = ()) -> Promotion:
    """Copy the image ``source`` names to ``target``'s repository by digest and point the
    tags at it there (see the module docstring for the steps): ``tags`` when given, else
    ``environment``'s tag templates rendered for the image (none: a copy by digest only).
    With ``require_signature`` the promotion is refused (UnverifiedImageError, exit code 11)
    unless a signature on the source digest verifies with one of those public keys."""
    reporter = reporter or SilentReporter()
    for tag in tags:
        if not is_valid_tag(tag):
            raise UsageError(f"'{tag}' is not a valid image tag",
                             "a tag is up to 128 letters, digits, '_', '.' or '-', not starting "
                             "with '.' or '-'")
    source_repository, target_repository = source.with_tag(""), target.with_tag("")
    reporter.step(f"reading {source}")
    raw, media_type, digest = client.get_manifest(source)
    if source.digest is None:
        source = source.with_digest(digest)
    notes: list[str] = []
    if require_signature:
        from goship.supply.signing.verify import verify_image

        reporter.step(f"verifying the signatures of {digest.short()}")
        verified = verify_image(client, source_repository, digest, require_signature).require(
            "this promotion requires a valid signature: sign the image (goship sign) with the "
            "private key of one of the required public keys, then promote again")
        first = verified.verified[0]
        notes.append(f"signature {first.index} under {verified.tag} verified with {first.key}")
    tree = read_tree(client, source_repository, raw, media_type, digest)
    if not tags and environment is not None:
        known = {node.digest: node.raw for node in tree.walk()}
        tags = environment_tags(environment, image_facts(client, source_repository, raw, known).labels)
    tags = list(dict.fromkeys(tags))

    existing = {tag: _current(client, target_repository, tag) for tag in tags}
    moves = immutable_moves(target_repository.name, tags, immutable,
                            {tag: str(found) if found else None for tag, found in existing.items()},
                            str(digest))
    if moves and not force:
        listed = "; ".join(f"{move.tag} names {Digest.parse(move.existing).short()}" for move in moves)
        raise ReleaseError(
            f"promoting {digest.short()} to {target_repository.name} would move immutable "
            f"tag(s): {listed}",
            "an immutable tag (release.immutable-tags) never moves once pushed; promote a new "
            "version, or pass --force if moving it is really meant")

    found = (discover(client, source_repository, [node.digest for node in tree.walk()])
             if carry_referrers else Found((), (), None))
    extras = [read_tree_at(client, source_repository.with_digest(item)) for item in found.manifests]
    stats = CopyStats()
    blobs = unique_blobs([tree, *extras])
    reporter.step(f"copying {len(blobs)} blobs to {target_repository.name}")
    copy_blobs(client, blobs, source_repository, target_repository, stats=stats,
               reporter=reporter, parallel=parallel)
    push_manifests(client, tree, target_repository, stats=stats, parallel=parallel)
    for extra in extras:
        push_manifests(client, extra, target_repository, stats=stats, parallel=parallel)

    unchanged = [tag for tag in tags if existing[tag] == digest]
    for tag in tags:
        if existing[tag] != digest:
            client.put_manifest(target_repository.with_tag(tag), raw, media_type)
    carried = _carry_tags(client, found, source_repository, target_repository, force, notes)
    carried += _carry_referrers(client, found, target_repository, notes)

    for tag in tags or [""]:
        _check_digest(client, target_repository, tag, digest)
    all_moves = tuple(TagMove(target_repository.name, tag, str(existing[tag]), str(digest))
                      for tag in tags if existing[tag] is not None and existing[tag] != digest)
    return Promotion(source, digest, target_repository.with_digest(digest), tuple(tags),
                     tuple(unchanged), all_moves, tuple(carried), stats.blobs_mounted,
                     stats.blobs_copied, stats.blobs_skipped, stats.bytes_uploaded,
                     stats.manifests_pushed, stats.manifests_skipped,
                     environment.name if environment else "", tuple(notes))


def _current(client: RegistryAPI, repository: Reference, tag: str) -> Digest | None:
    found = client.head_manifest(repository.with_tag(tag))
    return found[1] if found is not None else None


def _carry_tags(client: RegistryAPI, found: Found, source: Reference, target: Reference,
                force: bool, notes: list[str]) -> list[CarriedReferrer]:
    """Point cosign's tags in the target at the copied manifests. A tag there that names
    another manifest (signatures made in the target) is kept unless ``force``."""
    carried: list[CarriedReferrer] = []
    for item in found.tagged:
        if item.kind == "referrers-index":
            continue  # rebuilt from its entries by _carry_referrers
        current = _current(client, target, item.tag)
        outcome = "copied"
        if current is not None and current != item.digest and not force:
            outcome = "kept"
            notes.append(f"{target.name}:{item.tag} names {current.short()}, not the source's "
                         f"{item.digest.short()}: left as it is (--force replaces it)")
        elif current != item.digest:
            raw, media_type, _ = client.get_manifest(source.with_digest(item.digest))
            client.put_manifest(target.with_tag(item.tag), raw, media_type)
        carried.append(CarriedReferrer(item.kind, item.digest, item.subject, item.tag, outcome))
    return carried


def _carry_referrers(client: RegistryAPI, found: Found, target: Reference,
                     notes: list[str]) -> list[CarriedReferrer]:
    """OCI 1.1 referrers were pushed with the manifests; a registry with the referrers API
    lists them by their subject. Without it, the fallback tag ``sha256-<hex>`` must name an
    index of them: the target's own entries are kept, the source's added."""
    carried: list[CarriedReferrer] = []
    if not found.referrers:
        return carried
    target_api = referrers_api(client, target, found.referrers[0][0]) is not None
    for subject, listed in found.referrers:
        carried += [CarriedReferrer(kind_of(item.artifact_type), item.digest, subject) for item in listed]
        if target_api:
            continue
        tag = cosign_tag(subject, "")
        existing: bytes | None = None
        try:
            existing = client.get_manifest(target.with_tag(tag))[0]
        except ImageError:
            existing = None
        merged = merged_index(existing, listed)
        if merged != existing:
            client.put_manifest(target.with_tag(tag), merged, mediatypes.OCI_INDEX)
            notes.append(f"{target.name} has no referrers API: wrote the fallback tag {tag}")
    return carried


def _check_digest(client: RegistryAPI, repository: Reference, tag: str, digest: Digest) -> None:
    """Read the manifest back as a puller would and hash it ourselves (read by digest, the
    client itself refuses bytes that do not hash to it)."""
    ref = repository.with_tag(tag) if tag else repository.with_digest(digest)
    _, _, stored = client.get_manifest(ref)
    if stored != digest:
        raise RegistryError(
            f"promotion changed the digest: {ref} names {stored}, not the source's {digest}",
            "the target registry rewrote the manifest (some convert media types); promote to a "
            "registry that stores manifests as pushed")
