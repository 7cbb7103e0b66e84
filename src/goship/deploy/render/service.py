"""The Service: a ClusterIP in front of the pods, from the service port to the named port."""

from __future__ import annotations

from typing import Any

from goship.deploy.render.deployment import PORT_NAME
from goship.deploy.render.labels import metadata, selector
from goship.deploy.settings import DeploySettings


def service_object(settings: DeploySettings, *, slot: str | None = None,
                   version: str = "") -> dict[str, Any]:
    """The Service; with ``slot`` it sends traffic to that blue-green slot only (switching
    the slot is how a blue-green rollout goes live)."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(settings, settings.name, version),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(settings, slot),
            "ports": [{"name": PORT_NAME, "port": settings.service_port, "targetPort": PORT_NAME,
                       "protocol": "TCP"}],
        },
    }
