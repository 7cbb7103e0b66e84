"""Every object of one environment, in the order they are applied and written.

The strategy decides the Deployment's shape: ``rolling`` renders ``NAME``; ``blue-green``
renders ``NAME-blue`` with the Service on the blue slot (`goship deploy` brings up the other
slot and switches the Service); ``canary`` renders ``NAME`` as the stable track, which the
Service and the canary Deployment share, plus Istio routing when ``canary.istio`` is set.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from goship.deploy.render.autoscaling import autoscaler_object, disruption_budget_object
from goship.deploy.render.configmap import configmap_object
from goship.deploy.render.deployment import deployment_name, deployment_object
from goship.deploy.render.istio import destination_rule_object, virtual_service_object
from goship.deploy.render.labels import parse_image, version_from
from goship.deploy.render.service import service_object
from goship.deploy.settings import DeploySettings

# Dependencies first: what a Deployment refers to exists before its pods start.
KIND_ORDER = ("Namespace", "ConfigMap", "Secret", "Service", "Deployment", "HorizontalPodAutoscaler",
              "PodDisruptionBudget", "DestinationRule", "VirtualService")
FIRST_SLOT = {"rolling": None, "blue-green": "blue", "canary": "stable"}


def object_key(obj: dict[str, Any]) -> tuple[int, str, str]:
    kind = str(obj.get("kind", ""))
    rank = KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)
    return rank, kind, str(obj.get("metadata", {}).get("name", ""))


def ordered(objects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """``objects`` in the stable order: by kind (KIND_ORDER), then by name."""
    return sorted(objects, key=object_key)


def render_objects(settings: DeploySettings, image: str, *, version: str | None = None,
                   secret_checksum: str = "", allow_tag: bool = False) -> list[dict[str, Any]]:
    """ConfigMap, Service, Deployment, then the optional HorizontalPodAutoscaler,
    PodDisruptionBudget and Istio routing of ``image`` (a digest reference). ``version`` is
    the app version for the labels (None: what the image's tag names)."""
    reference = parse_image(image, allow_tag=allow_tag)
    if version is None:
        version = version_from(reference)
    slot = FIRST_SLOT[settings.strategy]
    service_slot = slot if settings.strategy == "blue-green" else None
    objects: list[dict[str, Any] | None] = [
        configmap_object(settings, version),
        service_object(settings, slot=service_slot, version=version),
        deployment_object(settings, image, slot=slot, version=version, secret_checksum=secret_checksum,
                          allow_tag=allow_tag),
        autoscaler_object(settings, target=deployment_name(settings, slot), version=version),
        disruption_budget_object(settings, version=version),
    ]
    if settings.strategy == "canary" and settings.canary.istio:
        objects += [destination_rule_object(settings, version=version),
                    virtual_service_object(settings, 0, version=version)]
    return ordered(obj for obj in objects if obj is not None)
