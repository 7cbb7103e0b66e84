"""What the rollout integration tests share: images by digest, the settings of a "prod"
environment, fast rollout options, a reporter that keeps its lines, and a ClusterAPI wrapper
that records what was applied (a fake of goship's own protocol, over the real client)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from goship.deploy.kube import Cluster, ProxyAnswer
from goship.deploy.rollout import Image, RolloutOptions
from goship.deploy.settings import BlueGreen, Canary, DeploySettings
from goship.progress import SilentReporter

REPOSITORY = "registry.example.com/shop/api"


def image(version: str, letter: str) -> Image:
    digest = "sha256:" + letter * 64
    return Image(f"{REPOSITORY}:{version}@{digest}", digest)


V1 = image("v1.0.0", "a")
V2 = image("v2.0.0", "b")
V3 = image("v3.0.0", "c")


def prod(**changes: Any) -> DeploySettings:
    base = DeploySettings(name="api", environment="prod", namespace="prod", replicas=2, timeout=5.0,
                          canary=Canary(steps=(25, 50, 100), pause=0.1),
                          blue_green=BlueGreen(keep_old=600.0, smoke_paths=("/healthz",)))
    return replace(base, **changes)


def options(**changes: Any) -> RolloutOptions:
    return replace(RolloutOptions(timeout=5.0, interval=0.02, smoke_attempts=3), **changes)


@dataclass
class Lines(SilentReporter):
    """A progress reporter that keeps its steps."""

    lines: list[str] = field(default_factory=list)

    def step(self, message: str) -> None:
        self.lines.append(message)


class Recording:
    """The real Cluster, remembering every object applied, in order."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.namespace = cluster.namespace
        self.context = cluster.context
        self.server = cluster.server
        self.applied: list[dict[str, Any]] = []

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        return self.cluster.get(kind, name)

    def list(self, kind: str, labels: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        return self.cluster.list(kind, labels)

    def apply(self, obj: Mapping[str, Any], *, force: bool = False) -> dict[str, Any]:
        self.applied.append(dict(obj))
        return self.cluster.apply(obj, force=force)

    def proxy_get(self, service: str, port: int | str, path: str) -> ProxyAnswer:
        return self.cluster.proxy_get(service, port, path)


class MovableClock:
    """Real monotonic time and sleeps; a time of day the test can move forward."""

    def __init__(self) -> None:
        import time

        self._time = time
        self.offset = datetime.timedelta()

    def monotonic(self) -> float:
        return self._time.monotonic()

    def sleep(self, seconds: float) -> None:
        self._time.sleep(max(seconds, 0.0))

    def now(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC) + self.offset


def container_image(deployment: Mapping[str, Any] | None) -> str:
    assert deployment is not None
    return str(deployment["spec"]["template"]["spec"]["containers"][0]["image"])
