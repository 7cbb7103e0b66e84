"""The canary strategy: a NAME-canary Deployment with the new digest behind the same Service
as the stable Deployment NAME (both carry the app's labels the Service selects; their own
selectors differ by the slot label, stable or canary).

For each weight step below 100 the canary gets a replica count whose share of all pods
approximates the weight (without a mesh a Service spreads requests evenly over ready pods),
must roll out, and must then stay healthy for the pause (rolled out, no container restarts,
the stable Deployment too). The stable Deployment keeps its replicas throughout, so capacity
never drops; the canary therefore never gets more pods than the stable track (at most an even
split). With ``istio`` the weights are exact: the VirtualService sends each step's weight to
the canary subset and the canary only needs enough pods for its share.

After the last step the stable Deployment is updated to the canary's digest (a rolling update
with its own gates), then the canary is scaled to 0. A failed gate scales the canary to 0
(and sends all traffic back to stable); a failed promotion also puts the stable Deployment's
previous template back.
"""

from __future__ import annotations

import math

from goship.deploy.kube.errors import DeployError
from goship.deploy.kube.interface import ClusterAPI
from goship.deploy.rollout.gates import describe_failure, wait_for_rollout, watch_health
from goship.deploy.rollout.history import put_back
from goship.deploy.rollout.interface import (
    Image,
    Manifests,
    RolloutFailedError,
    RolloutOptions,
    RolloutResult,
)
from goship.deploy.rollout.objects import (
    apply_all,
    find,
    image_of,
    live_template,
    replicas_of,
    revision_of,
    with_template,
)
from goship.deploy.rollout.rolling import rolling_update
from goship.deploy.settings import DeploySettings
from goship.progress import Reporter

CANARY = "canary"
STABLE = "stable"


def canary_name(settings: DeploySettings) -> str:
    return f"{settings.name}-{CANARY}"


def canary_replicas(weight: int, stable: int, *, istio: bool = False) -> int:
    """How many canary pods a weight step gets beside ``stable`` stable pods: with Istio,
    enough for its share of the load; without, the count whose share of all pods
    (canary / (canary + stable)) is nearest the weight, at least 1, at most ``stable``."""
    stable = max(stable, 1)
    if istio:
        return max(1, math.ceil(stable * weight / 100))
    return min(range(1, stable + 1),
               key=lambda count: (abs(traffic_share(count, stable) - weight / 100), count))


def traffic_share(canary: int, stable: int) -> float:
    return canary / (canary + stable) if canary + stable else 0.0


def canary_rollout(cluster: ClusterAPI, manifests: Manifests, settings: DeploySettings, image: Image,
                   options: RolloutOptions, reporter: Reporter) -> RolloutResult:
    name = settings.name
    stable_live = cluster.get("Deployment", name)
    if stable_live is None:
        return rolling_update(cluster, manifests, settings, image, options, reporter, strategy="canary",
                              notes=(f"there is no stable Deployment {name} yet: the first release went out "
                                     "as a rolling update",))
    objects = manifests.objects(image.reference)
    rendered_stable = find(objects, "Deployment", name)
    if rendered_stable is None:
        raise DeployError(f"the objects rendered for {name} hold no Deployment {name}",
                          "a canary needs the stable Deployment named after the app")
    steps: list[str] = []
    apply_all(cluster, [obj for obj in objects if obj.get("kind") != "Deployment"],
              force=options.force_conflicts, reporter=reporter, steps=steps)
    istio = settings.canary.istio
    stable_replicas = replicas_of(stable_live)
    previous_image = image_of(stable_live, name)
    canary = canary_name(settings)
    for weight in [weight for weight in settings.canary.steps if 0 < weight < 100]:
        replicas = canary_replicas(weight, stable_replicas, istio=istio)
        cluster.apply(manifests.deployment(image.reference, name=canary, slot=CANARY, replicas=replicas),
                      force=options.force_conflicts)
        verdict = wait_for_rollout(cluster, canary, options, reporter)
        if not verdict.done:
            _abort(cluster, manifests, settings, image, weight, describe_failure(cluster, canary, verdict),
                   previous_image)
        if istio:
            for obj in manifests.routing(weight):
                cluster.apply(obj, force=options.force_conflicts)
            shown = f"{weight}% of requests (Istio)"
        else:
            shown = f"≈{traffic_share(replicas, stable_replicas):.0%} of requests"
        step = f"step {weight}%: {replicas} canary and {stable_replicas} stable pods, {shown}"
        steps.append(step)
        reporter.step(f"{step}; pausing {settings.canary.pause:g}s")
        problem = watch_health(cluster, [canary, name], settings.canary.pause, options)
        if problem is not None:
            _abort(cluster, manifests, settings, image, weight, problem, previous_image)
    reporter.step(f"promoting {image.digest} to the stable Deployment {name}")
    cluster.apply(rendered_stable, force=options.force_conflicts)
    verdict = wait_for_rollout(cluster, name, options, reporter)
    if not verdict.done:
        failure = describe_failure(cluster, name, verdict)
        recovery = put_back(cluster, rendered_stable, stable_live, options, reporter)
        _scale_canary_down(cluster, manifests, settings, image, istio)
        raise RolloutFailedError(
            f"promoting the canary {image.digest} to {name} failed: {failure}; {recovery}; the canary was "
            "scaled to 0",
            f"inspect Deployment {name} (kubectl -n {cluster.namespace} describe deployment {name})",
            failure=failure, recovery=recovery)
    steps.append(f"promoted: Deployment {name} rolled out")
    _scale_canary_down(cluster, manifests, settings, image, istio)
    steps.append(f"scaled Deployment {canary} to 0")
    after = cluster.get("Deployment", name) or {}
    return RolloutResult(settings.environment, cluster.namespace, cluster.context, name, "canary",
                         image.reference, image.digest, previous_image, name, revision_of(after),
                         tuple(steps))


def _scale_canary_down(cluster: ClusterAPI, manifests: Manifests, settings: DeploySettings, image: Image,
                       istio: bool) -> None:
    """All traffic to stable, then no canary pods (the canary keeps its template)."""
    if istio:
        for obj in manifests.routing(0):
            cluster.apply(obj, force=True)
    live = cluster.get("Deployment", canary_name(settings))
    if live is None:
        return
    rendered = manifests.deployment(image.reference, name=canary_name(settings), slot=CANARY, replicas=0)
    cluster.apply(with_template(rendered, live_template(live)), force=True)


def _abort(cluster: ClusterAPI, manifests: Manifests, settings: DeploySettings, image: Image, weight: int,
           failure: str, stable_image: str) -> None:
    _scale_canary_down(cluster, manifests, settings, image, settings.canary.istio)
    recovery = f"the canary was scaled to 0; {settings.name} still runs {stable_image}"
    raise RolloutFailedError(
        f"the canary of {image.digest} failed at the {weight}% step: {failure}; {recovery}",
        f"inspect the canary's pods (kubectl -n {cluster.namespace} describe deployment "
        f"{canary_name(settings)})",
        failure=failure, recovery=recovery)


def abort_canary(cluster: ClusterAPI, manifests: Manifests, settings: DeploySettings) -> str | None:
    """`goship rollback` while a canary runs: scale it to 0; what was done, or None."""
    live = cluster.get("Deployment", canary_name(settings))
    if live is None or replicas_of(live) == 0:
        return None
    image = image_of(live, settings.name)
    _scale_canary_down(cluster, manifests, settings, Image(image, ""), settings.canary.istio)
    return f"scaled the canary {canary_name(settings)} ({image}) to 0"
