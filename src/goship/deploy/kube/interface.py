"""What rollouts, rollback and status need of a cluster (``ClusterAPI``), so the rollout logic
depends on this protocol and not on the client library; ``goship.deploy.kube.cluster.Cluster``
implements it with lightkube."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

FIELD_MANAGER = "goship"

KubeObject = dict[str, Any]


@dataclass(frozen=True)
class ProxyAnswer:
    """What an HTTP GET through the API server's service proxy answered."""

    status: int
    body: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class ClusterAPI(Protocol):
    namespace: str
    context: str  # the kubeconfig context, for messages
    server: str

    def get(self, kind: str, name: str) -> KubeObject | None:
        """The object, or None when it does not exist."""

    def list(self, kind: str, labels: Mapping[str, str] | None = None) -> list[KubeObject]:
        """The objects of ``kind`` in the namespace whose labels include ``labels``."""

    def apply(self, obj: Mapping[str, Any], *, force: bool = False) -> KubeObject:
        """Server-side apply with field manager ``goship``; ``force`` takes over fields that
        another manager owns."""

    def proxy_get(self, service: str, port: int | str, path: str) -> ProxyAnswer:
        """GET ``path`` of the Service through the API server's service proxy."""
