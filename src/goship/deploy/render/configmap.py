"""The ConfigMap of plain configuration, named with a hash of its content.

The suffix is the one kustomize's configMapGenerator gives (api/hasher: SHA-256 over Go's JSON
encoding of {"data", "kind", "name"}, the first ten hex digits with 0, 1, 3, a and e
replaced), so a config change renames the ConfigMap and so rolls the pods, and a kustomize
overlay built from the same values names it exactly as ``goship manifests`` does. Written by
hand because no Python library computes kustomize's hash. kustomize looks the name up under a
path that never matches, so "name" is always empty in what it hashes; this does the same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from goship.deploy.render.labels import metadata
from goship.deploy.settings import DeploySettings

_HASH_LETTERS = str.maketrans("013ae", "ghkmt")
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_HTML_UNSAFE = frozenset("<>&\u2028\u2029")


def _go_string(text: str) -> str:
    """A JSON string as Go's encoding/json writes it (HTML-safe escapes, \\u00XX controls)."""
    parts = ['"']
    for char in text:
        if char in _SHORT_ESCAPES:
            parts.append(_SHORT_ESCAPES[char])
        elif ord(char) < 0x20 or char in _HTML_UNSAFE:
            parts.append(f"\\u{ord(char):04x}")
        else:
            parts.append(char)
    parts.append('"')
    return "".join(parts)


def _go_json(value: Any) -> str:
    """``value`` (dicts and strings) as Go's json.Marshal writes it: keys sorted, no spaces."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{_go_string(str(key))}:{_go_json(item)}"
                              for key, item in sorted(value.items())) + "}"
    return _go_string(str(value))


def config_hash(data: Mapping[str, str]) -> str:
    """kustomize's name suffix for a ConfigMap holding ``data``."""
    encoded = _go_json({"data": dict(data) if data else "", "kind": "ConfigMap", "name": ""})
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()[:10].translate(_HASH_LETTERS)


def configmap_base_name(settings: DeploySettings) -> str:
    """The name before the hash: what a kustomize configMapGenerator is called."""
    return f"{settings.name}-config"


def configmap_name(settings: DeploySettings) -> str:
    return f"{configmap_base_name(settings)}-{config_hash(settings.config)}"


def configmap_object(settings: DeploySettings, version: str = "") -> dict[str, Any]:
    """The ConfigMap; one without data when there is no configuration, so that the Deployment
    refers to the same name in every environment."""
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": metadata(settings, configmap_name(settings), version)}
    if settings.config:
        obj["data"] = dict(sorted(settings.config.items()))
    return obj
