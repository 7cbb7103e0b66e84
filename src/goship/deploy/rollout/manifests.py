"""``RenderedManifests``: the Manifests a rollout applies, rendered from one environment's
DeploySettings by goship.deploy.render, with the secret checksum of this deploy on every pod
template (so that a changed secret rolls the pods)."""

from __future__ import annotations

from collections.abc import Mapping

from goship.deploy import render
from goship.deploy.kube.interface import KubeObject
from goship.deploy.settings import DeploySettings


class RenderedManifests:
    def __init__(self, settings: DeploySettings, *, secret_checksum: str = "") -> None:
        self.settings = settings
        self.secret_checksum = secret_checksum

    def objects(self, image: str) -> list[KubeObject]:
        return render.render_objects(self.settings, image, secret_checksum=self.secret_checksum)

    def deployment(self, image: str, *, name: str | None = None, slot: str | None = None,
                   replicas: int | None = None) -> KubeObject:
        return render.deployment_object(self.settings, image, name=name, slot=slot, replicas=replicas,
                                        secret_checksum=self.secret_checksum)

    def service(self, *, slot: str | None = None) -> KubeObject:
        return render.service_object(self.settings, slot=slot)

    def autoscaler(self, target: str) -> KubeObject | None:
        return render.autoscaler_object(self.settings, target=target)

    def routing(self, canary_weight: int) -> list[KubeObject]:
        return [render.destination_rule_object(self.settings),
                render.virtual_service_object(self.settings, canary_weight)]

    def secret(self, values: Mapping[str, bytes]) -> KubeObject:
        return render.secret_object(self.settings, values)
