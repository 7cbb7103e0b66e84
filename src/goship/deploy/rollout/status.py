"""What runs in an environment, and whether it is what was released.

The released image is the one in the serving Deployment's pod template (always a digest
reference when goship deployed it): NAME for rolling and canary, the slot the Service selects
for blue-green. Every pod that serves (the serving Deployment's, and a canary's while one
runs) must report a container imageID with that digest: the kubelet's imageID is the digest
it actually pulled, so this catches a node that resolved something else, a Deployment edited
by hand, and a canary left running. Anything else is a problem, and ``goship status`` exits
non-zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from goship.deploy.kube.interface import ClusterAPI
from goship.deploy.rollout.bluegreen import active_slot, keep_until, slot_deployment
from goship.deploy.rollout.canary import canary_name
from goship.deploy.rollout.objects import (
    PREVIOUS_SLOT,
    dig,
    digest_of,
    image_of,
    name_of,
    pods_of,
    replicas_of,
    revision_of,
    version_of,
)
from goship.deploy.settings import DeploySettings


@dataclass(frozen=True)
class PodImage:
    pod: str
    deployment: str
    ready: bool
    image_id: str  # what the kubelet reports ("" before the container started)
    matches: bool

    def to_json(self) -> dict[str, Any]:
        return {"pod": self.pod, "deployment": self.deployment, "ready": self.ready,
                "image_id": self.image_id or None, "digest": digest_of(self.image_id) or None,
                "matches": self.matches}


@dataclass(frozen=True)
class EnvironmentStatus:
    environment: str
    namespace: str
    context: str
    name: str
    strategy: str
    deployment: str  # the serving Deployment ("" when there is none)
    image: str
    digest: str
    version: str
    revision: str
    ready: int
    desired: int
    pods: tuple[PodImage, ...] = ()
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def consistent(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {"environment": self.environment or None, "namespace": self.namespace, "context": self.context,
                "name": self.name, "strategy": self.strategy, "deployment": self.deployment or None,
                "image": self.image or None, "digest": self.digest or None, "version": self.version or None,
                "revision": self.revision or None, "ready": self.ready, "desired": self.desired,
                "consistent": self.consistent, "pods": [pod.to_json() for pod in self.pods],
                "problems": list(self.problems), "notes": list(self.notes)}


def _pod_images(cluster: ClusterAPI, deployment: Mapping[str, Any], app: str, digest: str) -> list[PodImage]:
    found = []
    for pod in pods_of(cluster, deployment):
        statuses = dig(pod, "status", "containerStatuses", default=[])
        first = statuses[0] if statuses else {}
        container = next((item for item in statuses if item.get("name") == app), first)
        image_id = str(container.get("imageID") or "")
        found.append(PodImage(name_of(pod), name_of(deployment), bool(container.get("ready")), image_id,
                              bool(digest) and digest_of(image_id) == digest))
    return sorted(found, key=lambda item: item.pod)


def environment_status(cluster: ClusterAPI, settings: DeploySettings,
                       notes: tuple[str, ...] = ()) -> EnvironmentStatus:
    """The serving Deployment of the environment, its pods, and what disagrees."""
    app = settings.name
    problems: list[str] = []
    more_notes = list(notes)
    name = app
    if settings.strategy == "blue-green":
        service = cluster.get("Service", app)
        slot = active_slot(service)
        if slot is None:
            return _nothing(cluster, settings,
                            f"Service {app} selects no blue-green slot (nothing deployed yet?)")
        name = slot_deployment(settings, slot)
        previous = dig(service, "metadata", "annotations", PREVIOUS_SLOT)
        until = keep_until(service)
        previous_live = (cluster.get("Deployment", slot_deployment(settings, str(previous)))
                         if previous else None)
        if previous_live is not None and replicas_of(previous_live) > 0:
            when = f" until {until.strftime('%Y-%m-%dT%H:%M:%SZ')}" if until else ""
            more_notes.append(f"the previous slot {previous} ({image_of(previous_live, app)}) is kept{when} "
                              "for `goship rollback`")
    deployment = cluster.get("Deployment", name)
    if deployment is None:
        return _nothing(cluster, settings, f"there is no Deployment {cluster.namespace}/{name}")
    image = image_of(deployment, app)
    digest = digest_of(image)
    if not digest:
        problems.append(f"Deployment {name} runs {image or 'no image'}, not an image by digest")
    pods = _pod_images(cluster, deployment, app, digest)
    if settings.strategy == "canary":
        canary = cluster.get("Deployment", canary_name(settings))
        if canary is not None and replicas_of(canary) > 0:
            canary_pods = _pod_images(cluster, canary, app, digest)
            pods += canary_pods
            problems.append(f"the canary {canary_name(settings)} serves {image_of(canary, app)} beside the "
                            f"released image ({len(canary_pods)} pods): a canary is under way or was left "
                            "behind")
    for pod in pods:
        if not pod.image_id:
            continue
        if not pod.matches and pod.deployment == name:
            problems.append(f"pod {pod.pod} runs {pod.image_id}, not the released digest {digest or image}")
    ready = int(dig(deployment, "status", "readyReplicas", default=0))
    desired = replicas_of(deployment)
    return EnvironmentStatus(settings.environment, cluster.namespace, cluster.context, app, settings.strategy,
                             name, image, digest, version_of(deployment), revision_of(deployment), ready,
                             desired, tuple(pods), tuple(problems), tuple(more_notes))


def _nothing(cluster: ClusterAPI, settings: DeploySettings, problem: str) -> EnvironmentStatus:
    return EnvironmentStatus(settings.environment, cluster.namespace, cluster.context, settings.name,
                             settings.strategy, "", "", "", "", "", 0, 0, (), (problem,))
