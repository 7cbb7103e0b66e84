"""The keep rules of retention planning, per tag and per manifest, and the order deletions
run in. Pure functions over a RepositoryState; retention.plan_retention puts them together
(its docstring states the rules).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import semver

from goship.oci.digest import Digest
from goship.release.retention import (
    DELETE,
    UNTAG,
    DigestDecision,
    Operation,
    RepositoryState,
    TagDecision,
    attachment_subject,
    duration_text,
    first_match,
)
from goship.release.settings import RetentionPolicy
from goship.release.versions import semver_of


def decide_tags(state: RepositoryState, policy: RetentionPolicy, *, now: float,
                pointers: Collection[str]) -> dict[str, TagDecision]:
    """Each tag's decision. Attachment tags whose manifest is known start out kept
    ("attached"); plan_retention settles them once the manifests are decided."""
    known = set(state.tags.values()) | set(state.manifests)
    decisions: dict[str, TagDecision] = {}
    ranked: list[str] = []  # tags the age and version rules judge
    for tag, digest in state.tags.items():
        facts = state.manifests.get(digest)
        pattern = first_match(policy.protect, tag)
        subject = attachment_subject(tag)
        if pattern is not None:
            decisions[tag] = TagDecision(tag, digest, True, "protect", pattern)
        elif policy.keep_environment_pointers and tag in pointers:
            decisions[tag] = TagDecision(tag, digest, True, "environment-pointer")
        elif (pattern := first_match(policy.keep_tags, tag)) is not None:
            decisions[tag] = TagDecision(tag, digest, True, "keep-tags", pattern)
        elif facts is not None and facts.throwaway:
            decisions[tag] = TagDecision(tag, digest, False, "leftover-throwaway",
                                         "an interrupted prune moved it to a throwaway manifest")
        elif subject is not None and subject in known:
            decisions[tag] = TagDecision(tag, digest, True, "attached", f"to {subject.short()}")
        elif subject is not None:  # inventory looked for it: the manifest it belongs to is gone
            decisions[tag] = TagDecision(tag, digest, False, "attached-to-missing",
                                         f"{subject.short()} is not in the repository")
        else:
            ranked.append(tag)
    newest = _newest(ranked, state, policy.keep_newest or 0)
    for tag in ranked:
        digest = state.tags[tag]
        if tag in newest:
            decisions[tag] = TagDecision(tag, digest, True, "keep-newest", newest[tag])
            continue
        created = _created(state, digest)
        age = None if created is None else now - created
        if policy.keep_within is not None and age is None:
            decisions[tag] = TagDecision(tag, digest, True, "keep-within",
                                         "its age is unknown (no created time)")
        elif policy.keep_within is not None and age is not None and age <= policy.keep_within:
            decisions[tag] = TagDecision(tag, digest, True, "keep-within",
                                         f"pushed {_age_text(age)} ago")
        else:
            detail = f"pushed {_age_text(age)} ago" if age is not None else ""
            decisions[tag] = TagDecision(tag, digest, False, "no-keep-rule", detail)
    return decisions


def _created(state: RepositoryState, digest: Digest) -> float | None:
    facts = state.manifests.get(digest)
    return None if facts is None else facts.created


def _age_text(seconds: float | None) -> str:
    """An age as people say it, rounded down: 45s, 30m, 5h, 12d."""
    if seconds is None:
        return "an unknown time"
    seconds = max(seconds, 0.0)  # a clock ahead of ours
    for unit, size, below in (("s", 1, 120), ("m", 60, 7200), ("h", 3600, 2 * 86400)):
        if seconds < below:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds // 86400)}d"


def _version_key(version: semver.Version) -> tuple[Any, ...]:
    """SemVer precedence as a sort key (sorting 10,000 Version objects by their own
    comparison costs most of a second): a release sorts above its pre-releases; pre-release
    identifiers compare numerically when numeric, below alphanumeric ones, a shorter list of
    equal identifiers first."""
    parts: tuple[tuple[int, int, str], ...] = ()
    if version.prerelease:
        parts = tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                      for part in version.prerelease.split("."))
    return (version.major, version.minor, version.patch, 0 if version.prerelease else 1, parts)


def _newest(tags: Sequence[str], state: RepositoryState, count: int) -> dict[str, str]:
    """The ``count`` highest SemVer tags, and separately the ``count`` most recently pushed
    other tags (unknown times count as oldest), with the reason each is kept."""
    if count <= 0:
        return {}
    versioned: list[tuple[tuple[Any, ...], float, str]] = []
    others: list[tuple[float, str]] = []
    for tag in tags:
        created = _created(state, state.tags[tag])
        when = -math.inf if created is None else created
        version = semver_of(tag)
        if version is None:
            others.append((when, tag))
        else:
            versioned.append((_version_key(version), when, tag))
    versioned.sort(reverse=True)
    others.sort(reverse=True)
    kept = {tag: f"#{rank + 1} of {count} by version" for rank, (_, _, tag) in
            enumerate(versioned[:count])}
    kept.update({tag: f"#{rank + 1} of {count} by push time" for rank, (_, tag) in
                 enumerate(others[:count])})
    return kept


def parents_of(state: RepositoryState) -> dict[Digest, list[Digest]]:
    """The known indexes listing each digest."""
    parents: dict[Digest, list[Digest]] = {}
    for facts in state.manifests.values():
        for child in facts.children:
            parents.setdefault(child, []).append(facts.digest)
    return parents


def decide_digests(state: RepositoryState, policy: RetentionPolicy,
                   tags: Mapping[str, TagDecision], *, now: float) -> dict[Digest, DigestDecision]:
    """Each known manifest's decision: kept while a kept tag or a kept index needs it."""
    tags_of: dict[Digest, list[str]] = {}
    for tag, digest in state.tags.items():
        tags_of.setdefault(digest, []).append(tag)
    parents = parents_of(state)
    decisions: dict[Digest, DigestDecision] = {}

    def decide(digest: Digest) -> DigestDecision:
        if digest in decisions:
            return decisions[digest]
        names = tuple(sorted(tags_of.get(digest, ())))
        kept = [name for name in names if tags[name].keep]
        kept_parents = [] if kept else [parent for parent in parents.get(digest, ())
                                        if decide(parent).keep]
        facts = state.manifests.get(digest)
        if kept:
            decision = DigestDecision(digest, True, "kept-tag",
                                      f"{kept[0]} ({tags[kept[0]].rule})", names)
        elif kept_parents:
            decision = DigestDecision(digest, True, "child-of-kept-index",
                                      f"listed by {min(kept_parents).short()}", names)
        elif names:
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            decision = DigestDecision(digest, False, "all-tags-deleted", shown, names)
        elif facts is not None and facts.throwaway:
            decision = DigestDecision(digest, False, "leftover-throwaway",
                                      "an interrupted prune left it", names)
        else:
            decision = _untagged(digest, state, policy, now=now,
                                 orphaned_now=bool(parents.get(digest)))
        decisions[digest] = decision
        return decision

    for digest in sorted(set(tags_of) | set(state.manifests)):
        decide(digest)
    return decisions


def _untagged(digest: Digest, state: RepositoryState, policy: RetentionPolicy, *, now: float,
              orphaned_now: bool) -> DigestDecision:
    """A manifest no tag and no kept index refers to. One listed by indexes this plan deletes
    becomes untagged now; otherwise it has been untagged since earlier runs recorded it."""
    since = now if orphaned_now else state.untagged_since.get(digest, now)
    if policy.untagged_after is None:
        return DigestDecision(digest, True, "untagged-kept", "untagged-after is not set",
                              untagged_since=since)
    if now - since >= policy.untagged_after:
        return DigestDecision(digest, False, "untagged-expired",
                              f"untagged for {_age_text(now - since)}", untagged_since=since)
    return DigestDecision(digest, True, "untagged-recent",
                          f"untagged for {_age_text(now - since)}, less than "
                          f"{duration_text(policy.untagged_after)}", untagged_since=since)


def order_operations(state: RepositoryState, tags: Mapping[str, TagDecision],
                     digests: Mapping[Digest, DigestDecision]) -> list[Operation]:
    """Every deletion, in the order it may run: an index before what it lists (a manifest
    an index still lists is never deleted first), then oldest first."""
    parents = parents_of(state)
    levels: dict[Digest, int] = {}

    def level(digest: Digest) -> int:
        if digest not in levels:
            deleted = [parent for parent in parents.get(digest, ()) if not digests[parent].keep]
            levels[digest] = 1 + max(level(parent) for parent in deleted) if deleted else 0
        return levels[digest]

    keyed: list[tuple[int, float, int, str, Operation]] = []
    for digest, decision in digests.items():
        if decision.keep:
            continue
        after = tuple(sorted(parent for parent in parents.get(digest, ()) if not digests[parent].keep))
        operation = Operation(DELETE, digest, decision.rule, tags=decision.tags, after=after)
        keyed.append((level(digest), _when(state, digest), 1, str(digest), operation))
    for tag, tag_decision in tags.items():
        if not tag_decision.keep and digests[tag_decision.digest].keep:
            operation = Operation(UNTAG, tag_decision.digest, tag_decision.rule, tag=tag)
            keyed.append((0, _when(state, tag_decision.digest), 0, tag, operation))
    keyed.sort(key=lambda item: item[:4])
    return [item[4] for item in keyed]


def _when(state: RepositoryState, digest: Digest) -> float:
    created = _created(state, digest)
    return -math.inf if created is None else created
