"""Reading and reshaping Kubernetes objects as plain dicts: the fields the rollouts look at,
the pods and ReplicaSets a Deployment owns, a rendered Deployment carrying another pod
template (what a rollback and a scale-down apply), and applying objects in order, each
noted among a rollout's steps."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from goship.deploy.kube.interface import ClusterAPI, KubeObject
from goship.deploy.render.labels import VERSION
from goship.progress import Reporter

REVISION = "deployment.kubernetes.io/revision"
TEMPLATE_HASH = "pod-template-hash"
PREVIOUS_SLOT = "goship.dev/previous-slot"  # on the Service: the blue-green slot that served before
KEEP_OLD_UNTIL = "goship.dev/keep-old-until"  # on the Service: when the previous slot may be scaled down


def dig(obj: Mapping[str, Any] | None, *keys: str, default: Any = None) -> Any:
    """``obj[k1][k2]...``, or ``default`` where a level is missing or not a mapping."""
    current: Any = obj
    for key in keys:
        if not isinstance(current, Mapping) or key not in current:
            return default
        current = current[key]
    return default if current is None else current


def name_of(obj: Mapping[str, Any]) -> str:
    return str(dig(obj, "metadata", "name", default=""))


def kind_and_name(obj: Mapping[str, Any]) -> str:
    return f"{obj.get('kind', '?')} {name_of(obj)}"


def find(objects: Iterable[KubeObject], kind: str, name: str | None = None) -> KubeObject | None:
    return next((obj for obj in objects if obj.get("kind") == kind
                 and (name is None or name_of(obj) == name)), None)


def apply_all(cluster: ClusterAPI, objects: Iterable[KubeObject], *, force: bool, reporter: Reporter,
              steps: list[str]) -> None:
    """Apply ``objects`` in order; each becomes a step ("applied Service api")."""
    for obj in objects:
        cluster.apply(obj, force=force)
        steps.append(f"applied {kind_and_name(obj)}")
        reporter.debug(f"applied {kind_and_name(obj)}")


def revision_of(obj: Mapping[str, Any] | None) -> str:
    return str(dig(obj, "metadata", "annotations", REVISION, default=""))


def revision_number(obj: Mapping[str, Any] | None) -> int:
    text = revision_of(obj)
    return int(text) if text.isdigit() else 0


def main_container(template: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """The app's container of a pod template: the one named after the app, else the first."""
    containers = dig(template, "spec", "containers", default=[])
    first = containers[0] if containers else {}
    return next((item for item in containers if item.get("name") == name), first)


def image_of(deployment: Mapping[str, Any] | None, name: str) -> str:
    return str(main_container(dig(deployment, "spec", "template", default={}), name).get("image", ""))


def digest_of(image: str) -> str:
    """The digest of an image reference or imageID (``repo@sha256:...``, ``sha256:...``)."""
    if "@" in image:
        return image.rsplit("@", 1)[1]
    return image if image.startswith("sha256:") else ""


def version_of(deployment: Mapping[str, Any] | None) -> str:
    """The app version a Deployment's pods are labelled with (the template's, as that is
    what runs)."""
    return str(dig(deployment, "spec", "template", "metadata", "labels", VERSION, default="")
               or dig(deployment, "metadata", "labels", VERSION, default=""))


def replicas_of(deployment: Mapping[str, Any] | None) -> int:
    return int(dig(deployment, "spec", "replicas", default=1))


def with_template(deployment: Mapping[str, Any], template: Mapping[str, Any]) -> KubeObject:
    """A rendered Deployment carrying another pod template (the rest stays as rendered)."""
    result = copy.deepcopy(dict(deployment))
    result["spec"] = {**result.get("spec", {}), "template": copy.deepcopy(dict(template))}
    return result


def replica_set_template(replica_set: Mapping[str, Any]) -> KubeObject:
    """A ReplicaSet's pod template as its Deployment had it (without pod-template-hash), as
    ``kubectl rollout undo`` restores it."""
    template = copy.deepcopy(dict(dig(replica_set, "spec", "template", default={})))
    labels = dig(template, "metadata", "labels", default={})
    labels.pop(TEMPLATE_HASH, None)
    return template


def live_template(deployment: Mapping[str, Any]) -> KubeObject:
    return copy.deepcopy(dict(dig(deployment, "spec", "template", default={})))


def owned_by(obj: Mapping[str, Any], owner: Mapping[str, Any]) -> bool:
    uid = dig(owner, "metadata", "uid")
    return bool(uid) and any(reference.get("uid") == uid
                             for reference in dig(obj, "metadata", "ownerReferences", default=[]))


def selector_labels(deployment: Mapping[str, Any]) -> dict[str, str]:
    return dict(dig(deployment, "spec", "selector", "matchLabels", default={}))


def replica_sets_of(cluster: ClusterAPI, deployment: Mapping[str, Any]) -> list[KubeObject]:
    """The ReplicaSets the Deployment owns (selected by its labels, kept by ownerReference:
    another Deployment's ReplicaSets may carry the same labels)."""
    return [item for item in cluster.list("ReplicaSet", selector_labels(deployment))
            if owned_by(item, deployment)]


def pods_of(cluster: ClusterAPI, deployment: Mapping[str, Any]) -> list[KubeObject]:
    """The pods of the Deployment's ReplicaSets."""
    replica_sets = replica_sets_of(cluster, deployment)
    return [pod for pod in cluster.list("Pod", selector_labels(deployment))
            if any(owned_by(pod, replica_set) for replica_set in replica_sets)]
