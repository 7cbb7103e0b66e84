"""The blue-green strategy: two Deployments, NAME-blue and NAME-green, labelled by slot; the
Service selects one slot.

A deploy brings the idle slot up with the new digest (the active slot's replica count),
waits until it is rolled out, runs the smoke checks through a Service of its own (NAME-SLOT,
so the checks reach only the new pods, through the API server's service proxy), and only
then switches the Service's selector. A failure before the switch leaves the Service where it
was and scales the failed slot to 0.

The old slot stays up for ``keep-old`` seconds so that ``goship rollback`` can switch back at
once; the Service records which slot that is and until when (annotations). There is no
daemon to scale it down later: the next goship run for the environment that finds the time
passed does it (``goship deploy``, ``goship rollback``, ``goship status``), and
``goship deploy --wait-old`` waits the whole time itself, watching the new slot, switching
back if it fails and scaling the old slot down when the time is over.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from goship.deploy.kube.errors import DeployError
from goship.deploy.kube.interface import ClusterAPI, KubeObject
from goship.deploy.render.labels import SLOT
from goship.deploy.rollout.gates import describe_failure, smoke_check, wait_for_rollout, watch_health
from goship.deploy.rollout.interface import (
    Image,
    Manifests,
    RolloutFailedError,
    RolloutOptions,
    RolloutResult,
)
from goship.deploy.rollout.objects import (
    KEEP_OLD_UNTIL,
    PREVIOUS_SLOT,
    apply_all,
    dig,
    digest_of,
    image_of,
    live_template,
    replicas_of,
    revision_of,
    with_template,
)
from goship.deploy.settings import DeploySettings
from goship.progress import Reporter

SLOTS = ("blue", "green")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def other_slot(slot: str | None) -> str:
    return "green" if slot == "blue" else "blue"


def active_slot(service: Mapping[str, Any] | None) -> str | None:
    slot = dig(service, "spec", "selector", SLOT)
    return str(slot) if slot in SLOTS else None


def slot_deployment(settings: DeploySettings, slot: str) -> str:
    return f"{settings.name}-{slot}"


def keep_until(service: Mapping[str, Any] | None) -> datetime.datetime | None:
    text = dig(service, "metadata", "annotations", KEEP_OLD_UNTIL, default="")
    try:
        return datetime.datetime.strptime(str(text), TIME_FORMAT).replace(tzinfo=datetime.UTC)
    except ValueError:
        return None


def _service(manifests: Manifests, slot: str, annotations: Mapping[str, str]) -> KubeObject:
    service = manifests.service(slot=slot)
    metadata = service.setdefault("metadata", {})
    metadata["annotations"] = {**(metadata.get("annotations") or {}), **annotations}
    return service


def _preview_service(manifests: Manifests, settings: DeploySettings, slot: str) -> KubeObject:
    """NAME-SLOT: a Service of the slot alone, for smoke checks before the switch."""
    service = manifests.service(slot=slot)
    service["metadata"]["name"] = slot_deployment(settings, slot)
    return service


def _service_port(service: Mapping[str, Any]) -> int | str:
    ports = dig(service, "spec", "ports", default=[])
    return ports[0].get("port", 80) if ports else 80


def _switch(cluster: ClusterAPI, manifests: Manifests, settings: DeploySettings, slot: str,
            previous: str | None, until: datetime.datetime | None, force: bool) -> None:
    """Point the Service at ``slot``, recording the previous slot and until when it is kept,
    and point the autoscaler (if any) at the slot's Deployment."""
    annotations = {PREVIOUS_SLOT: previous} if previous else {}
    if previous and until is not None:
        annotations[KEEP_OLD_UNTIL] = until.strftime(TIME_FORMAT)
    cluster.apply(_service(manifests, slot, annotations), force=force)
    autoscaler = manifests.autoscaler(slot_deployment(settings, slot))
    if autoscaler is not None:
        cluster.apply(autoscaler, force=force)


def _scale_slot(cluster: ClusterAPI, manifests: Manifests, settings: DeploySettings, slot: str,
                replicas: int, live: Mapping[str, Any], force: bool) -> None:
    """Scale a slot, keeping its pod template (a rendered Deployment carrying it)."""
    name = slot_deployment(settings, slot)
    rendered = manifests.deployment(image_of(live, settings.name), name=name, slot=slot, replicas=replicas)
    cluster.apply(with_template(rendered, live_template(live)), force=force)


def retire_old_slot(cluster: ClusterAPI, manifests: Manifests, settings: DeploySettings,
                    options: RolloutOptions, reporter: Reporter, *, force: bool = False) -> str | None:
    """Scale the previous slot to 0 once its keep-old time has passed; what was done, or None."""
    service = cluster.get("Service", settings.name)
    active = active_slot(service)
    previous = dig(service, "metadata", "annotations", PREVIOUS_SLOT)
    until = keep_until(service)
    if active is None or previous not in SLOTS or previous == active or until is None:
        return None
    if options.clock.now() < until:
        return None
    live = cluster.get("Deployment", slot_deployment(settings, previous))
    scaled = live is not None and replicas_of(live) > 0
    if live is not None and scaled:
        reporter.step(f"scaling the old slot {previous} down (kept until {until.strftime(TIME_FORMAT)})")
        _scale_slot(cluster, manifests, settings, previous, 0, live, force=True)
    _switch(cluster, manifests, settings, active, previous, None, force)
    if not scaled:
        return None
    return f"scaled the old slot {previous} down to 0 (kept until {until.strftime(TIME_FORMAT)})"


def _slot_replicas(settings: DeploySettings, active: Mapping[str, Any] | None) -> int:
    if settings.autoscale is None or active is None:
        return settings.replicas if settings.autoscale is None else settings.autoscale.min_replicas
    return max(replicas_of(active), settings.autoscale.min_replicas)


def bring_up(cluster: ClusterAPI, manifests: Manifests, settings: DeploySettings, slot: str, image: str,
             replicas: int, options: RolloutOptions, reporter: Reporter, steps: list[str],
             template: Mapping[str, Any] | None = None) -> str | None:
    """Apply the slot's Deployment and its own Service, wait, smoke-check; the failure or None."""
    name = slot_deployment(settings, slot)
    rendered = manifests.deployment(image, name=name, slot=slot, replicas=replicas)
    if template is not None:
        rendered = with_template(rendered, template)
    preview = _preview_service(manifests, settings, slot)
    apply_all(cluster, (rendered, preview), force=options.force_conflicts or template is not None,
              reporter=reporter, steps=steps)
    verdict = wait_for_rollout(cluster, name, options, reporter)
    if not verdict.done:
        return describe_failure(cluster, name, verdict)
    steps.append(f"Deployment {name} rolled out")
    paths = settings.blue_green.smoke_paths
    failure = smoke_check(cluster, str(preview["metadata"]["name"]), _service_port(preview), paths, options,
                          reporter) if paths else None
    if failure is None and paths:
        steps.append(f"smoke checks passed on {preview['metadata']['name']}")
    return failure


def blue_green(cluster: ClusterAPI, manifests: Manifests, settings: DeploySettings, image: Image,
               options: RolloutOptions, reporter: Reporter) -> RolloutResult:
    notes: list[str] = []
    steps: list[str] = []
    retired = retire_old_slot(cluster, manifests, settings, options, reporter, force=options.force_conflicts)
    if retired:
        notes.append(retired)
    service = cluster.get("Service", settings.name)
    active = active_slot(service)
    idle = other_slot(active)
    active_deployment = cluster.get("Deployment", slot_deployment(settings, active)) if active else None
    if active is None and cluster.get("Deployment", settings.name) is not None:
        notes.append(f"Deployment {settings.name} (not a blue-green slot) gets no traffic after the switch; "
                     f"delete it when it is no longer needed")
    idle_live = cluster.get("Deployment", slot_deployment(settings, idle))
    if idle_live is not None and replicas_of(idle_live) > 0 and active is not None:
        notes.append(f"the slot {idle}, kept for a rollback, now runs the new release")
    shared = [obj for obj in manifests.objects(image.reference)
              if obj.get("kind") not in ("Deployment", "Service", "HorizontalPodAutoscaler")]
    apply_all(cluster, shared, force=options.force_conflicts, reporter=reporter, steps=steps)
    reporter.step(f"bringing up the {idle} slot with {image.digest}")
    replicas = _slot_replicas(settings, active_deployment)
    failure = bring_up(cluster, manifests, settings, idle, image.reference, replicas, options, reporter,
                       steps)
    name = slot_deployment(settings, idle)
    if failure is not None:
        live = cluster.get("Deployment", name)
        if live is not None:
            _scale_slot(cluster, manifests, settings, idle, 0, live, force=True)
        kept = f"the Service still selects the {active} slot" if active else "no Service was switched"
        recovery = f"{kept}; the {idle} slot was scaled down to 0"
        raise RolloutFailedError(
            f"blue-green rollout of {image.digest} to {settings.environment or 'the cluster'} failed on the "
            f"{idle} slot: {failure}; {recovery}",
            f"inspect the {idle} slot (kubectl -n {cluster.namespace} describe deployment {name})",
            failure=failure, recovery=recovery)
    keep = settings.blue_green.keep_old
    until = options.clock.now() + datetime.timedelta(seconds=keep) if active else None
    _switch(cluster, manifests, settings, idle, active, until, options.force_conflicts)
    steps.append(f"switched Service {settings.name} to the {idle} slot")
    reporter.step(f"switched Service {settings.name} from {active or 'nothing'} to {idle}")
    if active and until is not None:
        if options.wait_old:
            _wait_old(cluster, manifests, settings, image, idle, active, options, reporter, steps)
        else:
            notes.append(f"the old slot {active} stays up until {until.strftime(TIME_FORMAT)} for `goship "
                         "rollback`; the next goship deploy, rollback or status after that scales it down")
    after = cluster.get("Deployment", name) or {}
    return RolloutResult(settings.environment, cluster.namespace, cluster.context, settings.name,
                         "blue-green", image.reference, image.digest,
                         image_of(active_deployment, settings.name), name, revision_of(after), tuple(steps),
                         tuple(notes))


def _wait_old(cluster: ClusterAPI, manifests: Manifests, settings: DeploySettings, image: Image, new: str,
              old: str, options: RolloutOptions, reporter: Reporter, steps: list[str]) -> None:
    """Watch the new slot for keep-old seconds; on trouble switch back, else retire the old slot."""
    keep = settings.blue_green.keep_old
    reporter.step(f"watching the {new} slot for {keep:g}s before scaling {old} down")
    problem = watch_health(cluster, [slot_deployment(settings, new)], keep, options)
    if problem is None:
        live = cluster.get("Deployment", slot_deployment(settings, old))
        if live is not None:
            _scale_slot(cluster, manifests, settings, old, 0, live, force=True)
        _switch(cluster, manifests, settings, new, old, None, options.force_conflicts)
        steps.append(f"scaled the old slot {old} down to 0")
        return
    _switch(cluster, manifests, settings, old, new, None, options.force_conflicts)
    live = cluster.get("Deployment", slot_deployment(settings, new))
    if live is not None:
        _scale_slot(cluster, manifests, settings, new, 0, live, force=True)
    recovery = f"switched the Service back to the {old} slot and scaled {new} down to 0"
    raise RolloutFailedError(
        f"the {new} slot running {image.digest} failed while the old slot was kept: {problem}; {recovery}",
        f"inspect the {new} slot's pods (kubectl -n {cluster.namespace} get pods -l {SLOT}={new})",
        failure=problem, recovery=recovery)


def switch_back(cluster: ClusterAPI, manifests: Manifests, settings: DeploySettings, options: RolloutOptions,
                reporter: Reporter) -> RolloutResult:
    """`goship rollback` for blue-green: the Service goes back to the other slot, scaled up
    first (with its own template) when it was already scaled down."""
    service = cluster.get("Service", settings.name)
    active = active_slot(service)
    if active is None:
        raise DeployError(f"Service {cluster.namespace}/{settings.name} selects no blue-green slot",
                          "deploy with the blue-green strategy first")
    previous = other_slot(active)
    name = slot_deployment(settings, previous)
    live = cluster.get("Deployment", name)
    if live is None:
        raise DeployError(f"there is no earlier slot to roll back to: Deployment {cluster.namespace}/{name} "
                          "does not exist", "a blue-green rollback needs a release before the current one")
    active_live = cluster.get("Deployment", slot_deployment(settings, active))
    steps: list[str] = []
    replicas = _slot_replicas(settings, active_live)
    if replicas_of(live) == 0:
        reporter.step(f"scaling the {previous} slot back up ({image_of(live, settings.name)})")
    failure = bring_up(cluster, manifests, settings, previous, image_of(live, settings.name),
                       max(replicas_of(live), replicas), options, reporter, steps,
                       template=live_template(live))
    if failure is not None:
        raise RolloutFailedError(f"rolling back to the {previous} slot failed: {failure}; the Service still "
                                 f"selects the {active} slot", f"inspect Deployment {name}", failure=failure)
    until = options.clock.now() + datetime.timedelta(seconds=settings.blue_green.keep_old)
    _switch(cluster, manifests, settings, previous, active, until, force=True)
    steps.append(f"switched Service {settings.name} back to the {previous} slot")
    after = cluster.get("Deployment", name) or live
    image = image_of(after, settings.name)
    return RolloutResult(settings.environment, cluster.namespace, cluster.context, settings.name,
                         "blue-green", image, digest_of(image), image_of(active_live, settings.name), name,
                         revision_of(after), tuple(steps),
                         (f"the {active} slot stays up until {until.strftime(TIME_FORMAT)}",))
