"""Finding and reading the kubeconfig as kubectl does, and the errors when it cannot be used."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from goship.deploy.kube import KubeconfigError, default_kubeconfig_paths, load_context


def _config(current: str = "dev", **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Config", "current-context": current,
            "clusters": [{"name": "dev-cluster", "cluster": {"server": "https://dev.example.com:6443"}}],
            "contexts": [{"name": "dev",
                          "context": {"cluster": "dev-cluster", "user": "me", "namespace": "team"}}],
            "users": [{"name": "me", "user": {"token": "t"}}], **extra}


def _write(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


def test_kubeconfig_lists_every_file_else_the_home_default(tmp_path: Path) -> None:
    listed = os.pathsep.join(["/etc/a", "", "/etc/b"])

    assert default_kubeconfig_paths({"KUBECONFIG": listed}, tmp_path) == [Path("/etc/a"), Path("/etc/b")]
    assert default_kubeconfig_paths({}, tmp_path) == [tmp_path / ".kube" / "config"]


def test_the_current_context_is_used_unless_one_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path / "config", _config())

    context = load_context([path])

    shown = (context.name, context.server, context.namespace)
    assert shown == ("dev", "https://dev.example.com:6443", "team")


def test_the_first_file_wins_as_kubectl_merges(tmp_path: Path) -> None:
    first = _config("prod")
    first["clusters"] = [{"name": "dev-cluster", "cluster": {"server": "https://first.example.com"}}]
    first["contexts"] = [{"name": "prod", "context": {"cluster": "dev-cluster", "user": "me"}}]
    first["users"] = []
    paths = [_write(tmp_path / "first", first), _write(tmp_path / "second", _config())]

    assert load_context(paths).server == "https://first.example.com"
    assert load_context(paths, "dev").server == "https://first.example.com"


def test_no_current_context_lists_the_contexts(tmp_path: Path) -> None:
    path = _write(tmp_path / "config", _config(current=""))

    with pytest.raises(KubeconfigError) as unset:
        load_context([path])

    assert unset.value.message == f"the kubeconfig {path} sets no current-context"
    assert "(contexts: dev)" in unset.value.hint


def test_a_context_naming_a_missing_cluster_is_explained(tmp_path: Path) -> None:
    data = _config()
    data["clusters"] = []
    path = _write(tmp_path / "config", data)

    with pytest.raises(KubeconfigError) as broken:
        load_context([path])

    assert broken.value.message == (f"context 'dev' of the kubeconfig {path} cannot be used: it names "
                                    "'dev-cluster', which the kubeconfig does not define")


def test_a_file_that_is_not_yaml_is_named(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text("clusters: [unclosed\n")

    with pytest.raises(KubeconfigError) as broken:
        load_context([path])

    assert broken.value.message.startswith(f"the kubeconfig {path} is not YAML")
