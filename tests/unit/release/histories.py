"""History values built in memory, for tests of the pure planning (no git needed)."""

from __future__ import annotations

from collections.abc import Sequence

from goship.versioning.commits import Commit, History, Tag
from goship.versioning.versions import Version

RELEASE_COMMIT = "f" * 40


def commit_hash(number: int) -> str:
    return f"{number:040x}"


def make_history(current: str | None, messages: Sequence[str], *, tags: Sequence[Tag] = (),
                 dirty: bool = False, prefix: str = "v") -> History:
    """A history whose last release is ``current`` (tagged at RELEASE_COMMIT) followed by
    ``messages`` (oldest first); ``tags`` are more tags (prereleases, other branches)."""
    commits = tuple(Commit.from_message(commit_hash(number), message)
                    for number, message in reversed(list(enumerate(messages, start=1))))
    all_tags = list(tags)
    if current is not None:
        all_tags.append(Tag(f"{prefix}{current}", Version.parse(current), RELEASE_COMMIT))
    head = commits[0].hash if commits else RELEASE_COMMIT
    return History(head_commit=head, short_commit=head[:7], branch="main", dirty=dirty,
                   tags=tuple(sorted(all_tags, key=lambda tag: tag.version, reverse=True)),
                   commits=commits)


def tag(name: str, *, merged: bool = True, commit: str = "e" * 40, prefix: str = "v") -> Tag:
    return Tag(name, Version.parse(name.removeprefix(prefix)), commit, merged)
