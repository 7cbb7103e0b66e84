"""Release notes from Conventional Commits, and CHANGELOG.md updated in place.

``render_section`` writes the Markdown of one release::

    ## [1.3.0] - 2026-11-22

    ### BREAKING CHANGES

    - **api:** drop the v1 endpoints (abc1234)
      Clients must call /v2.

    ### Features

    - **auth:** log in with a passkey (def5678)

Breaking changes come first, whatever their type; then one section per commit type in the
order of the sections given: goship.toml's ``release.changelog-sections``, else ``SECTIONS``
(Features, Bug Fixes, Performance, Reverts; docs, refactor, test, build, ci, chore and style
are hidden unless shown). Commits that are not conventional stay out.

``update_changelog`` puts a section on top of CHANGELOG.md, under its title and any
``## [Unreleased]`` section, replaces the section of the same version if there is one, and
keeps every other byte of the file as it was. The file is replaced atomically.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from goship.errors import OutputError
from goship.oci.filelock import write_atomic
from goship.release.settings import CHANGELOG_SECTIONS, ChangelogSection
from goship.versioning.commits import Commit
from goship.versioning.versions import VersionPlan

__all__ = ["BREAKING_TITLE", "NOTHING", "SECTIONS", "TITLE", "ChangelogSection", "configure_sections",
           "render_section", "update_changelog"]

TITLE = "# Changelog"
BREAKING_TITLE = "BREAKING CHANGES"
NOTHING = "No notable changes."
SECTIONS: tuple[ChangelogSection, ...] = CHANGELOG_SECTIONS


def configure_sections(*, show: Iterable[str] = (), hide: Iterable[str] = (),
                       sections: Sequence[ChangelogSection] = SECTIONS) -> tuple[ChangelogSection, ...]:
    """``sections`` with the types in ``show`` shown and those in ``hide`` hidden."""
    shown, hidden = set(show), set(hide)
    return tuple(replace(section, hidden=section.type in hidden or (section.hidden and
                                                                     section.type not in shown))
                 for section in sections)


def render_section(plan: VersionPlan, *, date: datetime.date,
                   sections: Sequence[ChangelogSection] = SECTIONS) -> str:
    """The Markdown section for the release ``plan.next``, ending in one newline."""
    version = plan.next.replace(build=None)  # notes are for the release, not for one build
    lines = [f"## [{version}] - {date.isoformat()}", ""]
    breaking = [commit for commit in plan.commits if commit.breaking]
    if breaking:
        lines += [f"### {BREAKING_TITLE}", ""]
        for commit in breaking:
            lines.append(_item(commit))
            lines += [f"  {note}" for note in commit.breaking_notes if note != commit.subject]
        lines.append("")
    for section in sections:
        items = [_item(commit) for commit in plan.commits
                 if commit.type == section.type and not commit.breaking]
        if items and not section.hidden:
            lines += [f"### {section.title}", "", *items, ""]
    if len(lines) == 2:
        lines += [NOTHING, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _item(commit: Commit) -> str:
    scope = f"**{commit.scope}:** " if commit.scope else ""
    return f"- {scope}{commit.subject} ({commit.short_hash})"


def update_changelog(path: Path, section: str, version: str) -> None:
    """Put ``section`` (the notes of ``version``) into the changelog at ``path``.

    A new file gets a title. An existing one gets the section before its first release
    section (after ``## [Unreleased]``), or in place of the section already there for
    ``version``; all other bytes stay as they were, line endings included.
    """
    try:
        raw: bytes | None = path.read_bytes()
    except FileNotFoundError:
        raw = None
    except OSError as error:
        raise OutputError(f"updating {path}: cannot read it: {error.strerror}",
                          "check that it is a file you may read and write") from None
    body = section.replace("\r\n", "\n").rstrip("\n") + "\n"
    if raw is None or not raw.strip():
        text = f"{TITLE}\n\n{body}"
    else:
        # surrogateescape: bytes that are not UTF-8 come back out exactly as they went in.
        text = _updated(raw.decode("utf-8", "surrogateescape"), body, version)
    try:
        write_atomic(path.resolve(), text.encode("utf-8", "surrogateescape"))
    except OSError as error:
        raise OutputError(f"updating {path}: {error.strerror or error}",
                          "check that the directory is writable and the disk not full") from None


def _updated(text: str, body: str, version: str) -> str:
    newline = "\r\n" if "\r\n" in text else "\n"
    block = body.replace("\n", newline)
    lines = text.splitlines(keepends=True)
    headings = _release_headings(lines)
    wanted = _version_heading(version)
    same = next((index for index in headings if wanted.match(lines[index])), None)
    if same is not None:
        end = _section_end(lines, same, headings)
        after = [newline] if end < len(lines) else []
        return "".join([*lines[:same], block, *after, *lines[end:]])
    top = next((index for index in headings if not _UNRELEASED.match(lines[index])), None)
    if top is not None:
        return "".join([*lines[:top], block, newline, *lines[top:]])
    # No release section yet: after everything there is (title, intro, Unreleased), but before
    # link reference definitions at the end.
    end = _trailing_links(lines, 0)
    head = "".join(lines[:end])
    if head and not head.endswith(("\n", "\r")):
        head += newline
    if head and not head.endswith(newline * 2):
        head += newline
    tail = [newline, *lines[end:]] if end < len(lines) else []
    return "".join([head, block, *tail])


_HEADING = re.compile(r"## ")
_UNRELEASED = re.compile(r"##\s+\[?unreleased\]?(?:\s|$)", re.IGNORECASE)
_LINK_DEFINITION = re.compile(r"\s{0,3}\[[^\]]+\]:\s*\S")
_FENCE = re.compile(r"\s{0,3}(?:```|~~~)")


def _version_heading(version: str) -> re.Pattern[str]:
    plain = version.partition("+")[0].removeprefix("v")
    return re.compile(r"##\s+\[?v?" + re.escape(plain) + r"\]?(?:\s|$)")


def _release_headings(lines: Sequence[str]) -> list[int]:
    """Indexes of the level-2 headings outside fenced code blocks."""
    found: list[int] = []
    fenced = False
    for index, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and _HEADING.match(line):
            found.append(index)
    return found


def _section_end(lines: Sequence[str], start: int, headings: Sequence[int]) -> int:
    """Where the section starting at ``start`` ends: the next level-2 heading, or the link
    reference definitions that close the file (they belong to the whole changelog)."""
    following = [index for index in headings if index > start]
    return following[0] if following else _trailing_links(lines, start + 1)


def _trailing_links(lines: Sequence[str], start: int) -> int:
    """The first line of the run of link definitions (and blank lines) that ends the file,
    at or after ``start``; len(lines) when the file does not end in one."""
    end = len(lines)
    index = end
    while index > start and (not lines[index - 1].strip() or _LINK_DEFINITION.match(lines[index - 1])):
        index -= 1
    if not any(_LINK_DEFINITION.match(line) for line in lines[index:end]):
        return end
    # Blank lines before the definitions stay with them.
    while index < end and not lines[index].strip():
        index += 1
    return index
