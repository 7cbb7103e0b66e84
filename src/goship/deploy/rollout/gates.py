"""The health gates of a rollout.

- ``judge``: is a Deployment rolled out? Decided exactly as ``kubectl rollout status`` decides
  (observedGeneration caught up, every replica updated and available, no old replica left;
  the Progressing condition's ProgressDeadlineExceeded is a failure);
- ``wait_for_rollout``: judge until done, failed or out of time;
- ``pod_problems``: why pods are not ready (waiting reasons, restarts), for messages;
- ``smoke_check``: HTTP GETs through the API server's service proxy
  (/api/v1/namespaces/NS/services/NAME:PORT/proxy/PATH), which needs no port-forward and
  reaches exactly the pods the Service selects;
- ``watch_health``: during a canary pause or while an old blue-green slot is kept, the
  Deployments must stay rolled out and their containers must not restart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from goship.deploy.kube.interface import ClusterAPI
from goship.deploy.rollout.interface import RolloutOptions
from goship.deploy.rollout.objects import dig, name_of, pods_of
from goship.progress import Reporter

DEADLINE_EXCEEDED = "ProgressDeadlineExceeded"
SHOWN_PODS = 3


@dataclass(frozen=True)
class Verdict:
    done: bool
    failed: bool
    message: str


def judge(deployment: Mapping[str, Any]) -> Verdict:
    """The rollout state of a Deployment, as kubectl's DeploymentStatusViewer sees it."""
    name = name_of(deployment)
    generation = int(dig(deployment, "metadata", "generation", default=0))
    observed = int(dig(deployment, "status", "observedGeneration", default=0))
    if generation > observed:
        return Verdict(False, False, "waiting for the Deployment's new spec to be observed")
    for condition in dig(deployment, "status", "conditions", default=[]):
        if condition.get("type") == "Progressing" and condition.get("reason") == DEADLINE_EXCEEDED:
            seconds = dig(deployment, "spec", "progressDeadlineSeconds", default=600)
            return Verdict(False, True, f"Deployment {name} exceeded its progress deadline "
                                        f"({seconds}s without progress)")
    desired = int(dig(deployment, "spec", "replicas", default=1))
    updated = int(dig(deployment, "status", "updatedReplicas", default=0))
    replicas = int(dig(deployment, "status", "replicas", default=0))
    available = int(dig(deployment, "status", "availableReplicas", default=0))
    if updated < desired:
        return Verdict(False, False, f"{updated} out of {desired} new replicas have been updated")
    if replicas > updated:
        return Verdict(False, False, f"{replicas - updated} old replicas are pending termination")
    if available < updated:
        return Verdict(False, False, f"{available} of {updated} updated replicas are available")
    return Verdict(True, False, "successfully rolled out")


def wait_for_rollout(cluster: ClusterAPI, name: str, options: RolloutOptions, reporter: Reporter) -> Verdict:
    """Judge the Deployment ``name`` every ``interval`` until it is rolled out, has failed, or
    ``timeout`` has passed (a failure naming what it was waiting for)."""
    clock = options.clock
    start = clock.monotonic()
    shown = ""
    while True:
        deployment = cluster.get("Deployment", name)
        if deployment is None:
            return Verdict(False, True, f"Deployment {name} was deleted during the rollout")
        verdict = judge(deployment)
        if verdict.done or verdict.failed:
            return verdict
        if verdict.message != shown:
            reporter.step(f"{name}: {verdict.message}")
            shown = verdict.message
        elapsed = clock.monotonic() - start
        if elapsed >= options.timeout:
            return Verdict(False, True, f"timed out after {options.timeout:g}s waiting for Deployment "
                                        f"{name}: {verdict.message}")
        clock.sleep(min(options.interval, options.timeout - elapsed))


def pod_problems(cluster: ClusterAPI, deployment: Mapping[str, Any]) -> list[str]:
    """Why the Deployment's pods are not ready, a line per pod (at most a few)."""
    found = []
    for pod in pods_of(cluster, deployment):
        statuses = dig(pod, "status", "containerStatuses", default=[])
        if statuses and all(item.get("ready") for item in statuses):
            continue
        details = []
        for item in statuses:
            waiting = dig(item, "state", "waiting", "reason", default="")
            restarts = int(item.get("restartCount") or 0)
            parts = [part for part in (waiting, f"{restarts} restarts" if restarts else "") if part]
            if not item.get("ready"):
                shown = f" ({', '.join(parts)})" if parts else ""
                details.append(f"container {item.get('name')} not ready{shown}")
        state = "; ".join(details) or dig(pod, "status", "phase", default="pending")
        found.append(f"pod {name_of(pod)}: {state}")
    if len(found) > SHOWN_PODS:
        found = [*found[:SHOWN_PODS], f"and {len(found) - SHOWN_PODS} more pods"]
    return found


def describe_failure(cluster: ClusterAPI, name: str, verdict: Verdict) -> str:
    """The verdict, with why the pods are not ready when that can be read."""
    deployment = cluster.get("Deployment", name)
    problems = pod_problems(cluster, deployment) if deployment else []
    return verdict.message + (f" ({'; '.join(problems)})" if problems else "")


def smoke_check(cluster: ClusterAPI, service: str, port: int | str, paths: Sequence[str],
                options: RolloutOptions, reporter: Reporter) -> str | None:
    """GET every path through the service proxy; each must answer 2xx. A path may take
    ``smoke_attempts`` tries while the Service's endpoints catch up with readiness. Returns
    what failed, or None."""
    for path in paths:
        answer = cluster.proxy_get(service, port, path)
        for _ in range(max(options.smoke_attempts, 1) - 1):
            if answer.ok:
                break
            options.clock.sleep(options.interval)
            answer = cluster.proxy_get(service, port, path)
        if not answer.ok:
            body = " ".join(answer.body.split())[:200]
            return f"smoke check GET {path} on Service {service} answered {answer.status}" + \
                   (f": {body}" if body else "")
        reporter.step(f"smoke check GET {path} on {service}: {answer.status}")
    return None


def _restarts(cluster: ClusterAPI, deployment: Mapping[str, Any]) -> int:
    return sum(int(item.get("restartCount") or 0) for pod in pods_of(cluster, deployment)
               for item in dig(pod, "status", "containerStatuses", default=[]))


def watch_health(cluster: ClusterAPI, names: Sequence[str], seconds: float,
                 options: RolloutOptions) -> str | None:
    """Keep checking, for ``seconds``, that the Deployments ``names`` stay rolled out and that no
    container of theirs restarts. Returns what went wrong, or None."""
    clock = options.clock
    end = clock.monotonic() + seconds
    baseline: dict[str, int] = {}
    while True:
        for name in names:
            deployment = cluster.get("Deployment", name)
            if deployment is None:
                return f"Deployment {name} was deleted"
            verdict = judge(deployment)
            if not verdict.done:
                return f"Deployment {name} is no longer healthy: {describe_failure(cluster, name, verdict)}"
            restarts = _restarts(cluster, deployment)
            baseline.setdefault(name, restarts)
            if restarts > baseline[name]:
                return f"containers of Deployment {name} restarted {restarts - baseline[name]} times"
        remaining = end - clock.monotonic()
        if remaining <= 0:
            return None
        clock.sleep(min(options.interval, remaining))
