"""Istio routing for canaries with exact weights: a DestinationRule with the subsets stable
and canary (by the slot label) and a VirtualService splitting the traffic between them
(networking.istio.io/v1). kubernetes-validate has no schema for these custom resources;
goship.deploy.validate checks their structure itself."""

from __future__ import annotations

from typing import Any

from goship.deploy.render.labels import SLOT, metadata
from goship.deploy.settings import DeploySettings

API_VERSION = "networking.istio.io/v1"
SUBSETS = ("stable", "canary")


def _host(settings: DeploySettings) -> str:
    return f"{settings.name}.{settings.namespace}.svc.cluster.local"


def destination_rule_object(settings: DeploySettings, *, version: str = "") -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "DestinationRule",
        "metadata": metadata(settings, settings.name, version),
        "spec": {"host": _host(settings),
                 "subsets": [{"name": subset, "labels": {SLOT: subset}} for subset in SUBSETS]},
    }


def virtual_service_object(settings: DeploySettings, canary_weight: int = 0, *,
                           version: str = "") -> dict[str, Any]:
    """All traffic to the stable subset but ``canary_weight`` percent to the canary."""
    if not 0 <= canary_weight <= 100:
        raise ValueError(f"canary weight {canary_weight} is not a percentage")
    weights = {"stable": 100 - canary_weight, "canary": canary_weight}
    return {
        "apiVersion": API_VERSION,
        "kind": "VirtualService",
        "metadata": metadata(settings, settings.name, version),
        "spec": {
            "hosts": [_host(settings)],
            "http": [{"route": [
                {"destination": {"host": _host(settings), "subset": subset,
                                 "port": {"number": settings.service_port}},
                 "weight": weights[subset]}
                for subset in SUBSETS]}],
        },
    }
