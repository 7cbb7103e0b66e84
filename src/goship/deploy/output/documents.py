"""Objects as YAML in a stable form, so that a diff of two renderings shows real changes only.

Every mapping starts with apiVersion, kind, metadata (then name and namespace), and the rest
of its keys follow in alphabetical order, as `kubectl get -o yaml` has them; documents come
in the order they are given (goship.deploy.render.ordered). Multi-line strings are written as
literal blocks. PyYAML does the writing; this module only fixes the order and the style.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml

_FIRST = ("apiVersion", "kind", "metadata", "name", "namespace")


class _Dumper(yaml.SafeDumper):
    """SafeDumper that keeps the given key order and writes multi-line strings as blocks."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _string)


def canonical(value: Any) -> Any:
    """``value`` with every mapping's keys in the stable order (a new structure)."""
    if isinstance(value, Mapping):
        first = [key for key in _FIRST if key in value]
        rest = sorted(str(key) for key in value if key not in _FIRST)
        return {key: canonical(value[key]) for key in [*first, *rest]}
    if isinstance(value, (list, tuple)):
        return [canonical(item) for item in value]
    return value


def dump_object(obj: Mapping[str, Any]) -> str:
    return yaml.dump(canonical(obj), Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=4096)


def dump_documents(objects: Iterable[Mapping[str, Any]]) -> str:
    """A multi-document YAML stream: one document per object, separated by ``---``."""
    return "---\n".join(dump_object(obj) for obj in objects)


def load_documents(text: str) -> list[Any]:
    """Every non-empty document of a YAML stream (for tests and round trips)."""
    return [document for document in yaml.safe_load_all(text) if document is not None]
