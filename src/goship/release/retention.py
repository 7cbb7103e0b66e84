"""Retention planning: which tags and manifests of a repository to keep, which to delete, why.

Pure: the input is what the registry holds (:class:`RepositoryState`, gathered by
:mod:`goship.release.inventory`), one :class:`RetentionPolicy`, the environment pointer tags
and the time; the output is a :class:`RetentionPlan` that :mod:`goship.release.prune` carries
out. Nothing here talks to a registry, so the rules can be tested on thousands of random
repositories (tests/unit/release/test_retention.py).

Tags. Keep rules are OR'd; the first one that keeps a tag is the one reported, in this order:
``protect`` patterns, environment pointer tags, ``keep-tags`` patterns, the ``keep-newest``
N (SemVer tags by version; the other tags, separately, by push time), ``keep-within``.
A tag whose age is unknown (no ``created`` in its config) is kept when ``keep-within`` is set:
we cannot tell it is old. Two kinds of tag are judged by what they point at or belong to:
a leftover of an interrupted prune (it points at a throwaway manifest) is deleted unless a
pattern or pointer names it, and a cosign-style attachment tag (``sha256-<hex>.sig``) is kept
exactly when the manifest it signs or describes is kept (deleted when that manifest is not in
the repository at all). Neither counts towards keep-newest: a signature is not a release.

Manifests (by digest). A manifest is kept when one of its tags is kept or an index that is
kept lists it; otherwise, when it has tags, it is deleted (with every tag it still has: the
registry removes them together). An untagged manifest is deleted once it has been untagged
for ``untagged-after``. "Push time" is the image's ``created`` time (its config, else the
``org.opencontainers.image.created`` label; for an index, its first platform's): the
distribution API records no push time.

Operations. A deleted tag whose manifest is kept becomes an ``untag`` (prune.py moves it to a
throwaway manifest and deletes that), a deleted manifest a ``delete``. Indexes go before the
manifests they list; within that, oldest first. At most ``max_deletions`` operations run; the
rest are listed as deferred to the next run. A plan that would delete every tag of the
repository is refused unless the caller allows it.
"""

from __future__ import annotations

import fnmatch
import re
import string
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from goship.oci.canonical import canonical_json
from goship.oci.digest import Digest
from goship.release.settings import ReleaseSettings, RetentionPolicy

REGEX_PREFIX = "re:"
# Tags cosign (and tools following its convention) attach to a manifest: sha256-<hex>.sig,
# .att, .sbom. They belong to the manifest they name, not to the release history.
_ATTACHMENT = re.compile(r"^(sha256)-([a-f0-9]{64})(\..+)?$")

UNTAG = "untag"
DELETE = "delete"


# ------------------------------------------------------------------------------- input


@dataclass(frozen=True)
class ManifestFacts:
    """What planning needs of one manifest or index."""

    digest: Digest
    media_type: str = ""
    created: float | None = None  # epoch seconds; None when the image does not say
    children: tuple[Digest, ...] = ()  # what an index lists (attestations included)
    throwaway: bool = False  # a manifest goship prune put up to remove a tag (a leftover)


@dataclass(frozen=True)
class RepositoryState:
    """A repository as the registry showed it: tag -> digest, facts per digest (tagged ones,
    children of indexes, and untagged ones known from earlier runs) and since when each known
    untagged manifest has been untagged."""

    repository: str  # registry/repository
    tags: Mapping[str, Digest]
    manifests: Mapping[Digest, ManifestFacts] = field(default_factory=dict)
    untagged_since: Mapping[Digest, float] = field(default_factory=dict)


# ------------------------------------------------------------------------------- output


@dataclass(frozen=True)
class TagDecision:
    tag: str
    digest: Digest
    keep: bool
    rule: str  # "protect", "environment-pointer", "keep-tags", "keep-newest", ... "no-keep-rule"
    detail: str = ""  # the pattern, the rank, the age: what makes the rule apply


@dataclass(frozen=True)
class DigestDecision:
    digest: Digest
    keep: bool
    rule: str  # "kept-tag", "child-of-kept-index", "all-tags-deleted", "untagged", ...
    detail: str = ""
    tags: tuple[str, ...] = ()  # the tags pointing at it now
    untagged_since: float | None = None


@dataclass(frozen=True)
class Operation:
    """One registry deletion. ``untag`` removes ``tag`` (which points at ``digest``, a kept
    manifest); ``delete`` removes the manifest ``digest`` with ``tags``, all of them deleted.
    ``after``: the indexes listing ``digest`` that this plan deletes first."""

    kind: str
    digest: Digest
    rule: str
    tag: str = ""
    tags: tuple[str, ...] = ()
    after: tuple[Digest, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "digest": str(self.digest), "tag": self.tag or None,
                "tags": list(self.tags), "rule": self.rule, "after": [str(d) for d in self.after]}


@dataclass(frozen=True)
class RetentionPlan:
    repository: str
    policy: RetentionPolicy
    now: float
    tags: tuple[TagDecision, ...]
    digests: tuple[DigestDecision, ...]
    operations: tuple[Operation, ...]  # to run now, in this order
    deferred: tuple[Operation, ...] = ()  # beyond max_deletions: for the next run
    refusal: str = ""  # why nothing may run (the plan deletes every tag), or ""

    @property
    def kept_tags(self) -> frozenset[str]:
        return frozenset(item.tag for item in self.tags if item.keep)

    @property
    def kept_digests(self) -> frozenset[Digest]:
        return frozenset(item.digest for item in self.digests if item.keep)

    def to_json(self) -> dict[str, Any]:
        return {
            "repository": self.repository,
            "now": self.now,
            "policy": policy_json(self.policy),
            "refusal": self.refusal or None,
            "tags": [{"tag": item.tag, "digest": str(item.digest), "keep": item.keep,
                      "rule": item.rule, "detail": item.detail} for item in self.tags],
            "digests": [{"digest": str(item.digest), "keep": item.keep, "rule": item.rule,
                         "detail": item.detail, "tags": list(item.tags),
                         "untagged_since": item.untagged_since} for item in self.digests],
            "operations": [op.to_json() for op in self.operations],
            "deferred": [op.to_json() for op in self.deferred],
        }

    def digest_of_plan(self) -> str:
        """sha256 of the plan's canonical JSON: names this exact plan in audit records."""
        return str(Digest.of_bytes(canonical_json(self.to_json())))


def policy_json(policy: RetentionPolicy) -> dict[str, Any]:
    return {"repository": policy.repository, "keep_newest": policy.keep_newest,
            "keep_within": policy.keep_within, "keep_tags": list(policy.keep_tags),
            "protect": list(policy.protect),
            "keep_environment_pointers": policy.keep_environment_pointers,
            "untagged_after": policy.untagged_after, "max_deletions": policy.max_deletions}


# ------------------------------------------------------------------------------- helpers


def select_policy(policies: Sequence[RetentionPolicy], repository: str) -> RetentionPolicy | None:
    """The first policy whose ``repository`` glob matches ``registry/repository``."""
    for policy in policies:
        if fnmatch.fnmatchcase(repository, policy.repository):
            return policy
    return None


def matches(pattern: str, tag: str) -> bool:
    """A glob (case-sensitive) or ``re:REGEX`` (matching the whole tag)."""
    if pattern.startswith(REGEX_PREFIX):
        return re.fullmatch(pattern[len(REGEX_PREFIX):], tag) is not None
    return fnmatch.fnmatchcase(tag, pattern)


def first_match(patterns: Iterable[str], tag: str) -> str | None:
    return next((pattern for pattern in patterns if matches(pattern, tag)), None)


def pointer_tags(settings: ReleaseSettings) -> tuple[str, ...]:
    """The environment pointer tags: every environment tag template with no per-build
    placeholder (only ``{env}``, or none), rendered for its environment (``latest-{env}`` ->
    ``latest-dev``). Placeholders are read with goship.release.tagscheme when it is there,
    so both agree on the template syntax; rendering is a plain ``{env}`` substitution."""
    found: list[str] = []
    for name, environment in settings.environments.items():
        for template in environment.all_templates:
            if set(_placeholders(template)) <= {"env"}:
                tag = string.Formatter().vformat(template, (), {"env": environment.name or name})
                if tag not in found:
                    found.append(tag)
    return tuple(found)


def _placeholders(template: str) -> tuple[str, ...]:
    try:
        from goship.release.tagscheme import parse_template
    except ImportError:  # tagscheme not there: read the fields the way str.format does
        return tuple(name for _, name, _, _ in string.Formatter().parse(template) if name is not None)
    return parse_template(template).fields


def attachment_subject(tag: str) -> Digest | None:
    """The digest a cosign-style attachment tag (``sha256-<hex>.sig``) belongs to."""
    match = _ATTACHMENT.match(tag)
    return Digest(match.group(1), match.group(2)) if match else None


def duration_text(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


# ------------------------------------------------------------------------------- planning


def plan_retention(state: RepositoryState, policy: RetentionPolicy, *, now: float,
                   pointers: Collection[str] = (), allow_delete_all: bool = False,
                   max_deletions: int | None = None) -> RetentionPlan:
    """Decide every tag and every known manifest of ``state`` under ``policy`` at ``now``.

    ``max_deletions`` overrides the policy's cap (``--max-deletions``)."""
    # The rules module builds the decisions defined here, so it is imported when used.
    from goship.release.retention_rules import decide_digests, decide_tags, order_operations

    tag_decisions = decide_tags(state, policy, now=now, pointers=pointers)
    digest_decisions = decide_digests(state, policy, tag_decisions, now=now)
    # Attachment tags follow the manifest they belong to, which may itself be an attachment:
    # they start out kept and are dropped until nothing changes (each round only drops, so
    # this ends; a chain of attachments is short).
    while _follow_attachments(tag_decisions, digest_decisions):
        digest_decisions = decide_digests(state, policy, tag_decisions, now=now)
    operations = order_operations(state, tag_decisions, digest_decisions)
    cap = policy.max_deletions if max_deletions is None else max_deletions
    refusal = ""
    if state.tags and not any(item.keep for item in tag_decisions.values()) and not allow_delete_all:
        refusal = (f"the plan deletes every tag of {state.repository} ({len(state.tags)}); "
                   "goship prune never empties a repository unless told to")
    run, deferred = (operations[:max(cap, 0)], operations[max(cap, 0):]) if not refusal else ((), ())
    return RetentionPlan(
        repository=state.repository, policy=policy, now=now,
        tags=tuple(tag_decisions[tag] for tag in sorted(tag_decisions)),
        digests=tuple(digest_decisions[digest] for digest in sorted(digest_decisions)),
        operations=tuple(run), deferred=tuple(deferred), refusal=refusal)


def _follow_attachments(tags: dict[str, TagDecision],
                        digests: Mapping[Digest, DigestDecision]) -> bool:
    """Drop the attachment tags whose manifest is deleted; whether any was dropped."""
    changed = False
    for tag, decision in tags.items():
        subject = attachment_subject(tag)
        if decision.rule == "attached" and subject is not None and not digests[subject].keep:
            tags[tag] = TagDecision(tag, decision.digest, False, "attached-to-deleted",
                                    f"{subject.short()} is deleted")
            changed = True
    return changed
