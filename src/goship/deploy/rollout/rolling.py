"""The rolling strategy: apply the environment's objects, then wait for the Deployment as
``kubectl rollout status`` would. When the rollout fails (pods never ready, progress deadline
exceeded, timeout) the Deployment gets back the pod template it had before, as
``kubectl rollout undo`` does, and the failure says what happened and what runs now."""

from __future__ import annotations

from collections.abc import Sequence

from goship.deploy.kube.errors import DeployError
from goship.deploy.kube.interface import ClusterAPI
from goship.deploy.rollout.gates import describe_failure, wait_for_rollout
from goship.deploy.rollout.history import put_back, same_template
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
    revision_of,
)
from goship.deploy.settings import DeploySettings
from goship.progress import Reporter


def rolling_update(cluster: ClusterAPI, manifests: Manifests, settings: DeploySettings, image: Image,
                   options: RolloutOptions, reporter: Reporter, *, strategy: str = "rolling",
                   notes: Sequence[str] = ()) -> RolloutResult:
    name = settings.name
    objects = manifests.objects(image.reference)
    rendered = find(objects, "Deployment", name)
    if rendered is None:
        raise DeployError(f"the objects rendered for {name} hold no Deployment {name}",
                          "a rolling update needs the Deployment named after the app")
    before = cluster.get("Deployment", name)
    steps: list[str] = []
    reporter.step(f"applying {len(objects)} objects to {cluster.namespace} (context {cluster.context})")
    apply_all(cluster, objects, force=options.force_conflicts, reporter=reporter, steps=steps)
    verdict = wait_for_rollout(cluster, name, options, reporter)
    if not verdict.done:
        failure = describe_failure(cluster, name, verdict)
        recovery = put_back(cluster, rendered, before, options, reporter)
        raise RolloutFailedError(
            f"rolling out {image.digest} to {settings.environment or 'the cluster'} failed: {failure}; "
            f"{recovery}",
            f"inspect the new pods (kubectl -n {cluster.namespace} describe deployment {name}); "
            "goship status shows what runs now",
            failure=failure, recovery=recovery)
    after = cluster.get("Deployment", name) or {}
    unchanged = before is not None and same_template(live_template(before), live_template(after))
    steps.append(f"Deployment {name} rolled out")
    return RolloutResult(settings.environment, cluster.namespace, cluster.context, name, strategy,
                         image.reference, image.digest, image_of(before, name) if before else "", name,
                         revision_of(after), tuple(steps), tuple(notes), unchanged)

