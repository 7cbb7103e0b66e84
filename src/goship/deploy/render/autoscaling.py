"""The HorizontalPodAutoscaler (autoscaling/v2, on CPU use) and the PodDisruptionBudget
(policy/v1), each rendered only when goship.toml asks for it."""

from __future__ import annotations

from typing import Any

from goship.deploy.render.deployment import deployment_name
from goship.deploy.render.labels import metadata, selector
from goship.deploy.settings import DeploySettings


def autoscaler_object(settings: DeploySettings, *, target: str | None = None,
                      version: str = "") -> dict[str, Any] | None:
    """The autoscaler of the Deployment ``target`` (default: the main one), or None."""
    if settings.autoscale is None:
        return None
    scale = settings.autoscale
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata(settings, settings.name, version),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                               "name": target or deployment_name(settings)},
            "minReplicas": scale.min_replicas,
            "maxReplicas": scale.max_replicas,
            "metrics": [{"type": "Resource", "resource": {
                "name": "cpu", "target": {"type": "Utilization",
                                          "averageUtilization": scale.cpu_utilization}}}],
        },
    }


def disruption_budget_object(settings: DeploySettings, *, version: str = "") -> dict[str, Any] | None:
    """The PodDisruptionBudget over every pod of the app (all slots), or None."""
    if settings.min_available is None:
        return None
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(settings, settings.name, version),
        "spec": {"minAvailable": settings.min_available,
                 "selector": {"matchLabels": selector(settings)}},
    }
