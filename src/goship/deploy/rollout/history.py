"""A Deployment's revisions and going back to one.

The revisions are its ReplicaSets, numbered by their deployment.kubernetes.io/revision
annotation; each keeps the pod template it was made from. Going back is what
``kubectl rollout undo`` does: the Deployment gets that ReplicaSet's template (without the
pod-template-hash label), and the Deployment controller scales the old ReplicaSet up again,
giving it the next revision number. goship applies it with server-side apply, forced: the
template is then goship's again even if another tool changed it, and the rest of the
Deployment stays as goship.toml renders it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from goship.deploy.kube.errors import DeployError
from goship.deploy.kube.interface import ClusterAPI, KubeObject
from goship.deploy.render.labels import VERSION
from goship.deploy.rollout.gates import describe_failure, wait_for_rollout
from goship.deploy.rollout.interface import Manifests, RolloutFailedError, RolloutOptions
from goship.deploy.rollout.objects import (
    dig,
    digest_of,
    image_of,
    live_template,
    name_of,
    replica_set_template,
    replica_sets_of,
    revision_number,
    with_template,
)
from goship.progress import Reporter


@dataclass(frozen=True)
class Revision:
    number: int
    replica_set: str
    image: str
    version: str
    replicas: int  # pods its ReplicaSet wants now
    created: str
    template: KubeObject = field(compare=False, repr=False)

    @property
    def digest(self) -> str:
        return digest_of(self.image)

    def to_json(self) -> dict[str, Any]:
        return {"revision": self.number, "replica_set": self.replica_set, "image": self.image,
                "digest": self.digest or None, "version": self.version or None, "replicas": self.replicas,
                "created": self.created or None}


def revisions(cluster: ClusterAPI, deployment: Mapping[str, Any], app: str) -> list[Revision]:
    """The Deployment's revisions, oldest first."""
    found = []
    for replica_set in replica_sets_of(cluster, deployment):
        template = replica_set_template(replica_set)
        found.append(Revision(revision_number(replica_set), name_of(replica_set),
                              image_of({"spec": {"template": template}}, app),
                              str(dig(template, "metadata", "labels", VERSION, default="")),
                              int(dig(replica_set, "spec", "replicas", default=0)),
                              str(dig(replica_set, "metadata", "creationTimestamp", default="")), template))
    return sorted(found, key=lambda revision: revision.number)


def target_revision(history: list[Revision], current: int, wanted: int, name: str) -> Revision:
    """The revision to go back to: ``wanted``, or (0) the newest one before ``current``."""
    numbers = ", ".join(str(revision.number) for revision in history) or "none"
    if wanted:
        found = next((revision for revision in history if revision.number == wanted), None)
        if found is None:
            raise DeployError(f"Deployment {name} has no revision {wanted} (revisions: {numbers})",
                              "pick one of those with --to-revision (goship rollback --list shows them)")
        return found
    earlier = [revision for revision in history if revision.number != current]
    if not earlier:
        raise DeployError(f"Deployment {name} has no earlier revision to roll back to (revisions: {numbers})",
                          "a rollback needs a revision before the current one")
    return earlier[-1]


def same_template(first: Mapping[str, Any], second: Mapping[str, Any]) -> bool:
    return dict(first) == dict(second)


def restore_template(cluster: ClusterAPI, rendered: KubeObject, template: Mapping[str, Any]) -> KubeObject:
    """Apply the rendered Deployment with ``template`` as its pod template (forced: a
    rollback wins over whoever changed the template)."""
    return cluster.apply(with_template(rendered, template), force=True)


@dataclass(frozen=True)
class Restored:
    revision: Revision
    current: int  # the revision number before
    unchanged: bool  # the Deployment already had that template
    deployment: KubeObject  # as it is after the rollback


def roll_back(cluster: ClusterAPI, manifests: Manifests, name: str, app: str, *, to_revision: int,
              options: RolloutOptions, reporter: Reporter, slot: str | None = None) -> Restored:
    """Give the Deployment ``name`` the template of revision ``to_revision`` (0: the previous
    one) and wait until it is rolled out."""
    live = cluster.get("Deployment", name)
    if live is None:
        raise DeployError(f"there is no Deployment {cluster.namespace}/{name} to roll back",
                          "deploy first (goship deploy REF --env ENV)")
    current = revision_number(live)
    target = target_revision(revisions(cluster, live, app), current, to_revision, name)
    if same_template(target.template, live_template(live)):
        return Restored(target, current, True, live)
    reporter.step(f"rolling {name} back to revision {target.number} ({target.image})")
    rendered = manifests.deployment(target.image, name=name, slot=slot)
    restore_template(cluster, rendered, target.template)
    verdict = wait_for_rollout(cluster, name, options, reporter)
    if not verdict.done:
        raise RolloutFailedError(
            f"rolling {name} back to revision {target.number} did not complete: "
            f"{describe_failure(cluster, name, verdict)}",
            f"inspect the pods (kubectl -n {cluster.namespace} describe deployment {name})",
            failure=verdict.message)
    after = cluster.get("Deployment", name) or live
    return Restored(target, current, False, after)


def put_back(cluster: ClusterAPI, rendered: KubeObject, before: KubeObject | None, options: RolloutOptions,
             reporter: Reporter) -> str:
    """After a failed rollout, give the Deployment the pod template ``before`` had again and
    wait for it; what happened, as a phrase for the failure message."""
    name = name_of(rendered)
    if before is None:
        return (f"there is no earlier revision to roll back to (the first deploy of {name}); "
                "the Deployment stays as applied")
    previous = live_template(before)
    current = cluster.get("Deployment", name)
    if current is not None and same_template(previous, live_template(current)):
        return "the Deployment had this template already before; there is nothing to roll back to"
    shown = f"revision {revision_number(before)} ({image_of(before, name)})"
    reporter.step(f"rolling {name} back to {shown}")
    restore_template(cluster, rendered, previous)
    verdict = wait_for_rollout(cluster, name, options, reporter)
    if verdict.done:
        return f"rolled back to the template of {shown}"
    return f"rolling back to the template of {shown} did not complete either: {verdict.message}"
