"""``{{.Version}}``-style templates in ldflags, rendered from build facts.

Only field references are supported (``{{.Version}}``, ``{{.Env.NAME}}``), not Go's whole
template language: an unknown field is an error rather than an empty string, so a typo
does not silently ship a binary without its version.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from goship.errors import ConfigError

_FIELD = re.compile(r"\{\{\s*\.([A-Za-z]+)(?:\.([A-Za-z_][A-Za-z0-9_]*))?\s*\}\}")
FIELDS = ("Version", "Commit", "ShortCommit", "Date", "Timestamp", "Name", "Os", "Arch")
DEFAULT_LDFLAGS = (
    "-X main.version={{.Version}}",
    "-X main.commit={{.Commit}}",
    "-X main.date={{.Date}}",
)


def render(template: str, values: Mapping[str, str], env: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        field, sub = match.group(1), match.group(2)
        if field == "Env" and sub:
            return env.get(sub, "")
        if field in values and not sub:
            return values[field]
        raise ConfigError(
            f"unknown template field '{match.group(0)}' in ldflags '{template}'",
            f"fields: {', '.join('{{.' + name + '}}' for name in FIELDS)}, {{{{.Env.NAME}}}}",
        )

    return _FIELD.sub(replace, template)
