"""What `goship manifests`, `goship deploy`, `rollback` and `status` need to know, resolved
for one environment: goship.toml's ``[deploy]`` table with ``[environments.NAME.deploy]``
laid over it (goship.config_deploy reads both).

Durations are seconds; quantities (CPU, memory) stay Kubernetes quantity strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Strategy = Literal["rolling", "blue-green", "canary"]


@dataclass(frozen=True)
class Resources:
    cpu_request: str = "100m"
    memory_request: str = "64Mi"
    cpu_limit: str = ""  # "" = no CPU limit (throttling hurts Go's scheduler more than it helps)
    memory_limit: str = "256Mi"


@dataclass(frozen=True)
class Probes:
    path: str = "/healthz"  # liveness and startup
    readiness_path: str = ""  # "" = path
    initial_delay: float = 0.0
    period: float = 10.0
    timeout: float = 1.0
    failure_threshold: int = 3
    startup_failure_threshold: int = 30  # x period: how long a slow start may take


@dataclass(frozen=True)
class SecretValue:
    """One environment variable whose value is secret. goship.toml names where the value comes
    from at deploy time, never the value: the deploying process's environment variable
    ``from_env``, or the file ``from_file``; or an existing Secret ``secret``/``key`` that
    goship only references."""

    variable: str  # the container's environment variable
    from_env: str = ""
    from_file: str = ""
    secret: str = ""  # an existing Secret's name (then key is required)
    key: str = ""


@dataclass(frozen=True)
class Autoscale:
    min_replicas: int = 2
    max_replicas: int = 10
    cpu_utilization: int = 80  # percent of the CPU request


@dataclass(frozen=True)
class Canary:
    steps: tuple[int, ...] = (10, 50, 100)  # traffic weights in percent; the last is 100
    pause: float = 60.0  # seconds between steps, with the health gates checked throughout
    istio: bool = False  # set exact weights with a VirtualService instead of replica ratios


@dataclass(frozen=True)
class BlueGreen:
    keep_old: float = 600.0  # seconds the old slot stays up for an instant rollback
    smoke_paths: tuple[str, ...] = ()  # HTTP GETs that must answer 2xx on the new slot


@dataclass(frozen=True)
class Systemd:
    user: str = ""  # "" = the service name
    dynamic_user: bool = False
    limit_nofile: int = 65536
    sysctl: bool = False  # write a sysctl drop-in raising somaxconn and tcp_max_syn_backlog
    install_dir: str = "/opt"  # the binary goes to <install_dir>/<name>/<name>


@dataclass(frozen=True)
class DeploySettings:
    name: str  # the app: Deployment, Service and label app.kubernetes.io/name
    environment: str = ""  # "" when rendering without --env
    namespace: str = "default"
    context: str = ""  # kubeconfig context; "" = the current one
    port: int = 8080  # the container port the service listens on
    service_port: int = 80
    replicas: int = 2
    strategy: Strategy = "rolling"
    timeout: float = 300.0  # seconds a rollout may take before it counts as failed
    kubernetes_version: str = "1.30"  # the API version manifests are validated against
    resources: Resources = field(default_factory=Resources)
    probes: Probes = field(default_factory=Probes)
    config: Mapping[str, str] = field(default_factory=dict)  # -> ConfigMap, as environment
    secrets: tuple[SecretValue, ...] = ()
    autoscale: Autoscale | None = None
    min_available: int | str | None = None  # PodDisruptionBudget; None = none rendered
    canary: Canary = field(default_factory=Canary)
    blue_green: BlueGreen = field(default_factory=BlueGreen)
    systemd: Systemd = field(default_factory=Systemd)
    labels: Mapping[str, str] = field(default_factory=dict)  # extra labels on everything
    require_signature: tuple[str, ...] = ()  # public key files; one must verify the image
    scan_fail_on: str = ""  # "" = no scan gate; else a severity or "any"
    source: str = ""  # the file it came from, for messages
    image: str = ""  # the [[images]] entry deployed (its repository and tags); "" = the first
