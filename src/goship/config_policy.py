"""The image standard's settings: the ``[policy]`` table of goship.toml, or .goship-policy.toml.

A team that only lints keeps a standalone ``.goship-policy.toml`` whose top-level keys are
those of the ``[policy]`` table. Both are checked here into one PolicySettings; config.py
stays the only reader of goship.toml and calls ``settings_from_config`` for its
``[policy]`` table, and ``find_policy`` gives `goship lint` its settings in this order:
``--policy-file``, .goship-policy.toml in this directory or a parent up to the git root,
goship.toml ``[policy]`` found the same way, the defaults.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from pathlib import Path

from goship.config import CONFIG_FILE, load_toml, nearest_file, read_config_file
from goship.config_tables import TRUE_OR_FALSE, ConfigTable, Schema, is_size, is_str_list, is_str_table
from goship.errors import UsageError
from goship.oci.platform import Platform
from goship.policy.interface import PolicySettings, Severity

POLICY_FILE = ".goship-policy.toml"
_RULE_ID = re.compile(r"^GS\d{3}$")
_SCHEMA: Schema = {
    "allowed-registries": ("a list of strings (registry hosts or globs)", is_str_list),
    "allowed-bases": ("a list of strings (image references or globs)", is_str_list),
    "builder-images": ("a list of strings (image references or globs)", is_str_list),
    "required-labels": ("a list of strings (label keys)", is_str_list),
    "severity": ("a table of rule ID = \"error\", \"warning\" or \"info\"", is_str_table),
    "disable": ("a list of rule IDs like \"GS101\"", is_str_list),
    "size-budget": ("a number of bytes or a string like \"50MB\" or \"40MiB\"", is_size),
    "required-platforms": ("a list of strings like \"linux/amd64\"", is_str_list),
    "allow-shell": TRUE_OR_FALSE,
    "allow-package-manager": TRUE_OR_FALSE,
}


@functools.cache
def _catalog_rule_ids() -> frozenset[str]:
    """The IDs of every rule (the catalog is loaded only when a file names rules)."""
    from goship.policy.catalog import all_rules

    return frozenset(all_rules())


def _rule_ids(table: ConfigTable, key: str, ids: Collection[str], known: Collection[str] | None) -> None:
    for rule_id in ids:
        # severity's IDs are keys of their own: [policy.severity], or an inline table
        at, where = (table.child(key), rule_id) if key == "severity" else (table, key)
        if not _RULE_ID.match(rule_id):
            raise at.error(where, f"'{rule_id}' in '{table.name(key)}' is not a rule ID",
                           "rule IDs look like GS101; docs/rules.md lists them")
        if known is not None and rule_id not in known:
            raise at.error(where, f"'{table.name(key)}' names the unknown rule {rule_id}",
                           "see docs/rules.md for the rule IDs, or remove it")


def _severities(table: ConfigTable, known: Collection[str] | None) -> dict[str, Severity]:
    raw: dict[str, str] = table.data.get("severity", {})
    _rule_ids(table, "severity", raw, known)
    severity = table.child("severity")
    overrides: dict[str, Severity] = {}
    for rule_id, name in sorted(raw.items()):
        try:
            overrides[rule_id] = Severity.from_name(name)
        except ValueError:
            raise severity.error(rule_id, f"'{severity.name(rule_id)}' is '{name}'",
                                 "use \"error\", \"warning\" or \"info\"") from None
    return overrides


def _platforms(table: ConfigTable) -> tuple[str, ...]:
    platforms: list[str] = []
    for text in table.data.get("required-platforms", ()):
        try:
            platform = Platform.parse(text)
        except UsageError as exc:
            raise table.error_from("required-platforms", exc) from None
        platforms.append("/".join(part for part in (platform.os, platform.architecture,
                                                    platform.variant) if part))
    return tuple(dict.fromkeys(platforms))


def settings_from_table(table: ConfigTable, *, known_rules: Collection[str] | None = None) -> PolicySettings:
    """Check one policy table and resolve it over the defaults.

    ``table`` is the ``[policy]`` table of goship.toml or the top level of a
    .goship-policy.toml; ``known_rules`` are the rule IDs to accept (None: the catalog's,
    when every rule module is importable, else any ID of the form GS123)."""
    table.check(_SCHEMA, listing=f"policy keys: {', '.join(sorted(_SCHEMA))}")
    data = table.data
    known = known_rules if known_rules is not None else (
        _catalog_rule_ids() if ("severity" in data or "disable" in data) else None)
    disabled = data.get("disable", [])
    _rule_ids(table, "disable", disabled, known)
    defaults = PolicySettings()
    return PolicySettings(
        allowed_registries=_or(table.strings("allowed-registries"), defaults.allowed_registries),
        allowed_bases=_or(table.strings("allowed-bases"), defaults.allowed_bases),
        builder_images=_or(table.strings("builder-images"), defaults.builder_images),
        required_labels=_or(table.strings("required-labels"), defaults.required_labels),
        severity_overrides=_severities(table, known),
        disabled_rules=frozenset(disabled),
        size_budget=table.size("size-budget"),
        required_platforms=_platforms(table),
        allow_shell=table.flag("allow-shell", defaults.allow_shell),
        allow_package_manager=table.flag("allow-package-manager", defaults.allow_package_manager),
        source=f"{table.path} [{table.label}]" if table.keys else str(table.path),
    )


def _or(given: tuple[str, ...] | None, default: tuple[str, ...]) -> tuple[str, ...]:
    # An empty list given on purpose stays empty (e.g. no required labels).
    return default if given is None else given


def settings_from_config(root: ConfigTable) -> PolicySettings:
    """The ``[policy]`` table of goship.toml (config.py's reader calls this)."""
    return settings_from_table(root.table("policy", hint="write [policy] above the policy keys"))


def read_policy_file(path: Path) -> PolicySettings:
    """A standalone policy file: the keys of ``[policy]`` at the top level. A file named
    goship.toml is read as goship.toml, for its ``[policy]`` table."""
    if path.name == CONFIG_FILE:
        policy = read_config_file(path).get("policy")
        return policy if isinstance(policy, PolicySettings) else PolicySettings(source="defaults")
    data, text = load_toml(path)
    root = ConfigTable(data, path, text)
    if isinstance(data.get("policy"), dict):
        raise root.error("policy", f"a [policy] table in {path.name}",
                         f"in {POLICY_FILE} write the policy keys at the top level, without [policy]")
    return settings_from_table(root)


def find_policy(start: Path, *, policy_file: Path | None = None) -> PolicySettings:
    """The settings `goship lint` uses when run in ``start`` (an absolute directory):
    ``policy_file``, else the nearest .goship-policy.toml up to the git root, else the
    nearest goship.toml's (the project's: without [policy] it means the defaults)."""
    if policy_file is not None:
        if not policy_file.is_file():
            raise UsageError(f"policy file {policy_file} does not exist",
                             f"give --policy-file an existing {POLICY_FILE} or goship.toml")
        return read_policy_file(policy_file)
    found = nearest_file(start, POLICY_FILE) or nearest_file(start, CONFIG_FILE)
    return read_policy_file(found) if found is not None else PolicySettings(source="defaults")
