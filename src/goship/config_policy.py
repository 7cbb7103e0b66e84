"""The image standard's settings: the ``[policy]`` table of goship.toml, or .goship-policy.toml.

A team that only lints keeps a standalone ``.goship-policy.toml`` whose top-level keys are
those of the ``[policy]`` table. Both are checked here into one PolicySettings; config.py
stays the only reader of goship.toml and calls ``settings_from_config_table`` for its
``[policy]`` table, and ``find_policy`` gives `goship lint` its settings in this order:
``--policy-file``, .goship-policy.toml in this directory or a parent up to the git root,
goship.toml ``[policy]`` found the same way, the defaults.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from goship.config import (
    CONFIG_FILE,
    check_table,
    is_bool,
    is_str_list,
    is_str_table,
    line_of,
    load_toml,
    read_config_file,
)
from goship.errors import ConfigError, UsageError
from goship.oci.platform import Platform
from goship.policy.interface import PolicySettings, Severity

POLICY_FILE = ".goship-policy.toml"
_RULE_ID = re.compile(r"^GS\d{3}$")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)
_UNITS = {
    "": 1, "b": 1,
    "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
    "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}


def _is_size(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


_SCHEMA: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "allowed-registries": ("a list of strings (registry hosts or globs)", is_str_list),
    "allowed-bases": ("a list of strings (image references or globs)", is_str_list),
    "builder-images": ("a list of strings (image references or globs)", is_str_list),
    "required-labels": ("a list of strings (label keys)", is_str_list),
    "severity": ("a table of rule ID = \"error\", \"warning\" or \"info\"", is_str_table),
    "disable": ("a list of rule IDs like \"GS101\"", is_str_list),
    "size-budget": ("a number of bytes or a string like \"50MB\" or \"40MiB\"", _is_size),
    "required-platforms": ("a list of strings like \"linux/amd64\"", is_str_list),
    "allow-shell": ("true or false", is_bool),
    "allow-package-manager": ("true or false", is_bool),
}


@functools.cache
def _catalog_rule_ids() -> frozenset[str]:
    """The IDs of every rule (the catalog is loaded only when a file names rules)."""
    from goship.policy.catalog import all_rules

    return frozenset(all_rules())


def parse_size(text: str) -> int:
    """``"50MB"`` (powers of 1000), ``"40MiB"`` (powers of 1024) or ``"1000"`` as bytes;
    ValueError otherwise."""
    match = _SIZE.match(text)
    if match is None or match.group(2).lower() not in _UNITS:
        raise ValueError(text)
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


class _Table:
    """One policy table being read, and how to point at its keys in errors."""

    def __init__(self, data: Mapping[str, Any], *, path: Path, text: str, table: str | None) -> None:
        self.data = data
        self.path = path
        self.text = text
        self.table = table  # "policy" in goship.toml; None for .goship-policy.toml

    def name(self, key: str) -> str:
        return f"{self.table}.{key}" if self.table else key

    def where(self, key: str, sub_key: str | None = None) -> str:
        # An empty key matches no line: line_of then gives the line of the table's header.
        line = line_of(self.text, key, self.table) or line_of(self.text, "", self.name(key))
        if sub_key is not None:
            # A [policy.severity] table, or an inline table on the key's own line.
            line = line_of(self.text, sub_key, self.name(key)) or line
        return f"{self.path}:{line}" if line else str(self.path)

    def error(self, key: str, message: str, hint: str, sub_key: str | None = None) -> ConfigError:
        return ConfigError(f"{self.where(key, sub_key)}: {message}", hint)


def _check_keys(table: _Table) -> None:
    for key in table.data:
        if key not in _SCHEMA:
            close = difflib.get_close_matches(key.replace("_", "-"), list(_SCHEMA), n=1)
            hint = (f"did you mean '{close[0]}'? " if close else "") + \
                f"policy keys: {', '.join(sorted(_SCHEMA))}; see docs/configuration.md"
            raise table.error(key, f"unknown key '{table.name(key)}'", hint)
    check_table(table.data, _SCHEMA, path=table.path, text=table.text, table=table.table)


def _rule_ids(table: _Table, key: str, ids: Collection[str],
              known: Collection[str] | None) -> None:
    for rule_id in ids:
        sub_key = rule_id if key == "severity" else None  # severity's IDs are keys of their own
        if not _RULE_ID.match(rule_id):
            raise table.error(key, f"'{rule_id}' in '{table.name(key)}' is not a rule ID",
                              "rule IDs look like GS101; docs/rules.md lists them", sub_key=sub_key)
        if known is not None and rule_id not in known:
            raise table.error(key, f"'{table.name(key)}' names the unknown rule {rule_id}",
                              "see docs/rules.md for the rule IDs, or remove it", sub_key=sub_key)


def _severities(table: _Table, known: Collection[str] | None) -> dict[str, Severity]:
    raw: dict[str, str] = table.data.get("severity", {})
    _rule_ids(table, "severity", raw, known)
    overrides: dict[str, Severity] = {}
    for rule_id, name in sorted(raw.items()):
        try:
            overrides[rule_id] = Severity.from_name(name)
        except ValueError:
            raise table.error("severity", f"'{table.name('severity')}.{rule_id}' is '{name}'",
                              "use \"error\", \"warning\" or \"info\"", sub_key=rule_id) from None
    return overrides


def _size_budget(table: _Table) -> int | None:
    value = table.data.get("size-budget")
    if value is None:
        return None
    hint = "write a positive number of bytes, or a string like \"50MB\" or \"40MiB\""
    if isinstance(value, str):
        try:
            value = parse_size(value)
        except ValueError:
            raise table.error("size-budget", f"'{table.name('size-budget')}' is '{value}'",
                              hint) from None
    if value <= 0:
        raise table.error("size-budget", f"'{table.name('size-budget')}' must be more than 0", hint)
    return int(value)


def _platforms(table: _Table) -> tuple[str, ...]:
    platforms: list[str] = []
    for text in table.data.get("required-platforms", ()):
        try:
            platform = Platform.parse(text)
        except UsageError as exc:
            raise table.error("required-platforms", f"'{table.name('required-platforms')}': "
                              f"{exc.message}", exc.hint) from None
        platforms.append("/".join(part for part in (platform.os, platform.architecture,
                                                    platform.variant) if part))
    return tuple(dict.fromkeys(platforms))


def _strings(table: _Table, key: str) -> tuple[str, ...] | None:
    """The list as given, or None to keep the default; empty strings are always mistakes."""
    if key not in table.data:
        return None
    values: list[str] = table.data[key]
    if any(not value.strip() for value in values):
        raise table.error(key, f"'{table.name(key)}' holds an empty string", "remove it")
    return tuple(values)


def settings_from_table(
    data: Any,
    *,
    path: Path,
    text: str,
    table: str | None,
    known_rules: Collection[str] | None = None,
) -> PolicySettings:
    """Check one policy table and resolve it over the defaults.

    ``table`` is the table's name in the file ("policy" in goship.toml) or None for a
    .goship-policy.toml; ``known_rules`` are the rule IDs to accept (None: the catalog's,
    when every rule module is importable, else any ID of the form GS123)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:{line_of(text, table or '', None)}: '{table}' must be a table",
                          f"write [{table}] above the policy keys")
    current = _Table(data, path=path, text=text, table=table)
    _check_keys(current)
    known = known_rules if known_rules is not None else (
        _catalog_rule_ids() if ("severity" in data or "disable" in data) else None)
    disabled = data.get("disable", [])
    _rule_ids(current, "disable", disabled, known)
    defaults = PolicySettings()
    return PolicySettings(
        allowed_registries=_or(_strings(current, "allowed-registries"), defaults.allowed_registries),
        allowed_bases=_or(_strings(current, "allowed-bases"), defaults.allowed_bases),
        builder_images=_or(_strings(current, "builder-images"), defaults.builder_images),
        required_labels=_or(_strings(current, "required-labels"), defaults.required_labels),
        severity_overrides=_severities(current, known),
        disabled_rules=frozenset(disabled),
        size_budget=_size_budget(current),
        required_platforms=_platforms(current),
        allow_shell=bool(data.get("allow-shell", defaults.allow_shell)),
        allow_package_manager=bool(data.get("allow-package-manager", defaults.allow_package_manager)),
        source=f"{path} [{table}]" if table else str(path),
    )


def _or(given: tuple[str, ...] | None, default: tuple[str, ...]) -> tuple[str, ...]:
    # An empty list given on purpose stays empty (e.g. no required labels).
    return default if given is None else given


def settings_from_config_table(data: Any, *, path: Path, text: str) -> PolicySettings:
    """The ``[policy]`` table of goship.toml (config.py's reader calls this)."""
    return settings_from_table(data, path=path, text=text, table="policy")


def read_policy_file(path: Path) -> PolicySettings:
    """A standalone policy file: the keys of ``[policy]`` at the top level. A file named
    goship.toml is read as goship.toml, for its ``[policy]`` table."""
    if path.name == CONFIG_FILE:
        policy = read_config_file(path).get("policy")
        return policy if isinstance(policy, PolicySettings) else PolicySettings(source="defaults")
    data, text = load_toml(path)
    if isinstance(data.get("policy"), dict):
        raise ConfigError(f"{path}:{line_of(text, '', 'policy')}: a [policy] table in {path.name}",
                          f"in {POLICY_FILE} write the policy keys at the top level, without [policy]")
    return settings_from_table(data, path=path, text=text, table=None)


def _search_dirs(start: Path) -> list[Path]:
    """``start`` and its parents, up to and including the git work tree's root (the
    first one holding .git); all of them when there is none."""
    directories: list[Path] = []
    for directory in (start, *start.parents):
        directories.append(directory)
        if (directory / ".git").exists():
            break
    return directories


def find_policy(start: Path, *, policy_file: Path | None = None) -> PolicySettings:
    """The settings `goship lint` uses when run in ``start`` (an absolute directory)."""
    if policy_file is not None:
        if not policy_file.is_file():
            raise UsageError(f"policy file {policy_file} does not exist",
                             f"give --policy-file an existing {POLICY_FILE} or goship.toml")
        return read_policy_file(policy_file)
    directories = _search_dirs(start)
    for directory in directories:
        if (directory / POLICY_FILE).is_file():
            return read_policy_file(directory / POLICY_FILE)
    for directory in directories:
        if (directory / CONFIG_FILE).is_file():
            # The nearest goship.toml is the project's; without [policy] it means the defaults.
            return read_policy_file(directory / CONFIG_FILE)
    return PolicySettings(source="defaults")
