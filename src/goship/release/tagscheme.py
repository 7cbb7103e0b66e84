"""Tag schemes: which image tags a release publishes, per environment.

An environment (``[environments.NAME]`` in goship.toml) is chosen by the git branch: the
first environment, in the order of the file, with a ``branches`` glob matching the branch
(``--env`` overrides). Its ``tags`` are templates over these placeholders:

==================  ==========================================================
``{version}``       the release's SemVer without the tag prefix (``1.3.0-rc.1``);
                    build metadata's ``+`` becomes ``_`` since tags cannot hold ``+``
``{major}`` ...     ``{major}``, ``{minor}``, ``{patch}``: the numbers
``{prerelease}``    ``rc.1``, or empty
``{build}``         the build metadata, or empty
``{commit}``        the 40-hex commit the images are built from
``{short_commit}``  its first 7 characters
``{branch}``        the branch, sanitised for tags (``feature/Login`` -> ``feature-Login``)
``{date:FORMAT}``   strftime of the commit time in UTC (``{date}`` is ``%Y%m%d``). The
                    commit time, not the clock, so the same commit always yields the same
                    tags: a release that is re-run after a failure publishes what it meant to
``{env}``           the environment's name
==================  ==========================================================

Every rendered tag is checked against the OCI tag grammar before anything is pushed, and
tags matching ``immutable-tags`` are never moved to another digest (without ``--force``).
"""

from __future__ import annotations

import fnmatch
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import semver

from goship.errors import ConfigError, UsageError
from goship.release.settings import Environment, ReleaseSettings

TAG_GRAMMAR = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")
DEFAULT_DATE_FORMAT = "%Y%m%d"
PLACEHOLDERS = ("version", "major", "minor", "patch", "prerelease", "build", "short_commit",
                "commit", "branch", "date", "env")
REGEX_PREFIX = "re:"
# The environment `goship release` uses when goship.toml configures none.
DEFAULT_ENVIRONMENT = Environment(name="release", tags=("{version}",))
_NOT_IN_TAGS = re.compile(r"[^a-zA-Z0-9_.-]+")
_TAG_HINT = "a tag is 1 to 128 letters, digits, '_', '.' or '-', and does not start with '.' or '-'"


@dataclass(frozen=True)
class TagTemplate:
    """One parsed template: its text and, in order, the placeholders it uses."""

    text: str
    fields: tuple[str, ...]


def parse_template(text: str) -> TagTemplate:
    """Check a template's syntax and placeholders; ConfigError (without a location: the
    config reader adds one) when either is wrong."""
    hint = f"placeholders: {', '.join('{' + name + '}' for name in PLACEHOLDERS)}; " \
           "write {{ or }} for a literal brace"
    if not text:
        raise ConfigError("tag template is empty", "remove it or write e.g. \"{version}\"")
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ConfigError(f"tag template '{text}' is malformed: {exc}", hint) from None
    fields: list[str] = []
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            raise ConfigError(f"tag template '{text}' has an unknown placeholder '{{{name}}}'", hint)
        if conversion is not None:
            raise ConfigError(f"tag template '{text}': '{{{name}!{conversion}}}' is not supported",
                              f"write {{{name}}}")
        if spec and name != "date":
            raise ConfigError(f"tag template '{text}': only {{date}} takes a format, "
                              f"not {{{name}:{spec}}}", f"write {{{name}}}")
        if name == "date" and spec and ("{" in spec or "}" in spec):
            raise ConfigError(f"tag template '{text}': a nested placeholder in {{date:{spec}}}",
                              "write a strftime format, e.g. {date:%Y%m%d}")
        fields.append(name)
    return TagTemplate(text, tuple(fields))


def sanitize_branch(branch: str) -> str:
    """A branch name as it may appear inside a tag: runs of anything but letters, digits,
    '_', '.' and '-' become one '-' (so feature/login is feature-login), with no '.' or '-'
    in front, at most 128 characters."""
    return _NOT_IN_TAGS.sub("-", branch).lstrip(".-")[:128]


@dataclass(frozen=True)
class TagContext:
    """What a template is rendered with."""

    version: str  # SemVer without the tag prefix: "1.3.0", "1.3.0-rc.1+build.5"
    commit: str = ""
    branch: str = ""
    env: str = ""
    date: datetime | None = None  # the commit time; None: not in git (then "now" is used)

    def values(self) -> dict[str, object]:
        try:
            parsed = semver.Version.parse(self.version)
        except (ValueError, TypeError) as exc:
            raise UsageError(f"'{self.version}' is not a SemVer version: {exc}",
                             "versions look like 1.2.3, 1.2.3-rc.1 or 1.2.3+build.5") from None
        when = self.date or datetime.now(tz=UTC)
        return {
            "version": self.version.replace("+", "_"),
            "major": parsed.major,
            "minor": parsed.minor,
            "patch": parsed.patch,
            "prerelease": parsed.prerelease or "",
            "build": parsed.build or "",
            "commit": self.commit,
            "short_commit": self.commit[:7],
            "branch": sanitize_branch(self.branch),
            "env": self.env,
            "date": when.astimezone(UTC),
        }


class _DateFormatter(string.Formatter):
    """str.format, with {date} defaulting to %Y%m%d (datetime's own default is isoformat,
    whose ':' and '+' are not allowed in tags)."""

    def format_field(self, value: object, format_spec: str) -> str:
        if isinstance(value, datetime):
            return value.strftime(format_spec or DEFAULT_DATE_FORMAT)
        return str(value)


def render_template(template: str, context: TagContext) -> str:
    """One template rendered; not yet checked against the tag grammar."""
    parse_template(template)
    return _DateFormatter().vformat(template, (), context.values())


def render_tags(templates: Sequence[str], context: TagContext) -> tuple[str, ...]:
    """Every template rendered and checked, duplicates dropped (first one kept).

    A tag that breaks the OCI tag grammar is a UsageError naming its template: nothing is
    pushed until every tag of every image is known to be valid."""
    values = context.values()
    tags: list[str] = []
    for template in templates:
        parse_template(template)
        tag = _DateFormatter().vformat(template, (), values)
        if not TAG_GRAMMAR.match(tag):
            shown = tag if tag else "(empty)"
            raise UsageError(
                f"tag template '{template}' renders '{shown}' for version {context.version}"
                + (f" in environment '{context.env}'" if context.env else "")
                + ", which is not a valid image tag; nothing was pushed",
                f"{_TAG_HINT}; change the template in goship.toml",
            )
        if tag not in tags:
            tags.append(tag)
    return tuple(tags)


# ---------------------------------------------------------------------------------------
# environments


def select_environment(settings: ReleaseSettings, branch: str, requested: str | None = None) -> Environment:
    """The environment for a release from ``branch``: ``requested`` (``--env``) when given,
    else the first environment in goship.toml with a matching branch glob; the built-in
    ``release`` environment (tags ``{version}``) when goship.toml configures none."""
    configured = list(settings.environments)
    listed = ", ".join(configured) if configured else "none"
    if requested is not None:
        if requested in settings.environments:
            return settings.environment(requested)
        if not configured and requested == DEFAULT_ENVIRONMENT.name:
            return DEFAULT_ENVIRONMENT
        raise UsageError(f"unknown environment '{requested}' (configured: {listed})",
                         "give --env one of the configured names, or add "
                         f"[environments.{requested}] to goship.toml")
    if not configured:
        return DEFAULT_ENVIRONMENT
    for environment in settings.environments.values():
        if any(fnmatch.fnmatchcase(branch, glob) for glob in environment.branches):
            return environment
    shown = f"branch '{branch}'" if branch else "a detached HEAD (no branch)"
    choices = "; ".join(f"{env.name}: {', '.join(env.branches) or 'no branches'}"
                        for env in settings.environments.values())
    raise UsageError(f"{shown} matches no environment's branches ({choices})",
                     "choose one with --env NAME, or add the branch to an environment's "
                     "`branches` in goship.toml")


# ---------------------------------------------------------------------------------------
# immutable tags


def check_pattern(pattern: str) -> None:
    """ValueError when ``pattern`` (a glob, or "re:REGEX") can never be used."""
    if not pattern.strip():
        raise ValueError("an empty pattern")
    if pattern.startswith(REGEX_PREFIX):
        try:
            re.compile(pattern[len(REGEX_PREFIX):])
        except re.error as exc:
            raise ValueError(f"a bad regular expression: {exc}") from None


def pattern_matches(pattern: str, tag: str) -> bool:
    """Whether ``tag`` matches a glob (fnmatch, case-sensitive) or a "re:REGEX" (whole tag)."""
    if pattern.startswith(REGEX_PREFIX):
        return re.fullmatch(pattern[len(REGEX_PREFIX):], tag) is not None
    return fnmatch.fnmatchcase(tag, pattern)


def is_immutable(tag: str, patterns: Sequence[str]) -> bool:
    return any(pattern_matches(pattern, tag) for pattern in patterns)


@dataclass(frozen=True)
class TagMove:
    """An immutable tag that already names another digest in the registry."""

    repository: str
    tag: str
    existing: str  # the digest it names now
    new: str  # the digest the release would point it at


def immutable_moves(repository: str, tags: Sequence[str], patterns: Sequence[str],
                    existing: Mapping[str, str | None], new_digest: str) -> list[TagMove]:
    """The immutable tags among ``tags`` that a push of ``new_digest`` would move.

    ``existing`` maps tags to the digest the registry names for them (None: no such tag);
    a tag absent from it was not looked up and counts as new. A tag already naming
    ``new_digest`` (a reproducible rebuild of the same release) is not a move."""
    moves: list[TagMove] = []
    for tag in tags:
        current = existing.get(tag)
        if current is not None and current != new_digest and is_immutable(tag, patterns):
            moves.append(TagMove(repository, tag, current, new_digest))
    return moves
