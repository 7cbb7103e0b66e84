"""The Kubernetes kinds goship reads and writes, as lightkube resource classes.

Objects travel through goship as plain dicts in the API's JSON form (what the renderer
produces and what an apply sends); the classes only tell lightkube the URL of each kind.
Istio's kinds are not built into lightkube and are declared as generic resources.
"""

from __future__ import annotations

from functools import cache
from typing import Any

ISTIO_VERSION = "networking.istio.io/v1"


@cache
def _istio(kind: str, plural: str) -> Any:
    from lightkube.generic_resource import create_namespaced_resource

    return create_namespaced_resource("networking.istio.io", "v1", kind, plural)


def resource_class(api_version: str, kind: str) -> Any:
    """The lightkube class of ``apiVersion``/``kind`` (KeyError-free: None when unknown)."""
    if api_version == ISTIO_VERSION and kind == "VirtualService":
        return _istio("VirtualService", "virtualservices")
    if api_version == ISTIO_VERSION and kind == "DestinationRule":
        return _istio("DestinationRule", "destinationrules")
    from lightkube.core.exceptions import LoadResourceError
    from lightkube.core.resource_registry import resource_registry

    try:
        return resource_registry.load(api_version, kind)
    except (LoadResourceError, AttributeError, ImportError, ValueError):
        return None


API_VERSIONS = {
    "Namespace": "v1",
    "ConfigMap": "v1",
    "Secret": "v1",
    "Service": "v1",
    "Pod": "v1",
    "Deployment": "apps/v1",
    "ReplicaSet": "apps/v1",
    "HorizontalPodAutoscaler": "autoscaling/v2",
    "PodDisruptionBudget": "policy/v1",
    "VirtualService": ISTIO_VERSION,
    "DestinationRule": ISTIO_VERSION,
}


def kind_class(kind: str) -> Any:
    """The class of one of the kinds goship reads (``API_VERSIONS``)."""
    found = resource_class(API_VERSIONS[kind], kind)
    if found is None:  # pragma: no cover - every entry of API_VERSIONS is known to lightkube
        raise KeyError(kind)
    return found
