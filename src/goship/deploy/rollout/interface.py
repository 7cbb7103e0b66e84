"""What the rollout strategies share: the objects they apply (``Manifests``, rendered from
goship.toml by goship.deploy.render), the image they deploy, their options and clock, what a
rollout reports (``RolloutResult``) and how it fails (``RolloutFailedError``)."""

from __future__ import annotations

import datetime
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from goship.deploy.kube.errors import DeployError
from goship.deploy.kube.interface import KubeObject


class Manifests(Protocol):
    """The objects of one environment, for a given image (a digest reference)."""

    def objects(self, image: str) -> list[KubeObject]:
        """Every object of the environment, in apply order."""

    def deployment(self, image: str, *, name: str | None = None, slot: str | None = None,
                   replicas: int | None = None) -> KubeObject:
        """The Deployment of ``image``; ``slot`` (blue, green, stable, canary) labels it and its
        selector; ``replicas`` None: the settings' (none under an autoscaler)."""

    def service(self, *, slot: str | None = None) -> KubeObject:
        """The Service; with ``slot`` it selects only that slot's pods."""

    def autoscaler(self, target: str) -> KubeObject | None:
        """The HorizontalPodAutoscaler of the Deployment ``target``, or None without one."""

    def routing(self, canary_weight: int) -> list[KubeObject]:
        """Istio's DestinationRule and VirtualService sending ``canary_weight`` percent to the
        canary subset."""

    def secret(self, values: Mapping[str, bytes]) -> KubeObject:
        """The Secret of the values read at deploy time."""


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...

    def now(self) -> datetime.datetime:
        """The time of day (UTC), for what is written into annotations."""


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(seconds, 0.0))

    def now(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC)


@dataclass(frozen=True)
class Image:
    """The image to deploy, always by digest."""

    reference: str  # REPOSITORY[:TAG]@sha256:... (the tag, when known, names the version)
    digest: str  # sha256:...
    resolved_from: str = ""  # the tag reference given, when it was resolved to the digest


@dataclass(frozen=True)
class RolloutOptions:
    timeout: float  # seconds each wait for a Deployment may take
    interval: float = 2.0  # seconds between reads of the rollout state
    force_conflicts: bool = False  # take over fields other field managers own
    wait_old: bool = False  # blue-green: wait keep-old, watching the new slot, then retire the old one
    smoke_attempts: int = 5  # tries of each smoke path while the Service's endpoints settle
    clock: Clock = field(default_factory=SystemClock)


@dataclass(frozen=True)
class RolloutResult:
    environment: str
    namespace: str
    context: str
    name: str  # the app
    strategy: str
    image: str  # the digest reference now serving
    digest: str
    previous_image: str  # what served before ("" on a first deploy)
    deployment: str  # the Deployment that serves now (app, app-green)
    revision: str  # its deployment.kubernetes.io/revision
    steps: tuple[str, ...] = ()  # what was done, in order
    notes: tuple[str, ...] = ()
    unchanged: bool = False  # the environment already ran this image and template

    def to_json(self) -> dict[str, Any]:
        return {"environment": self.environment or None, "namespace": self.namespace,
                "context": self.context, "name": self.name, "strategy": self.strategy,
                "image": self.image, "digest": self.digest, "previous_image": self.previous_image or None,
                "deployment": self.deployment, "revision": self.revision or None,
                "unchanged": self.unchanged, "steps": list(self.steps), "notes": list(self.notes)}


class RolloutFailedError(DeployError):
    """A gate failed (readiness, progress deadline, timeout, smoke check, health during a
    pause); what could be rolled back was, and the message says what failed and what runs now."""

    def __init__(self, message: str, hint: str = "", *, failure: str = "", recovery: str = "") -> None:
        super().__init__(message, hint)
        self.failure = failure
        self.recovery = recovery
