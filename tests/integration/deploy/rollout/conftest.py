"""Fixtures of the rollout tests: the fake Kubernetes API server (tests/fixtures/kubeapi.py)
and a real goship Cluster (lightkube) connected to its "prod" namespace through a kubeconfig."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.fixtures import kubeapi

from goship.deploy.kube import Cluster, connect

kube_api = kubeapi.kube_api


@pytest.fixture
def kubeconfig(kube_api: kubeapi.FakeKubeAPI, tmp_path: Path) -> Path:
    return kube_api.write_kubeconfig(tmp_path / "kubeconfig")


@pytest.fixture
def cluster(kubeconfig: Path) -> Iterator[Cluster]:
    with connect([kubeconfig], "prod") as connected:
        yield connected
