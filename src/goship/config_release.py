"""The release settings: the ``[release]``, ``[environments.NAME]`` and ``[[retention]]``
tables of goship.toml, checked into one ReleaseSettings (goship.release.settings shows the
shape of the file).

config.py stays the only reader of goship.toml: it calls ``settings_from_config`` when the
file has any of these tables and keeps the result in ``Config.release``. Commands that need
only these settings (`goship version`, `goship promote`, `goship prune`, ...) call
``find_release_settings``. Every mistake is a ConfigError naming the file, the line and the
key, with a hint.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import semver

from goship.config import CONFIG_FILE, check_table, is_bool, is_str_list, line_of, read_config_file
from goship.errors import ConfigError, UsageError
from goship.release.settings import ChangelogSection, Environment, ReleaseSettings, RetentionPolicy

RELEASE_TABLES = ("release", "environments", "retention")
_ENVIRONMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# What a git tag prefix may hold: enough for "v", "release-" or "services/api/v".
_TAG_PREFIX = re.compile(r"^[A-Za-z0-9._/-]*$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?[smhdw])+$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION_HINT = "write a number and a unit: \"90m\", \"12h\", \"3d\", \"1w\" (or \"1d12h\")"
# A Conventional Commits type, as the commit parser reads it (compared in lower case).
_COMMIT_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_SECTIONS_EXAMPLE = ('changelog-sections = [{type = "feat", title = "Features"}, '
                     '{type = "fix", title = "Bug Fixes"}]')


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


_Schema = dict[str, tuple[str, Callable[[Any], bool]]]
_RELEASE: _Schema = {
    "tag-prefix": ("a string like \"v\"", _is_str),
    "initial-version": ("a SemVer string like \"0.1.0\"", _is_str),
    "zero-major-breaking": ("\"minor\" or \"major\"", _is_str),
    "changelog": ("a string (a file, relative to goship.toml)", _is_str),
    "changelog-sections": ("a list of tables like {type = \"feat\", title = \"Features\"}",
                           _is_table_list),
    "immutable-tags": ("a list of globs (or \"re:REGEX\")", is_str_list),
    "allow-dirty": ("true or false", is_bool),
}
_ENVIRONMENT: _Schema = {
    "repository": ("a string like registry/repository", _is_str),
    "branches": ("a list of branch globs like \"release/*\"", is_str_list),
    "tags": ("a list of tag templates like \"{version}\"", is_str_list),
}
_RETENTION: _Schema = {
    "repository": ("a glob over registry/repository", _is_str),
    "keep-newest": ("a whole number", _is_int),
    "keep-within": ("a duration like \"3d\"", _is_str),
    "keep-tags": ("a list of globs (or \"re:REGEX\")", is_str_list),
    "protect": ("a list of globs (or \"re:REGEX\")", is_str_list),
    "keep-environment-pointers": ("true or false", is_bool),
    "untagged-after": ("a duration like \"1d\"", _is_str),
    "max-deletions": ("a whole number", _is_int),
}


def parse_duration(text: str) -> float:
    """``"90m"``, ``"12h"``, ``"3d"``, ``"1w"``, ``"1d12h"`` or ``"30s"`` as seconds;
    ValueError for anything else, and for zero."""
    compact = text.strip().lower().replace(" ", "")
    if not _DURATION.match(compact):
        raise ValueError(text)
    seconds = sum(float(number) * _SECONDS[unit] for number, unit in _DURATION_PART.findall(compact))
    if seconds <= 0:
        raise ValueError(text)
    return seconds


class _Table:
    """One table being read, and how to point at its keys in errors."""

    def __init__(self, data: Mapping[str, Any], *, path: Path, text: str, table: str,
                 occurrence: int = 0) -> None:
        self.data = data
        self.path = path
        self.text = text
        self.table = table
        self.occurrence = occurrence

    def name(self, key: str) -> str:
        return f"{self.table}.{key}"

    def where(self, key: str) -> str:
        line = line_of(self.text, key, self.table, self.occurrence)
        if not line and "." in self.table:
            # [environments] prod = { ... } or prod.tags = [...]: point at the sub-table's key.
            parent, _, child = self.table.rpartition(".")
            line = line_of(self.text, child, parent) or line_of(self.text, f"{child}.{key}", parent)
        return f"{self.path}:{line}" if line else str(self.path)

    def error(self, key: str, message: str, hint: str) -> ConfigError:
        return ConfigError(f"{self.where(key)}: {message}", hint)

    def check(self, schema: _Schema) -> None:
        for key in self.data:
            if key not in schema:
                close = difflib.get_close_matches(key.replace("_", "-"), list(schema), n=1)
                hint = (f"did you mean '{close[0]}'? " if close else "") + \
                    f"keys of [{self.table}]: {', '.join(schema)}; see docs/configuration.md"
                raise self.error(key, f"unknown key '{self.name(key)}'", hint)
        check_table(self.data, schema, path=self.path, text=self.text, table=self.table,
                    occurrence=self.occurrence)

    def strings(self, key: str) -> tuple[str, ...] | None:
        """The list as given, or None when absent; empty strings are always mistakes."""
        if key not in self.data:
            return None
        values: list[str] = self.data[key]
        if any(not value.strip() for value in values):
            raise self.error(key, f"'{self.name(key)}' holds an empty string", "remove it")
        return tuple(values)

    def patterns(self, key: str) -> tuple[str, ...] | None:
        from goship.release.tagscheme import check_pattern

        values = self.strings(key)
        for pattern in values or ():
            try:
                check_pattern(pattern)
            except ValueError as exc:
                raise self.error(key, f"'{pattern}' in '{self.name(key)}' is {exc}",
                                 "write a glob like \"v*.*.*\", or \"re:\" and a Python regular "
                                 "expression matching the whole tag") from None
        return values

    def duration(self, key: str) -> float | None:
        if key not in self.data:
            return None
        try:
            return parse_duration(self.data[key])
        except ValueError:
            raise self.error(key, f"'{self.name(key)}' is '{self.data[key]}', not a duration",
                             _DURATION_HINT) from None

    def count(self, key: str) -> int | None:
        value: int | None = self.data.get(key)
        if value is not None and value < 0:
            raise self.error(key, f"'{self.name(key)}' is {value}", "write 0 or more")
        return value


def _table_at(data: Any, key: str, *, path: Path, text: str, hint: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}:{line_of(text, key, None)}: '{key}' must be a table", hint)
    return value


def _release(data: Mapping[str, Any], *, path: Path, text: str) -> dict[str, Any]:
    """The [release] keys as ReleaseSettings' field names."""
    table = _Table(data, path=path, text=text, table="release")
    table.check(_RELEASE)
    settings: dict[str, Any] = {}
    if "tag-prefix" in data:
        prefix = data["tag-prefix"]
        if not _TAG_PREFIX.match(prefix) or ".." in prefix or prefix.startswith(("/", "-", ".")):
            raise table.error("tag-prefix", f"'release.tag-prefix' is '{prefix}', which cannot "
                              "start a git tag", "use letters, digits, '.', '_', '-' or '/', "
                              "e.g. \"v\" or \"api/v\" (or \"\" for bare versions)")
        settings["tag_prefix"] = prefix
    if "initial-version" in data:
        version = data["initial-version"]
        parsed = semver.Version.parse(version) if semver.Version.is_valid(version) else None
        if parsed is None or parsed.prerelease or parsed.build:
            # A first release is a release: `goship version --pre rc` makes its prereleases.
            raise table.error("initial-version", f"'release.initial-version' is '{version}', not "
                              "a SemVer release version", "write e.g. \"0.1.0\" (without the tag "
                              "prefix or a prerelease; --pre rc makes 0.1.0-rc.1)")
        settings["initial_version"] = version
    if "zero-major-breaking" in data:
        bump = data["zero-major-breaking"]
        if bump not in ("minor", "major"):
            raise table.error("zero-major-breaking", f"'release.zero-major-breaking' is '{bump}'",
                              "write \"minor\" (0.x stays 0.x) or \"major\" (a breaking change "
                              "releases 1.0.0)")
        settings["zero_major_breaking"] = bump
    if "changelog" in data:
        if not data["changelog"].strip():
            raise table.error("changelog", "'release.changelog' is empty",
                              "name a file, e.g. \"CHANGELOG.md\"")
        settings["changelog"] = data["changelog"]
    if "changelog-sections" in data:
        settings["changelog_sections"] = _changelog_sections(data["changelog-sections"], path=path,
                                                             text=text)
    immutable = table.patterns("immutable-tags")
    if immutable is not None:
        settings["immutable_tags"] = immutable
    if "allow-dirty" in data:
        settings["allow_dirty"] = data["allow-dirty"]
    return settings


def _changelog_sections(items: list[dict[str, Any]], *, path: Path,
                        text: str) -> tuple[ChangelogSection, ...]:
    """``[release] changelog-sections``: the sections of the notes, in order. Written inline
    (``[{type = "feat", title = "Features"}, ...]``) or as ``[[release.changelog-sections]]``
    tables; an error points at the table's own line when it has one, else at the key."""
    key = "changelog-sections"
    listed = line_of(text, key, "release")

    def error(number: int, message: str, hint: str) -> ConfigError:
        own = line_of(text, "", f"release.{key}", number)  # 0 unless a [[release.KEY]] table
        return ConfigError(f"{path}:{own or listed}: {message}", hint)

    if not items:
        raise ConfigError(f"{path}:{listed}: 'release.{key}' is empty, so the notes would list "
                          "breaking changes only", f"list the sections, e.g. {_SECTIONS_EXAMPLE}; "
                          "or remove the key for the default sections")
    sections: list[ChangelogSection] = []
    seen: dict[str, int] = {}
    for number, item in enumerate(items):
        name = f"release.{key}[{number}]"
        for field in item:
            if field not in ("type", "title"):
                close = difflib.get_close_matches(field, ["type", "title"], n=1)
                raise error(number, f"unknown key '{field}' in '{name}'",
                            (f"did you mean '{close[0]}'? " if close else "") +
                            "a section has a type and a title")
        commit_type, title = item.get("type"), item.get("title")
        if not isinstance(commit_type, str) or not _COMMIT_TYPE.match(commit_type):
            shown = "missing" if commit_type is None else \
                f"'{commit_type}'" if isinstance(commit_type, str) else f"{commit_type!r}"
            raise error(number, f"'{name}.type' is {shown}, not a commit type",
                        "write the type commits start with: \"feat\", \"fix\", \"perf\", "
                        "\"docs\", ... (letters, digits, '-' and '_')")
        if not isinstance(title, str) or not title.strip() or "\n" in title:
            raise error(number, f"'{name}.title' must be a one-line heading",
                        f"write e.g. {{type = \"{commit_type}\", title = \"Features\"}}")
        lower = commit_type.lower()
        if lower in seen:
            raise error(number, f"'{name}' repeats the type '{lower}' of "
                        f"'release.{key}[{seen[lower]}]'",
                        "list each type once; its commits go under that one heading")
        seen[lower] = number
        sections.append(ChangelogSection(lower, title.strip()))
    return tuple(sections)


def _environment(name: str, data: Any, *, path: Path, text: str) -> Environment:
    if isinstance(data, dict):  # [environments.NAME.deploy] is goship.config_deploy's to read
        data = {key: value for key, value in data.items() if key != "deploy"}
    table = _Table(data if isinstance(data, dict) else {}, path=path, text=text,
                   table=f"environments.{name}")
    if not isinstance(data, dict):
        raise table.error("", f"'environments.{name}' must be a table",
                          f"write [environments.{name}] with repository, branches and tags")
    if not _ENVIRONMENT_NAME.match(name):
        raise table.error("", f"environment name '{name}' is not valid",
                          "use letters, digits, '.', '_' or '-' (it can appear in tags as {env})")
    table.check(_ENVIRONMENT)
    repository = str(data.get("repository", ""))
    if repository:
        from goship.oci.reference import Reference

        try:
            reference = Reference.parse(repository, default_tag="")
        except UsageError as exc:
            raise table.error("repository", f"'environments.{name}.repository': {exc.message}",
                              exc.hint) from None
        if reference.tag or reference.digest is not None:
            raise table.error("repository", f"'environments.{name}.repository' is '{repository}', "
                              "with a tag or digest", "name only registry/repository: the "
                              "environment's `tags` say which tags are pushed")
    branches = table.strings("branches") or ()
    tags = table.strings("tags")
    if tags is not None and not tags:
        raise table.error("tags", f"'environments.{name}.tags' is empty",
                          "give at least one tag template, e.g. [\"{version}\"]")
    from goship.release.tagscheme import parse_template

    for template in tags or ():
        try:
            parse_template(template)
        except ConfigError as exc:
            raise table.error("tags", f"'environments.{name}.tags': {exc.message}", exc.hint) from None
    if tags is None:
        return Environment(name=name, repository=repository, branches=branches)
    return Environment(name=name, repository=repository, branches=branches, tags=tags)


def _retention(data: Any, number: int, *, path: Path, text: str) -> RetentionPolicy:
    table = _Table(data, path=path, text=text, table="retention", occurrence=number)
    table.check(_RETENTION)
    repository = data.get("repository", "*")
    if not repository.strip():
        raise table.error("repository", "'retention.repository' is empty",
                          "write a glob over registry/repository, e.g. \"*/app-dev\" (or \"*\")")
    defaults = RetentionPolicy()
    max_deletions = table.count("max-deletions")
    return RetentionPolicy(
        repository=repository,
        keep_newest=table.count("keep-newest"),
        keep_within=table.duration("keep-within"),
        keep_tags=table.patterns("keep-tags") or (),
        protect=table.patterns("protect") or (),
        keep_environment_pointers=bool(data.get("keep-environment-pointers",
                                                defaults.keep_environment_pointers)),
        untagged_after=table.duration("untagged-after"),
        max_deletions=defaults.max_deletions if max_deletions is None else max_deletions,
    )


def settings_from_config(data: Mapping[str, Any], *, path: Path, text: str) -> ReleaseSettings:
    """The release settings of a parsed goship.toml (config.py's reader calls this with the
    whole file; tables other than release, environments and retention are not looked at)."""
    release = _release(_table_at(data, "release", path=path, text=text,
                                 hint="write [release] above the release keys"), path=path, text=text)
    environments_table = _table_at(data, "environments", path=path, text=text,
                                   hint="write each environment as [environments.NAME]")
    environments = {name: _environment(name, table, path=path, text=text)
                    for name, table in environments_table.items()}
    retention = data.get("retention", [])
    if not isinstance(retention, list) or not all(isinstance(item, dict) for item in retention):
        raise ConfigError(f"{path}:{line_of(text, 'retention', None) or line_of(text, '', 'retention')}: "
                          "'retention' must be an array of tables",
                          "write each policy as [[retention]] (two brackets)")
    policies = tuple(_retention(item, number, path=path, text=text)
                     for number, item in enumerate(retention))
    return ReleaseSettings(**release, environments=environments, retention=policies, source=str(path))


def read_release_settings(path: Path) -> ReleaseSettings:
    """The release settings of one goship.toml; the defaults (with ``source`` naming the
    file) when it has no release tables."""
    release = read_config_file(path).get("release")
    return release if isinstance(release, ReleaseSettings) else ReleaseSettings(source=str(path))


def _search_dirs(start: Path) -> list[Path]:
    """``start`` and its parents, up to and including the git work tree's root (the first
    one holding .git): a goship.toml above the repository belongs to another project."""
    directories: list[Path] = []
    for directory in (start, *start.parents):
        directories.append(directory)
        if (directory / ".git").exists():
            break
    return directories


def find_release_settings(start: Path) -> ReleaseSettings:
    """The release settings for a command run in ``start``: those of the nearest goship.toml
    in ``start`` or a parent (up to the git root), else the defaults (``source`` empty)."""
    for directory in _search_dirs(start.resolve()):
        if (directory / CONFIG_FILE).is_file():
            return read_release_settings(directory / CONFIG_FILE)
    return ReleaseSettings()
