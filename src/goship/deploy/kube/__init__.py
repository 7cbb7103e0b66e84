"""Talking to a Kubernetes cluster: the kubeconfig (kubeconfig.py, merged as kubectl merges
it), the cluster client (cluster.py: lightkube, server-side apply with field manager
``goship``, the service proxy), the kinds goship handles (resources.py), the protocol the
rollouts use (interface.py) and the errors, each carrying the API server's own message
(errors.py)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from goship.deploy.kube.cluster import Cluster
from goship.deploy.kube.errors import (
    ClusterAuthError,
    ClusterUnreachableError,
    DeployError,
    FieldConflictError,
    ForbiddenError,
    KubeconfigError,
    RejectedError,
)
from goship.deploy.kube.interface import FIELD_MANAGER, ClusterAPI, KubeObject, ProxyAnswer
from goship.deploy.kube.kubeconfig import KubeContext, default_kubeconfig_paths, load_context


def connect(kubeconfig: Sequence[Path], namespace: str, context: str = "", *,
            timeout: float = 30.0) -> Cluster:
    """A client for ``namespace`` through ``context`` (default: the current context) of the
    kubeconfig files ``kubeconfig``. Nothing is sent until the first request."""
    return Cluster(load_context(kubeconfig, context), namespace, timeout=timeout)


__all__ = [
    "FIELD_MANAGER",
    "Cluster",
    "ClusterAPI",
    "ClusterAuthError",
    "ClusterUnreachableError",
    "DeployError",
    "FieldConflictError",
    "ForbiddenError",
    "KubeContext",
    "KubeObject",
    "KubeconfigError",
    "ProxyAnswer",
    "RejectedError",
    "connect",
    "default_kubeconfig_paths",
    "load_context",
]
