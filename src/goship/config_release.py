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

import re
from pathlib import Path
from typing import Any

import semver

from goship.config import CONFIG_FILE, nearest_file, read_config_file
from goship.config_tables import (
    TRUE_OR_FALSE,
    WHOLE_NUMBER,
    ConfigTable,
    Schema,
    is_str,
    is_str_list,
    is_table_list,
    suggestion,
)
from goship.errors import ConfigError, UsageError
from goship.release.settings import ChangelogSection, Environment, ReleaseSettings, RetentionPolicy

RELEASE_TABLES = ("release", "environments", "retention")
_ENVIRONMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# What a git tag prefix may hold: enough for "v", "release-" or "services/api/v".
_TAG_PREFIX = re.compile(r"^[A-Za-z0-9._/-]*$")
# A Conventional Commits type, as the commit parser reads it (compared in lower case).
_COMMIT_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_SECTIONS_EXAMPLE = ('changelog-sections = [{type = "feat", title = "Features"}, '
                     '{type = "fix", title = "Bug Fixes"}]')
_PATTERN_HINT = ("write a glob like \"v*.*.*\", or \"re:\" and a Python regular expression matching "
                 "the whole tag")
_RELEASE: Schema = {
    "tag-prefix": ("a string like \"v\"", is_str),
    "initial-version": ("a SemVer string like \"0.1.0\"", is_str),
    "zero-major-breaking": ("\"minor\" or \"major\"", is_str),
    "changelog": ("a string (a file, relative to goship.toml)", is_str),
    "changelog-sections": ("a list of tables like {type = \"feat\", title = \"Features\"}",
                           is_table_list),
    "immutable-tags": ("a list of globs (or \"re:REGEX\")", is_str_list),
    "allow-dirty": TRUE_OR_FALSE,
}
_ENVIRONMENT: Schema = {
    "repository": ("a string like registry/repository", is_str),
    "branches": ("a list of branch globs like \"release/*\"", is_str_list),
    "tags": ("a list of tag templates like \"{version}\"", is_str_list),
    "final-tags": ("a list of tag templates like \"{major}.{minor}\"", is_str_list),
    "snapshot": TRUE_OR_FALSE,
}
_RETENTION: Schema = {
    "repository": ("a glob over registry/repository", is_str),
    "keep-newest": WHOLE_NUMBER,
    "keep-within": ("a duration like \"3d\"", is_str),
    "keep-tags": ("a list of globs (or \"re:REGEX\")", is_str_list),
    "protect": ("a list of globs (or \"re:REGEX\")", is_str_list),
    "keep-environment-pointers": TRUE_OR_FALSE,
    "untagged-after": ("a duration like \"1d\"", is_str),
    "max-deletions": WHOLE_NUMBER,
}


def _patterns(table: ConfigTable, key: str) -> tuple[str, ...] | None:
    from goship.release.tagscheme import check_pattern

    return table.patterns(key, check_pattern, _PATTERN_HINT)


def _release(table: ConfigTable) -> dict[str, Any]:
    """The [release] keys as ReleaseSettings' field names."""
    table.check(_RELEASE)
    data = table.data
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
        settings["zero_major_breaking"] = table.choice(
            "zero-major-breaking", ("minor", "major"), "minor",
            hint="write \"minor\" (0.x stays 0.x) or \"major\" (a breaking change releases 1.0.0)")
    if "changelog" in data:
        settings["changelog"] = table.filled("changelog", "name a file, e.g. \"CHANGELOG.md\"")
    if "changelog-sections" in data:
        settings["changelog_sections"] = _changelog_sections(table)
    immutable = _patterns(table, "immutable-tags")
    if immutable is not None:
        settings["immutable_tags"] = immutable
    if "allow-dirty" in data:
        settings["allow_dirty"] = data["allow-dirty"]
    return settings


def _changelog_sections(release: ConfigTable) -> tuple[ChangelogSection, ...]:
    """``[release] changelog-sections``: the sections of the notes, in order. Written inline
    (``[{type = "feat", title = "Features"}, ...]``) or as ``[[release.changelog-sections]]``
    tables; an error points at the table's own line when it has one, else at the key."""
    key = "changelog-sections"
    if not release.data[key]:
        raise release.error(key, f"'release.{key}' is empty, so the notes would list breaking "
                            f"changes only", f"list the sections, e.g. {_SECTIONS_EXAMPLE}; or "
                            "remove the key for the default sections")
    sections: list[ChangelogSection] = []
    seen: dict[str, int] = {}
    for number, item in enumerate(release.array(key, f"write e.g. {_SECTIONS_EXAMPLE}", indexed=True)):
        name = item.label
        for field in item.data:
            if field not in ("type", "title"):
                raise item.error("", f"unknown key '{field}' in '{name}'",
                                 suggestion(field, ("type", "title")) + "a section has a type and a title")
        commit_type, title = item.data.get("type"), item.data.get("title")
        if not isinstance(commit_type, str) or not _COMMIT_TYPE.match(commit_type):
            shown = "missing" if commit_type is None else \
                f"'{commit_type}'" if isinstance(commit_type, str) else f"{commit_type!r}"
            raise item.error("", f"'{name}.type' is {shown}, not a commit type",
                             "write the type commits start with: \"feat\", \"fix\", \"perf\", "
                             "\"docs\", ... (letters, digits, '-' and '_')")
        if not isinstance(title, str) or not title.strip() or "\n" in title:
            raise item.error("", f"'{name}.title' must be a one-line heading",
                             f"write e.g. {{type = \"{commit_type}\", title = \"Features\"}}")
        lower = commit_type.lower()
        if lower in seen:
            raise item.error("", f"'{name}' repeats the type '{lower}' of 'release.{key}[{seen[lower]}]'",
                             "list each type once; its commits go under that one heading")
        seen[lower] = number
        sections.append(ChangelogSection(lower, title.strip()))
    return tuple(sections)


def _environment(environments: ConfigTable, name: str) -> Environment:
    table = environments.table(name, hint=f"write [environments.{name}] with repository, branches and tags")
    if not _ENVIRONMENT_NAME.match(name):
        raise table.error("", f"environment name '{name}' is not valid",
                          "use letters, digits, '.', '_' or '-' (it can appear in tags as {env})")
    # [environments.NAME.deploy] is goship.config_deploy's to read
    table.check(_ENVIRONMENT, sub_tables=("deploy",))
    repository = str(table.data.get("repository", ""))
    if repository:
        from goship.oci.reference import Reference

        try:
            reference = Reference.parse(repository, default_tag="")
        except UsageError as exc:
            raise table.error_from("repository", exc) from None
        if reference.tag or reference.digest is not None:
            raise table.error("repository", f"'environments.{name}.repository' is '{repository}', "
                              "with a tag or digest", "name only registry/repository: the "
                              "environment's `tags` say which tags are pushed")
    branches = table.strings("branches") or ()
    tags = table.strings("tags")
    table.filled("tags", "give at least one tag template, e.g. [\"{version}\"]")
    from goship.release.tagscheme import parse_template

    final_tags = table.strings("final-tags") or ()
    for key, templates in (("tags", tags or ()), ("final-tags", final_tags)):
        for template in templates:
            try:
                parse_template(template)
            except ConfigError as exc:
                raise table.error_from(key, exc) from None
    snapshot = table.flag("snapshot", False)
    if tags is None:
        return Environment(name=name, repository=repository, branches=branches, final_tags=final_tags,
                           snapshot=snapshot)
    return Environment(name=name, repository=repository, branches=branches, tags=tags,
                       final_tags=final_tags, snapshot=snapshot)


def _retention(table: ConfigTable) -> RetentionPolicy:
    table.check(_RETENTION)
    repository = table.filled("repository", "write a glob over registry/repository, e.g. \"*/app-dev\" "
                              "(or \"*\")", default="*")
    defaults = RetentionPolicy()
    return RetentionPolicy(
        repository=repository,
        keep_newest=table.count("keep-newest"),
        keep_within=table.duration("keep-within"),
        keep_tags=_patterns(table, "keep-tags") or (),
        protect=_patterns(table, "protect") or (),
        keep_environment_pointers=table.flag("keep-environment-pointers",
                                             defaults.keep_environment_pointers),
        untagged_after=table.duration("untagged-after"),
        max_deletions=table.count("max-deletions", defaults.max_deletions),
    )


def settings_from_config(root: ConfigTable) -> ReleaseSettings:
    """The release settings of a parsed goship.toml (config.py's reader calls this with the
    file's top level; tables other than release, environments and retention are not looked at)."""
    release = _release(root.table("release", hint="write [release] above the release keys"))
    environments = root.table("environments", hint="write each environment as [environments.NAME]")
    by_name = {name: _environment(environments, name) for name in environments.data}
    policies = tuple(_retention(table) for table in
                     root.array("retention", "write each policy as [[retention]] (two brackets)"))
    return ReleaseSettings(**release, environments=by_name, retention=policies, source=str(root.path))


def read_release_settings(path: Path) -> ReleaseSettings:
    """The release settings of one goship.toml; the defaults (with ``source`` naming the
    file) when it has no release tables."""
    release = read_config_file(path).get("release")
    return release if isinstance(release, ReleaseSettings) else ReleaseSettings(source=str(path))


def find_release_settings(start: Path) -> ReleaseSettings:
    """The release settings for a command run in ``start``: those of the nearest goship.toml
    in ``start`` or a parent (up to the git root), else the defaults (``source`` empty)."""
    found = nearest_file(start.resolve(), CONFIG_FILE)
    return read_release_settings(found) if found is not None else ReleaseSettings()
