"""The rolling strategy against the fake Kubernetes API server, through the real lightkube
client: rollouts, failing readiness and an exceeded progress deadline rolled back, field
manager conflicts, RBAC and API rejections."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.fixtures.kubeapi import FakeKubeAPI
from tests.integration.deploy.rollout.rollout_setup import V1, V2, V3, Lines, container_image, options, prod

from goship.deploy.kube import Cluster, FieldConflictError, ForbiddenError, RejectedError
from goship.deploy.rollout import RenderedManifests, RolloutFailedError, deploy
from goship.errors import ExitCode

pytestmark = pytest.mark.integration


def test_a_rolling_update_replaces_every_pod_and_counts_revisions(kube_api: FakeKubeAPI,
                                                                  cluster: Cluster) -> None:
    settings = prod()
    first = deploy(cluster, RenderedManifests(settings), settings, V1, options(), Lines())
    second = deploy(cluster, RenderedManifests(settings), settings, V2, options(), Lines())

    deployment = kube_api.get("Deployment", "api", "prod")
    assert container_image(deployment) == V2.reference
    assert (first.revision, second.revision) == ("1", "2")
    assert second.previous_image == V1.reference
    pods = kube_api.list("Pod", "prod")
    assert len(pods) == 2
    assert {pod["status"]["containerStatuses"][0]["imageID"].rsplit("@", 1)[1] for pod in pods} == {V2.digest}
    assert deployment["metadata"]["managedFields"][0]["manager"] == "goship"
    assert kube_api.get("Service", "api", "prod") is not None


def test_deploying_the_running_image_again_changes_nothing(kube_api: FakeKubeAPI, cluster: Cluster) -> None:
    settings = prod()
    deploy(cluster, RenderedManifests(settings), settings, V1, options(), Lines())
    again = deploy(cluster, RenderedManifests(settings), settings, V1, options(), Lines())

    assert again.unchanged
    assert again.revision == "1"


def test_pods_that_never_get_ready_roll_back_to_the_previous_template(kube_api: FakeKubeAPI,
                                                                       cluster: Cluster) -> None:
    settings = prod()
    deploy(cluster, RenderedManifests(settings), settings, V1, options(), Lines())
    kube_api.behave(V2.digest, ready=False)

    with pytest.raises(RolloutFailedError) as failed:
        deploy(cluster, RenderedManifests(settings), settings, V2, options(timeout=1.0), Lines())

    message = failed.value.message
    assert "timed out after 1s" in message
    assert "container api not ready" in message
    assert f"rolled back to the template of revision 1 ({V1.reference})" in message
    assert failed.value.exit_code == ExitCode.DEPLOY == 14
    assert container_image(kube_api.get("Deployment", "api", "prod")) == V1.reference
    running = {pod["status"]["containerStatuses"][0]["image"] for pod in kube_api.list("Pod", "prod")}
    assert running == {V1.reference}


def test_an_exceeded_progress_deadline_fails_at_once_and_rolls_back(kube_api: FakeKubeAPI,
                                                                     cluster: Cluster) -> None:
    settings = prod()
    deploy(cluster, RenderedManifests(settings), settings, V1, options(), Lines())
    kube_api.behave(V2.digest, crash=True)
    kube_api.progress_deadline = 0.3

    with pytest.raises(RolloutFailedError) as failed:
        deploy(cluster, RenderedManifests(settings), settings, V2, options(timeout=30.0), Lines())

    assert "Deployment api exceeded its progress deadline" in failed.value.message
    assert "CrashLoopBackOff" in failed.value.message
    assert "timed out" not in failed.value.message
    assert container_image(kube_api.get("Deployment", "api", "prod")) == V1.reference


def test_a_failing_first_deploy_says_there_is_nothing_to_roll_back_to(kube_api: FakeKubeAPI,
                                                                       cluster: Cluster) -> None:
    settings = prod()
    kube_api.behave(V1.digest, ready=False)

    with pytest.raises(RolloutFailedError) as failed:
        deploy(cluster, RenderedManifests(settings), settings, V1, options(timeout=0.5), Lines())

    assert "no earlier revision to roll back to (the first deploy of api)" in failed.value.message


def test_a_field_another_manager_changed_is_a_conflict_until_forced(kube_api: FakeKubeAPI, cluster: Cluster,
                                                                     kubeconfig: Path) -> None:
    settings = prod()
    deploy(cluster, RenderedManifests(settings), settings, V1, options(), Lines())
    _edit_as("kubectl-edit", kubeconfig, {"spec": {"replicas": 5}})

    with pytest.raises(FieldConflictError) as conflict:
        deploy(cluster, RenderedManifests(settings), settings, V2, options(), Lines())

    assert 'conflict with "kubectl-edit" using apps/v1: .spec.replicas' in conflict.value.message
    assert "--force-conflicts" in conflict.value.hint
    assert container_image(kube_api.get("Deployment", "api", "prod")) == V1.reference

    forced = deploy(cluster, RenderedManifests(settings), settings, V2, options(force_conflicts=True),
                    Lines())

    deployment = kube_api.get("Deployment", "api", "prod")
    assert forced.digest == V2.digest
    assert deployment["spec"]["replicas"] == 2
    owners = {entry["manager"] for entry in deployment["metadata"]["managedFields"]
              if "f:replicas" in entry["fieldsV1"].get("f:spec", {})}
    assert owners == {"goship"}


def test_rbac_forbidden_shows_the_api_message(kube_api: FakeKubeAPI, cluster: Cluster) -> None:
    settings = prod()
    kube_api.deny("patch", "deployments")

    with pytest.raises(ForbiddenError) as forbidden:
        deploy(cluster, RenderedManifests(settings), settings, V1, options(), Lines())

    assert ('deployments.apps "api" is forbidden: User "system:serviceaccount:ci:deployer" cannot patch '
            'resource "deployments" in API group "apps" in the namespace "prod"') in forbidden.value.message
    assert forbidden.value.message.startswith("applying Deployment prod/api: ")
    assert forbidden.value.exit_code == ExitCode.DEPLOY


class _UppercaseContainer(RenderedManifests):
    def objects(self, image: str) -> list[dict]:
        objects = super().objects(image)
        for obj in objects:
            if obj["kind"] == "Deployment":
                obj["spec"]["template"]["spec"]["containers"][0]["name"] = "API_Server"
        return objects


def test_an_object_the_api_rejects_shows_its_message(kube_api: FakeKubeAPI, cluster: Cluster) -> None:
    settings = prod()

    with pytest.raises(RejectedError) as rejected:
        deploy(cluster, _UppercaseContainer(settings), settings, V1, options(), Lines())

    assert ('Deployment.apps "api" is invalid: spec.template.spec.containers[0].name: Invalid value: '
            "'API_Server'") in rejected.value.message
    assert kube_api.get("Deployment", "api", "prod") is None


def test_a_missing_namespace_is_named_with_a_hint(kube_api: FakeKubeAPI, kubeconfig: Path) -> None:
    from goship.deploy.kube import connect

    settings = prod(namespace="staging")
    with connect([kubeconfig], "staging") as staging, pytest.raises(RejectedError) as rejected:
        deploy(staging, RenderedManifests(settings), settings, V1, options(), Lines())

    assert 'namespaces "staging" not found' in rejected.value.message
    assert "kubectl create namespace staging" in rejected.value.hint


def test_progress_is_reported_as_kubectl_rollout_status_words_it(kube_api: FakeKubeAPI,
                                                                  cluster: Cluster) -> None:
    settings = prod()
    deploy(cluster, RenderedManifests(settings), settings, V1, options(), Lines())
    kube_api.behave(V3.digest, ready=False)
    lines = Lines()

    with pytest.raises(RolloutFailedError):
        deploy(cluster, RenderedManifests(settings), settings, V3, options(timeout=0.5), lines)

    # The new pods exist but never get ready, so the old ones stay: what the wait reported.
    assert "api: 2 old replicas are pending termination" in lines.lines
    assert any(line.startswith("rolling api back to revision 1 (") for line in lines.lines)


def _edit_as(manager: str, kubeconfig: Path, patch: dict) -> None:
    """Another client changes the Deployment with a merge patch (an Update, as kubectl edit)."""
    from lightkube import Client
    from lightkube.config.kubeconfig import KubeConfig
    from lightkube.resources.apps_v1 import Deployment
    from lightkube.types import PatchType

    with Client(KubeConfig.from_file(kubeconfig), field_manager=manager) as client:
        client.patch(Deployment, "api", patch, namespace="prod", patch_type=PatchType.MERGE)
