"""``deploy``: one image to one environment with the environment's strategy (or the one
asked for): the Secret of deploy-time values first, then the strategy's rollout. ``rollback``
goes back as each strategy goes back; both first scale down a blue-green slot whose keep-old
time has passed."""

from __future__ import annotations

from collections.abc import Mapping

from goship.deploy.kube.interface import ClusterAPI
from goship.deploy.rollout.bluegreen import blue_green, retire_old_slot, switch_back
from goship.deploy.rollout.canary import abort_canary, canary_rollout
from goship.deploy.rollout.history import roll_back
from goship.deploy.rollout.interface import Image, Manifests, RolloutOptions, RolloutResult
from goship.deploy.rollout.objects import digest_of, image_of, revision_of
from goship.deploy.rollout.rolling import rolling_update
from goship.deploy.settings import DeploySettings
from goship.errors import UsageError
from goship.progress import Reporter, SilentReporter

STRATEGIES = ("rolling", "blue-green", "canary")


def deploy(cluster: ClusterAPI, manifests: Manifests, settings: DeploySettings, image: Image,
           options: RolloutOptions, reporter: Reporter | None = None, *,
           secret_values: Mapping[str, bytes] | None = None) -> RolloutResult:
    """Roll ``image`` out to the environment ``settings`` describe (``settings.strategy``)."""
    reporter = reporter or SilentReporter()
    if settings.strategy not in STRATEGIES:
        raise UsageError(f"unknown strategy '{settings.strategy}'", f"use one of {', '.join(STRATEGIES)}")
    if secret_values:
        secret = manifests.secret(secret_values)
        cluster.apply(secret, force=options.force_conflicts)
        reporter.step(f"applied Secret {secret['metadata']['name']} ({len(secret_values)} values)")
    if settings.strategy == "blue-green":
        return blue_green(cluster, manifests, settings, image, options, reporter)
    if settings.strategy == "canary":
        return canary_rollout(cluster, manifests, settings, image, options, reporter)
    return rolling_update(cluster, manifests, settings, image, options, reporter)


def rollback(cluster: ClusterAPI, manifests: Manifests, settings: DeploySettings, options: RolloutOptions,
             reporter: Reporter | None = None, *, to_revision: int = 0) -> RolloutResult:
    """Back to the previous release (or revision ``to_revision``): blue-green switches the
    Service to the other slot; a running canary is scaled to 0; otherwise the Deployment gets
    the pod template of that revision back."""
    reporter = reporter or SilentReporter()
    if settings.strategy == "blue-green":
        if to_revision:
            raise UsageError("--to-revision does not apply to blue-green: a rollback switches the Service "
                             "to the other slot", "run goship rollback --env ENV without --to-revision")
        return switch_back(cluster, manifests, settings, options, reporter)
    name = settings.name
    if settings.strategy == "canary" and not to_revision:
        aborted = abort_canary(cluster, manifests, settings)
        if aborted is not None:
            live = cluster.get("Deployment", name)
            image = image_of(live, name)
            return RolloutResult(settings.environment, cluster.namespace, cluster.context, name, "canary",
                                 image, digest_of(image), "", name, revision_of(live), (aborted,))
    slot = "stable" if settings.strategy == "canary" else None
    restored = roll_back(cluster, manifests, name, name, to_revision=to_revision, options=options,
                         reporter=reporter, slot=slot)
    image = image_of(restored.deployment, name)
    notes = (f"Deployment {name} already has the template of revision {restored.revision.number}",) \
        if restored.unchanged else ()
    steps = () if restored.unchanged else (
        f"rolled {name} back from revision {restored.current} to the template of revision "
        f"{restored.revision.number}",)
    return RolloutResult(settings.environment, cluster.namespace, cluster.context, name, settings.strategy,
                         image, digest_of(image), "", name, revision_of(restored.deployment), steps, notes,
                         restored.unchanged)


def housekeeping(cluster: ClusterAPI, manifests: Manifests, settings: DeploySettings, options: RolloutOptions,
                 reporter: Reporter | None = None) -> str | None:
    """What `goship status` and `goship rollback` do before anything else: scale down a
    blue-green slot whose keep-old time has passed."""
    if settings.strategy != "blue-green":
        return None
    return retire_old_slot(cluster, manifests, settings, options, reporter or SilentReporter())
