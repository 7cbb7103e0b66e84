"""Finding and reading the kubeconfig as kubectl does: the files KUBECONFIG lists (merged, the
first file to set a name wins, the first current-context wins), else ~/.kube/config; the
context is goship.toml's ``context`` for the environment, else the current one.

lightkube reads one file; merging the KUBECONFIG list is done here so that a kubeconfig that
works with kubectl works with goship. Every failure names the files and the context.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from goship.deploy.kube.errors import KubeconfigError

_HINT = ("point KUBECONFIG at the cluster's kubeconfig (or pass --kubeconfig), or set `context` in "
         "the environment's [deploy] table of goship.toml")


@dataclass(frozen=True)
class KubeContext:
    """The context chosen from a kubeconfig, ready for lightkube."""

    name: str
    server: str
    namespace: str  # the context's namespace ("" when it names none)
    files: tuple[Path, ...]
    config: Any  # lightkube.config.kubeconfig.SingleConfig

    def describe(self) -> str:
        return f"context {self.name} ({self.server})"


def default_kubeconfig_paths(environ: Mapping[str, str], home: Path) -> list[Path]:
    """What kubectl reads: every file KUBECONFIG lists, else HOME/.kube/config."""
    listed = [Path(item).expanduser() for item in environ.get("KUBECONFIG", "").split(os.pathsep) if item]
    return listed or [home / ".kube" / "config"]


def load_context(paths: Sequence[Path], context: str = "") -> KubeContext:
    """The context ``context`` (default: the current one) of the merged kubeconfig ``paths``."""
    from lightkube.config.kubeconfig import KubeConfig
    from lightkube.core.exceptions import ConfigError

    existing = [path for path in paths if path.is_file()]
    if not existing:
        listed = ", ".join(str(path) for path in paths) or "(none)"
        raise KubeconfigError(f"no kubeconfig found: {listed} does not exist", _HINT)
    merged = _merge([_read(path) for path in existing])
    name = context or str(merged.get("current-context") or "")
    names = [str(entry.get("name")) for entry in merged["contexts"]]
    where = ", ".join(str(path) for path in existing)
    if not name:
        raise KubeconfigError(f"the kubeconfig {where} sets no current-context",
                              f"run `kubectl config use-context NAME` (contexts: "
                              f"{', '.join(names) or 'none'}), or set `context` in goship.toml")
    if name not in names:
        raise KubeconfigError(f"the kubeconfig {where} has no context '{name}' (contexts: "
                              f"{', '.join(names) or 'none'})", _HINT)
    try:
        config = KubeConfig.from_dict(merged, fname=existing[0]).get(name)
    except (ConfigError, KeyError, TypeError, ValueError) as exc:
        raise KubeconfigError(f"context '{name}' of the kubeconfig {where} cannot be used: "
                              f"{_reason(exc)}", _HINT) from exc
    if config is None or config.user is None:
        raise KubeconfigError(f"context '{name}' of the kubeconfig {where} names no user",
                              "add a user with a token or client certificate to the context")
    return KubeContext(name, str(config.cluster.server), str(config.context.namespace or ""),
                       tuple(existing), config)


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"it names {exc.args[0]!r}, which the kubeconfig does not define"
    return str(exc) or type(exc).__name__


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise KubeconfigError(f"cannot read the kubeconfig {path}: {exc.strerror}", _HINT) from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise KubeconfigError(f"the kubeconfig {path} is not YAML: {exc}", _HINT) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise KubeconfigError(f"the kubeconfig {path} is not a kubeconfig (no mapping at the top)", _HINT)
    return data


def _merge(documents: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """kubectl's merge: the first file to name a cluster, context or user wins."""
    merged: dict[str, Any] = {"clusters": [], "contexts": [], "users": []}
    for document in documents:
        if not merged.get("current-context") and document.get("current-context"):
            merged["current-context"] = document["current-context"]
        for section in ("clusters", "contexts", "users"):
            seen = {entry.get("name") for entry in merged[section]}
            for entry in document.get(section) or []:
                if isinstance(entry, dict) and entry.get("name") not in seen:
                    merged[section].append(entry)
                    seen.add(entry.get("name"))
    return merged
