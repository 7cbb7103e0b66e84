"""A release's history from git, and Conventional Commits parsing.

``read_history(repo, settings)`` asks git (`git -C repo ...`, read-only) for the tags, the
commits since the last release tag, the head commit, the branch and whether the tree is
dirty. Only tags merged into HEAD count as releases (`git tag --merged HEAD`, as
`git describe` sees them); tags elsewhere are kept, flagged, because a prerelease number or a
version tagged on another branch must not be handed out twice.

The Conventional Commits parser (`parse_message`) is written here by hand: the
conventional-commit libraries on the Python package index are unmaintained or pull in heavy
dependencies, and the grammar goship needs (header, `!`, the BREAKING CHANGE footer, git's
revert messages) is a few regular expressions.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from semver import Version

from goship.errors import ReleaseError
from goship.versioning.git import STATUS_ARGS, current_branch
from goship.versioning.settings import VersionSettings

# type(scope)!: subject. The spec asks for ": " after the type; "fix:typo" is not conventional.
_HEADER = re.compile(
    r"(?P<type>[A-Za-z][A-Za-z0-9_-]*)(?:\((?P<scope>[^()]*)\))?(?P<bang>!)?: +(?P<subject>\S.*)")
# git revert writes `Revert "<subject>"`; git 2.43+ writes `Reapply "<subject>"` for a revert
# of a revert.
_GIT_REVERT = re.compile(r'(?P<verb>Revert|Reapply) "(?P<inner>.*)"')
_REVERTED = re.compile(r"This reverts commit (?P<hash>[0-9a-fA-F]{7,40})")
# A footer line: a token then ": " or " #" (spec 8-10). BREAKING CHANGE is the one token with a
# space and, per the spec, must be upper case.
_FOOTER = re.compile(r"(?:BREAKING CHANGE|BREAKING-CHANGE|[A-Za-z][A-Za-z0-9-]*)(?:: | #)")
_BREAKING_FOOTER = re.compile(r"(?:BREAKING CHANGE|BREAKING-CHANGE):[ \t]*(?P<text>.*)")
_REFS_FOOTER = re.compile(r"Refs?:[ \t]*(?P<refs>.*)", re.IGNORECASE)
_HASH = re.compile(r"\b[0-9a-fA-F]{7,40}\b")


@dataclass(frozen=True)
class Commit:
    """One commit, its message parsed as a Conventional Commit where it is one."""

    hash: str  # 40 hex digits
    short_hash: str
    header: str  # the first line, as written
    body: str = ""  # the rest of the message
    type: str | None = None  # "feat", "fix", ... in lower case; None: not a conventional commit
    scope: str | None = None
    subject: str = ""  # the header after "type(scope)!: " (the whole header when not conventional)
    breaking: bool = False
    breaking_notes: tuple[str, ...] = ()  # the text of BREAKING CHANGE footers
    merge: bool = False  # more than one parent
    reverts: tuple[str, ...] = ()  # commits (full or abbreviated hashes) this one reverts

    @classmethod
    def from_message(cls, hash: str, message: str, *, short_hash: str = "",
                     merge: bool = False) -> Commit:
        """A commit from its hash and its raw message (`git log --format=%B`)."""
        lines = message.strip().splitlines() or [""]
        header = lines[0].strip()
        body = "\n".join(lines[1:]).strip()
        parsed = parse_message(header, body)
        return cls(hash=hash, short_hash=short_hash or hash[:7], header=header, body=body,
                   type=parsed.type, scope=parsed.scope, subject=parsed.subject,
                   breaking=parsed.breaking, breaking_notes=parsed.breaking_notes, merge=merge,
                   reverts=parsed.reverts)


@dataclass(frozen=True)
class ParsedMessage:
    type: str | None
    scope: str | None
    subject: str
    breaking: bool = False
    breaking_notes: tuple[str, ...] = ()
    reverts: tuple[str, ...] = ()


def parse_message(header: str, body: str = "") -> ParsedMessage:
    """The Conventional Commits reading of a header line and a body.

    Merge commits ("Merge branch 'x'", "Merge pull request #1 ...") are not conventional and
    parse to type None: the commits they bring in are read on their own. A git revert
    (`Revert "feat: x"`) is type "revert"; a revert of a revert (`Revert "Revert "feat: x""`
    or `Reapply "feat: x"`) reads as the original change again.
    """
    reverts = tuple(match.group("hash").lower() for match in _REVERTED.finditer(body))
    git_revert = _GIT_REVERT.fullmatch(header)
    if git_revert:
        inner = git_revert.group("inner")
        nested = _GIT_REVERT.fullmatch(inner)
        if git_revert.group("verb") == "Reapply":
            reapplied: str | None = inner
        elif nested and nested.group("verb") == "Revert":
            reapplied = nested.group("inner")
        else:
            reapplied = None
        if reapplied is not None:
            again = parse_message(reapplied)
            return ParsedMessage(again.type, again.scope, again.subject, again.breaking,
                                 again.breaking_notes, reverts)
        return ParsedMessage("revert", None, inner, reverts=reverts)
    match = _HEADER.fullmatch(header.strip())
    if not match:
        return ParsedMessage(None, None, header.strip(), reverts=reverts)
    kind = match.group("type").lower()
    notes = _breaking_notes(body)
    if kind == "revert":
        reverts += _refs(body)
    return ParsedMessage(
        type=kind,
        scope=(match.group("scope") or "").strip() or None,
        subject=match.group("subject").strip(),
        breaking=bool(match.group("bang")) or bool(notes),
        breaking_notes=tuple(note for note in notes if note),
        reverts=reverts,
    )


def _breaking_notes(body: str) -> list[str]:
    """The text of each BREAKING CHANGE footer: its line and the lines after it up to a blank
    line or the next footer. Matched per line, as the widely used JS parser does, so that a
    trailer such as Signed-off-by after the note does not hide it."""
    notes: list[str] = []
    current: list[str] | None = None
    for line in body.splitlines():
        breaking = _BREAKING_FOOTER.fullmatch(line.rstrip())
        if breaking:
            if current is not None:
                notes.append(" ".join(current).strip())
            current = [breaking.group("text").strip()]
        elif current is not None and line.strip() and not _FOOTER.match(line):
            current.append(line.strip())
        elif current is not None:
            notes.append(" ".join(current).strip())
            current = None
    if current is not None:
        notes.append(" ".join(current).strip())
    return notes


def _refs(body: str) -> tuple[str, ...]:
    found: list[str] = []
    for line in body.splitlines():
        refs = _REFS_FOOTER.fullmatch(line.strip())
        if refs:
            found.extend(value.lower() for value in _HASH.findall(refs.group("refs")))
    return tuple(found)


def cancel_reverts(commits: Sequence[Commit]) -> tuple[Commit, ...]:
    """``commits`` (newest first) without the revert pairs inside them.

    A change that was made and reverted between two releases never reached a user, so neither
    commit bumps the version or shows in the changelog. A revert of something already released
    stays: it is a change. Walking newest first makes a revert of a revert cancel the revert
    and keep the original.
    """
    cancelled: set[str] = set()
    for commit in commits:
        if commit.hash in cancelled:
            continue
        for reverted in commit.reverts:
            target = next((other for other in commits if other.hash.startswith(reverted)
                           and other.hash != commit.hash), None)
            if target is not None and target.hash not in cancelled:
                cancelled.update((commit.hash, target.hash))
                break
    return tuple(commit for commit in commits if commit.hash not in cancelled)


@dataclass(frozen=True)
class Tag:
    name: str
    version: Version
    commit: str  # the commit it points at (annotated tags peeled)
    merged: bool = True  # reachable from HEAD


@dataclass(frozen=True)
class SkippedTag:
    """A tag reachable from HEAD that is not a release tag, and why."""

    name: str
    reason: str


@dataclass(frozen=True)
class History:
    head_commit: str  # 40 hex digits
    short_commit: str
    branch: str | None  # on a detached HEAD, the branch a CI variable names; else None
    dirty: bool  # `git status --porcelain` shows something, untracked files included (Go's rule)
    tags: tuple[Tag, ...] = ()  # every SemVer tag with the prefix, highest first
    commits: tuple[Commit, ...] = ()  # since the last release tag (all when none), newest first
    skipped_tags: tuple[SkippedTag, ...] = ()
    shallow: bool = False  # a shallow clone: older tags and commits may be missing

    @property
    def merged_tags(self) -> tuple[Tag, ...]:
        return tuple(tag for tag in self.tags if tag.merged)

    @property
    def last_release(self) -> Tag | None:
        """The highest release (not prerelease) tag merged into HEAD: the current version."""
        releases = [tag for tag in self.merged_tags if not tag.version.prerelease]
        return max(releases, key=lambda tag: tag.version, default=None)

    @property
    def head_tags(self) -> tuple[Tag, ...]:
        return tuple(tag for tag in self.tags if tag.commit == self.head_commit)


def _branch(repo: Path, env: Mapping[str, str] | None) -> str | None:
    """The branch, by the rule `goship release` uses: on a detached HEAD (CI), the branch a CI
    variable names. Without ``env`` (the process's own environment), only git is asked."""
    if env is not None:
        return current_branch(repo, env) or None
    return _git(repo, env, "symbolic-ref", "--short", "--quiet", "HEAD", allow_failure=True) or None


def read_history(repo: Path, settings: VersionSettings, *,
                 env: Mapping[str, str] | None = None) -> History:
    """What git knows about the release state of the work tree at ``repo``.

    ``env`` is the environment git runs with (the CLI passes its own); None inherits it.
    """
    from goship.versioning.versions import parse_tag, tag_problem  # versions imports this module

    _git(repo, env, "rev-parse", "--show-toplevel")
    head = _git(repo, env, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", allow_failure=True)
    if not head:
        raise ReleaseError(f"reading the history of {repo}: the repository has no commits yet",
                           "commit something first (git add -A && git commit), then run again")
    merged_names = set(_git(repo, env, "for-each-ref", "--merged", "HEAD",
                            "--format=%(refname:strip=2)", "refs/tags").splitlines())
    tags: list[Tag] = []
    skipped: list[SkippedTag] = []
    listing = _git(repo, env, "for-each-ref", "--format=%(refname:strip=2)%00%(objectname)%00"
                   "%(*objectname)", "refs/tags")
    for line in listing.splitlines():
        name, _, rest = line.partition("\0")
        target, _, peeled = rest.partition("\0")
        version = parse_tag(name, settings.tag_prefix)
        if version is not None:
            tags.append(Tag(name, version, peeled or target, merged=name in merged_names))
        elif name in merged_names:
            skipped.append(SkippedTag(name, tag_problem(name, settings.tag_prefix) or "not SemVer"))
    tags.sort(key=lambda tag: (tag.version, tag.name), reverse=True)
    history = History(
        head_commit=head,
        short_commit=_git(repo, env, "rev-parse", "--short", "HEAD"),
        branch=_branch(repo, env),
        dirty=bool(_git(repo, env, *STATUS_ARGS)),
        tags=tuple(tags),
        skipped_tags=tuple(sorted(skipped, key=lambda tag: tag.name)),
        shallow=_git(repo, env, "rev-parse", "--is-shallow-repository") == "true",
    )
    since = history.last_release
    revisions = f"{since.commit}..{head}" if since else head
    return replace(history, commits=_read_commits(repo, env, revisions))


def _read_commits(repo: Path, env: Mapping[str, str] | None, revisions: str) -> tuple[Commit, ...]:
    # Unit separators between fields, NUL between commits (-z): messages may hold anything else.
    output = _git(repo, env, "-c", "log.showSignature=false", "-c", "i18n.logOutputEncoding=UTF-8",
                  "log", "--topo-order", "-z", "--format=%H%x1f%h%x1f%P%x1f%B", revisions, "--",
                  strip=False)
    commits = []
    for record in output.split("\0"):
        if not record.strip():
            continue
        full, short, parents, message = record.lstrip("\n").split("\x1f", 3)
        commits.append(Commit.from_message(full, message, short_hash=short,
                                           merge=len(parents.split()) > 1))
    return tuple(commits)


def _git(repo: Path, env: Mapping[str, str] | None, *args: str, allow_failure: bool = False,
         strip: bool = True) -> str:
    """git's output; a ReleaseError naming the problem when git fails (or "" if allowed)."""
    try:
        completed = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, encoding="utf-8",
            errors="replace", env=dict(env) if env is not None else None, timeout=120,
        )
    except FileNotFoundError as error:
        raise ReleaseError("reading versions from git: git is not installed or not on PATH",
                           "install git (https://git-scm.com/downloads) and run again") from error
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ReleaseError(f"running git {' '.join(args[:2])} in {repo}: {error}",
                           "check that the directory exists and git works there") from error
    if completed.returncode == 0:
        return completed.stdout.strip() if strip else completed.stdout
    if allow_failure:
        return ""
    message = completed.stderr.strip().splitlines()[0] if completed.stderr.strip() else ""
    if not repo.is_dir():
        raise ReleaseError(f"reading versions from git: {repo} is not a directory",
                           "check the path (-C DIR names the service's work tree)")
    if "not a git repository" in message.lower():
        raise ReleaseError(f"reading versions from git: {repo} is not in a git repository",
                           "run in the work tree of the service (or pass -C DIR); versions come "
                           "from its tags and commits (git init, commit, git tag v0.1.0)")
    command = next(arg for arg in args if not arg.startswith("-") and "=" not in arg)
    raise ReleaseError(f"reading versions from git in {repo}: git {command} failed: "
                       f"{message or f'exit status {completed.returncode}'}",
                       "run the same git command by hand to see the whole message")
