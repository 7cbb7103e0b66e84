"""SemVer versions for releases: tags, bumps, prerelease numbers and snapshot versions.

Versions are ``semver.Version``: the semver library parses them strictly (SemVer 2.0.0, no
leading zeros, no "v") and orders them by SemVer precedence (build metadata ignored). This
module adds what git tags and Conventional Commits mean for them:

- a release tag is ``settings.tag_prefix`` + a SemVer version (``v1.2.3``, ``v1.3.0-rc.1``);
- the current version is the highest release tag (not a prerelease) merged into HEAD;
- the commits since it decide the bump: ``fix``/``perf``/``revert`` a patch, ``feat`` a minor,
  a breaking change (``feat!:``, a ``BREAKING CHANGE:`` footer) a major; below 1.0.0 a
  breaking change bumps the minor unless ``zero_major_breaking = "major"``;
- ``--pre rc`` numbers prereleases after every tag of that version (merged or not, since a tag
  name can exist once only): 1.3.0-rc.1, then 1.3.0-rc.2;
- the snapshot version of an untagged or dirty tree sorts after the current version and
  before the next release: ``1.3.0-dev.5+abc1234[.dirty]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from semver import Version

from goship.errors import ConfigError, UsageError
from goship.versioning.commits import Commit, History, Tag, cancel_reverts
from goship.versioning.settings import VersionSettings

__all__ = [
    "BumpKind", "Version", "VersionPlan", "bump", "commit_kind", "initial_version", "parse_tag",
    "plan_version", "tag_name", "tag_problem",
]

BumpKind = Literal["major", "minor", "patch"]
BUMP_KINDS: tuple[BumpKind, ...] = ("patch", "minor", "major")  # smallest first
# As semantic-release's commit analyzer: a revert is a change users see, like a fix.
PATCH_TYPES = frozenset({"fix", "perf", "revert"})
MINOR_TYPES = frozenset({"feat"})
SNAPSHOT_LABEL = "dev"

_PRERELEASE_LABEL = re.compile(r"[A-Za-z][0-9A-Za-z-]*")
_BUILD = re.compile(r"[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*")


def parse_tag(tag: str, prefix: str) -> Version | None:
    """The version a release tag names (``v1.2.3`` with prefix "v"), None for any other tag."""
    if not tag.startswith(prefix):
        return None
    try:
        return Version.parse(tag[len(prefix):])
    except ValueError:
        return None


def tag_problem(tag: str, prefix: str) -> str | None:
    """Why ``tag`` is not a release tag, in words for a user; None when it is one."""
    if parse_tag(tag, prefix) is not None:
        return None
    if not tag.startswith(prefix):
        return f"does not start with the tag prefix '{prefix}'"
    text = tag[len(prefix):]
    if not text:
        return "has no version after the tag prefix"
    if text[:1] in "vV" and parse_tag(text[1:], "") is not None:
        return f"has a second 'v': the tag prefix is '{prefix}'"
    match = re.match(r"\d+(?:\.\d+)*", text)
    numbers = match.group(0) if match else ""
    count = numbers.count(".") + 1 if numbers else 0
    if numbers and count < 3:
        example = f"{prefix}{numbers}{'.0' * (3 - count)}{text[len(numbers):]}"
        return f"'{text}' is not SemVer: it needs MAJOR.MINOR.PATCH (write {example})"
    if count > 3:
        return f"'{text}' is not SemVer: it has {count} numbers, SemVer has three"
    if re.search(r"(?:^|\.)0\d", numbers):
        return f"'{text}' is not SemVer: numbers must not have leading zeros"
    return f"'{text}' is not SemVer (MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD])"


def tag_name(version: Version, prefix: str) -> str:
    """The git tag for a version. Build metadata stays out: a tag names the source, and SemVer
    gives versions that differ only in build metadata the same precedence."""
    return f"{prefix}{version.replace(build=None)}"


def bump(current: Version, kind: BumpKind) -> Version:
    """``current`` moved up by ``kind``: 1.2.3 -> 2.0.0 / 1.3.0 / 1.2.4. A prerelease moves to
    its release first, as the semver library and npm do: 1.3.0-rc.1 + minor = 1.3.0."""
    return current.next_version(kind)


def commit_kind(commit: Commit) -> BumpKind | None:
    """The change one commit makes, before the below-1.0.0 rule."""
    if commit.breaking:
        return "major"
    if commit.type in MINOR_TYPES:
        return "minor"
    if commit.type in PATCH_TYPES:
        return "patch"
    return None


def largest(kinds: Iterable[BumpKind | None]) -> BumpKind | None:
    found = [kind for kind in kinds if kind is not None]
    return max(found, key=BUMP_KINDS.index, default=None)


@dataclass(frozen=True)
class VersionPlan:
    current: Version | None  # the highest release tag merged into HEAD; None before the first
    next: Version  # what a release of HEAD is called (== current when nothing calls for one)
    snapshot: Version  # the version of this very tree: a tag at a clean HEAD, else a dev version
    bump: BumpKind | None  # how next differs from current; None: first release or no change
    commits: tuple[Commit, ...]  # in this release, newest first (revert pairs taken out)
    history: History
    tag_prefix: str = "v"

    @property
    def first_release(self) -> bool:
        return self.current is None

    @property
    def releasable(self) -> bool:
        """There is something to release: a first release, or a bump."""
        return self.current is None or self.next.replace(build=None) != self.current

    @property
    def current_tag(self) -> str | None:
        last = self.history.last_release
        return last.name if last else None

    @property
    def next_tag(self) -> str:
        return tag_name(self.next, self.tag_prefix)

    def as_json(self) -> dict[str, Any]:
        """Every part of the plan, for `--json`."""
        history = self.history
        return {
            "current": str(self.current) if self.current else None,
            "current_tag": self.current_tag,
            "next": str(self.next),
            "next_tag": self.next_tag,
            "snapshot": str(self.snapshot),
            "bump": self.bump,
            "releasable": self.releasable,
            "prerelease": self.next.prerelease,
            "build": self.next.build,
            "commit": history.head_commit,
            "short_commit": history.short_commit,
            "branch": history.branch,
            "dirty": history.dirty,
            "shallow": history.shallow,
            "commits_since_tag": len(history.commits),
            "commits": [_commit_json(commit) for commit in self.commits],
            "skipped_tags": [{"name": tag.name, "reason": tag.reason} for tag in history.skipped_tags],
        }


def _commit_json(commit: Commit) -> dict[str, Any]:
    return {
        "hash": commit.hash, "short_hash": commit.short_hash, "type": commit.type,
        "scope": commit.scope, "breaking": commit.breaking, "subject": commit.subject,
        "header": commit.header, "breaking_notes": list(commit.breaking_notes),
        "merge": commit.merge, "kind": commit_kind(commit),
    }


def plan_version(history: History, settings: VersionSettings, *, pre: str | None = None,
                 build: str | None = None, force_bump: BumpKind | None = None) -> VersionPlan:
    """The current, next and snapshot versions of ``history``.

    ``pre`` makes the next version a numbered prerelease (``rc`` -> ``1.3.0-rc.N``); ``build``
    adds build metadata to it; ``force_bump`` replaces the bump the commits ask for.
    """
    if pre is not None and not _PRERELEASE_LABEL.fullmatch(pre):
        raise UsageError(f"prerelease label '{pre}' is not valid",
                         "use letters, digits and hyphens, starting with a letter: rc, beta, alpha")
    if build is not None and not _BUILD.fullmatch(build):
        raise UsageError(f"build metadata '{build}' is not valid SemVer build metadata",
                         "use dot-separated identifiers of letters, digits and hyphens, "
                         "e.g. --build ci.1234 or --build 20261122.abc1234")
    if force_bump is not None and force_bump not in BUMP_KINDS:
        raise UsageError(f"bump '{force_bump}' is not one of major, minor, patch")
    initial = initial_version(settings)
    zero_major = _zero_major_breaking(settings)
    last = history.last_release
    current = last.version if last else None
    commits = cancel_reverts(history.commits)

    kind: BumpKind | None = None
    if current is None:
        release = initial
    else:
        kind = force_bump or largest(commit_kind(commit) for commit in commits)
        if kind == "major" and force_bump is None and current.major == 0 and zero_major != "major":
            kind = "minor"  # below 1.0.0 anything may change (SemVer item 4)
        release = bump(current, kind) if kind else current
    # A prerelease tagged since the last release (2.0.0-rc.1) already promised its version:
    # the release continues that line rather than fall below it.
    promised = max((tag.version.finalize_version() for tag in history.merged_tags
                    if tag.version.prerelease and (current is None or tag.version > current)),
                   default=None)
    if promised is not None and promised > release:
        release = promised
        kind = _difference(current, release) if current is not None else None

    next_version = release
    if pre is not None:
        # Nothing to release but a prerelease asked for: it previews the next patch.
        base = bump(release, "patch") if current is not None and release == current else release
        number = _next_prerelease_number(history.tags, base, pre)
        next_version = base.replace(prerelease=f"{pre}.{number}")
    if build is not None:
        next_version = next_version.replace(build=build)
    return VersionPlan(
        current=current,
        next=next_version,
        snapshot=_snapshot(history, current, release),
        bump=kind,
        commits=commits,
        history=history,
        tag_prefix=settings.tag_prefix,
    )


def _snapshot(history: History, current: Version | None, release: Version) -> Version:
    """A clean HEAD at a tag is that tag's version; anything else is a dev version between
    the current version and the next release, which says how far and from where."""
    at_head = [tag.version for tag in history.head_tags if tag.merged]
    if at_head and not history.dirty:
        return max(at_head)
    base = release if current is None or release > current else bump(current, "patch")
    build = history.short_commit + (".dirty" if history.dirty else "")
    return Version(base.major, base.minor, base.patch,
                   prerelease=f"{SNAPSHOT_LABEL}.{len(history.commits)}", build=build or None)


def _next_prerelease_number(tags: Sequence[Tag], base: Version, label: str) -> int:
    highest = 0
    for tag in tags:
        version = tag.version
        if (version.major, version.minor, version.patch) != (base.major, base.minor, base.patch):
            continue
        parts = str(version.prerelease or "").split(".")
        if parts[0] != label:
            continue
        if len(parts) == 1:
            highest = max(highest, 0)
        elif parts[1].isdigit():
            highest = max(highest, int(parts[1]))
    return highest + 1


def _difference(lower: Version, higher: Version) -> BumpKind:
    if higher.major != lower.major:
        return "major"
    return "minor" if higher.minor != lower.minor else "patch"


def initial_version(settings: VersionSettings) -> Version:
    """The first release's version (``initial-version``), checked."""
    where = f" in {settings.source}" if settings.source else ""
    try:
        initial = Version.parse(settings.initial_version.removeprefix(settings.tag_prefix or "\0"))
    except ValueError:
        initial = None
    if initial is None or initial.prerelease or initial.build:
        raise ConfigError(f"release initial-version '{settings.initial_version}'{where} is not a "
                          "SemVer release version", 'write e.g. initial-version = "0.1.0"')
    return initial


def _zero_major_breaking(settings: VersionSettings) -> str:
    if settings.zero_major_breaking not in ("minor", "major"):
        where = f" in {settings.source}" if settings.source else ""
        raise ConfigError(f"release zero-major-breaking '{settings.zero_major_breaking}'{where} "
                          "is neither \"minor\" nor \"major\"",
                          'write zero-major-breaking = "minor" (the default) or "major"')
    return settings.zero_major_breaking

