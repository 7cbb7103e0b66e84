"""The Deployment: the image by digest, probes on the health endpoint, resources, and a pod
locked down as the image standard asks (non-root 65532, read-only root file system, no
privilege escalation, every capability dropped, the runtime's default seccomp profile, no
service account token).

``deployment_object`` is also the template of the rollout strategies: a blue-green slot or a
canary is the same Deployment under another name, with a slot label and its own replicas.
"""

from __future__ import annotations

import math
from typing import Any

from goship.deploy.render.configmap import configmap_name
from goship.deploy.render.labels import (
    GOSHIP_VERSION,
    IMAGE_DIGEST,
    SECRET_CHECKSUM,
    goship_version,
    labels,
    metadata,
    parse_image,
    selector,
    version_from,
)
from goship.deploy.render.secrets import secret_env
from goship.deploy.settings import DeploySettings

NONROOT = 65532  # the distroless/static "nonroot" user and group, as goship's images use
PORT_NAME = "http"
TMP_VOLUME = "tmp"


def _seconds(value: float, minimum: int = 1) -> int:
    return max(minimum, math.ceil(value))


def _probe(settings: DeploySettings, path: str, *, failure_threshold: int,
           initial_delay: bool) -> dict[str, Any]:
    probes = settings.probes
    probe: dict[str, Any] = {"httpGet": {"path": path, "port": PORT_NAME}}
    if initial_delay and probes.initial_delay > 0:
        probe["initialDelaySeconds"] = _seconds(probes.initial_delay, 0)
    probe.update({"periodSeconds": _seconds(probes.period), "timeoutSeconds": _seconds(probes.timeout),
                  "failureThreshold": failure_threshold})
    return probe


def _resources(settings: DeploySettings) -> dict[str, Any]:
    given = settings.resources
    requests = {key: value for key, value in (("cpu", given.cpu_request), ("memory", given.memory_request))
                if value}
    limits = {key: value for key, value in (("cpu", given.cpu_limit), ("memory", given.memory_limit))
              if value}
    return {key: value for key, value in (("requests", requests), ("limits", limits)) if value}


def container_security_context() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": NONROOT,
        "runAsGroup": NONROOT,
    }


def pod_security_context() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": NONROOT,
        "runAsGroup": NONROOT,
        "fsGroup": NONROOT,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container(settings: DeploySettings, image: str) -> dict[str, Any]:
    probes = settings.probes
    spec: dict[str, Any] = {
        "name": settings.name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": PORT_NAME, "containerPort": settings.port, "protocol": "TCP"}],
        "envFrom": [{"configMapRef": {"name": configmap_name(settings)}}],
    }
    env = secret_env(settings)
    if env:
        spec["env"] = env
    resources = _resources(settings)
    if resources:
        spec["resources"] = resources
    spec.update({
        "startupProbe": _probe(settings, probes.path, initial_delay=True,
                               failure_threshold=probes.startup_failure_threshold),
        "livenessProbe": _probe(settings, probes.path, initial_delay=False,
                                failure_threshold=probes.failure_threshold),
        "readinessProbe": _probe(settings, probes.readiness_path or probes.path, initial_delay=False,
                                 failure_threshold=probes.failure_threshold),
        "securityContext": container_security_context(),
        "volumeMounts": [{"name": TMP_VOLUME, "mountPath": "/tmp"}],  # noqa: S108 - the pod's own emptyDir
    })
    return spec


def deployment_name(settings: DeploySettings, slot: str | None = None) -> str:
    """``name`` for the rolling Deployment and the stable canary track, ``name-SLOT`` else."""
    return settings.name if slot in (None, "", "stable") else f"{settings.name}-{slot}"


def deployment_object(settings: DeploySettings, image: str, *, name: str | None = None,
                      slot: str | None = None, replicas: int | None = None, version: str | None = None,
                      secret_checksum: str = "", allow_tag: bool = False) -> dict[str, Any]:
    """The Deployment of ``image`` (a digest reference; a tag only with ``allow_tag``).

    ``slot`` ("blue", "green", "stable", "canary") goes into the labels and the selector;
    ``name`` defaults to ``deployment_name(settings, slot)``; ``replicas`` to the settings'
    (left out under an autoscaler, which owns the field then). ``version`` is the app version
    for the labels (None: the version the image's tag names). ``secret_checksum`` (from
    ``secret_checksum``) annotates the pod template so that a changed secret rolls the pods.
    """
    reference = parse_image(image, allow_tag=allow_tag)
    if version is None:
        version = version_from(reference)
    annotations: dict[str, str] = {}
    if reference.digest is not None:
        annotations[IMAGE_DIGEST] = str(reference.digest)
    pod_annotations = dict(annotations)
    if secret_checksum:
        pod_annotations[SECRET_CHECKSUM] = secret_checksum
    meta = metadata(settings, name or deployment_name(settings, slot), version, slot)
    meta["annotations"] = {**annotations, GOSHIP_VERSION: goship_version()}
    spec: dict[str, Any] = {}
    count = replicas if replicas is not None else (None if settings.autoscale else settings.replicas)
    if count is not None:
        spec["replicas"] = count
    template_metadata: dict[str, Any] = {"labels": labels(settings, version, slot)}
    if pod_annotations:
        template_metadata["annotations"] = pod_annotations
    spec.update({
        "selector": {"matchLabels": selector(settings, slot)},
        "strategy": {"type": "RollingUpdate",
                     "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}},
        "progressDeadlineSeconds": _seconds(settings.timeout),
        "revisionHistoryLimit": 10,
        "template": {
            "metadata": template_metadata,
            "spec": {
                "automountServiceAccountToken": False,
                "enableServiceLinks": False,
                "securityContext": pod_security_context(),
                "containers": [container(settings, image)],
                "volumes": [{"name": TMP_VOLUME, "emptyDir": {}}],
            },
        },
    })
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec}
