"""Revisions, rollback to one of them, and the digest-consistency check of `goship status`,
against the fake Kubernetes API server."""

from __future__ import annotations

import pytest
from tests.fixtures.kubeapi import FakeKubeAPI
from tests.integration.deploy.rollout.rollout_setup import V1, V2, V3, Lines, container_image, options, prod

from goship.deploy.kube import Cluster, DeployError
from goship.deploy.rollout import RenderedManifests, deploy, environment_status, revisions, rollback

pytestmark = pytest.mark.integration


def _three_releases(cluster: Cluster) -> None:
    settings = prod()
    for release in (V1, V2, V3):
        deploy(cluster, RenderedManifests(settings), settings, release, options(), Lines())


def test_revisions_list_every_release_with_its_image_and_version(kube_api: FakeKubeAPI,
                                                                 cluster: Cluster) -> None:
    _three_releases(cluster)

    history = revisions(cluster, cluster.get("Deployment", "api"), "api")

    assert [(item.number, item.image, item.version) for item in history] == [
        (1, V1.reference, "v1.0.0"), (2, V2.reference, "v2.0.0"), (3, V3.reference, "v3.0.0")]
    assert [item.replicas for item in history] == [0, 0, 2]


def test_rollback_to_a_revision_restores_its_template(kube_api: FakeKubeAPI, cluster: Cluster) -> None:
    _three_releases(cluster)
    settings = prod()

    result = rollback(cluster, RenderedManifests(settings), settings, options(), Lines(), to_revision=1)

    assert result.digest == V1.digest
    deployment = kube_api.get("Deployment", "api", "prod")
    assert container_image(deployment) == V1.reference
    # As `kubectl rollout undo`: the old ReplicaSet is reused and becomes the newest revision.
    assert result.revision == "4"
    assert [item.number for item in revisions(cluster, deployment, "api")] == [2, 3, 4]
    assert result.steps == ("rolled api back from revision 3 to the template of revision 1",)


def test_rollback_without_a_revision_goes_to_the_previous_one(kube_api: FakeKubeAPI,
                                                              cluster: Cluster) -> None:
    _three_releases(cluster)
    settings = prod()

    result = rollback(cluster, RenderedManifests(settings), settings, options(), Lines())

    assert result.digest == V2.digest


def test_rollback_to_an_unknown_revision_lists_the_known_ones(kube_api: FakeKubeAPI,
                                                              cluster: Cluster) -> None:
    _three_releases(cluster)
    settings = prod()

    with pytest.raises(DeployError) as unknown:
        rollback(cluster, RenderedManifests(settings), settings, options(), Lines(), to_revision=7)

    assert unknown.value.message == "Deployment api has no revision 7 (revisions: 1, 2, 3)"


def test_rollback_with_nothing_deployed_says_so(kube_api: FakeKubeAPI, cluster: Cluster) -> None:
    settings = prod()

    with pytest.raises(DeployError) as nothing:
        rollback(cluster, RenderedManifests(settings), settings, options(), Lines())

    assert nothing.value.message == "there is no Deployment prod/api to roll back"


def test_status_names_the_digest_version_and_revision_that_run(kube_api: FakeKubeAPI,
                                                               cluster: Cluster) -> None:
    settings = prod()
    deploy(cluster, RenderedManifests(settings), settings, V2, options(), Lines())

    status = environment_status(cluster, settings)

    shown = (status.deployment, status.digest, status.version, status.revision)
    assert shown == ("api", V2.digest, "v2.0.0", "1")
    assert (status.ready, status.desired, status.consistent) == (2, 2, True)
    assert all(pod.matches for pod in status.pods) and len(status.pods) == 2


def test_status_catches_a_pod_running_another_digest(kube_api: FakeKubeAPI, cluster: Cluster) -> None:
    settings = prod()
    other = "registry.example.com/shop/api@sha256:" + "e" * 64
    kube_api.behave(V2.digest, image_id=other)  # a node resolved the reference to something else
    deploy(cluster, RenderedManifests(settings), settings, V2, options(), Lines())

    status = environment_status(cluster, settings)

    assert not status.consistent
    assert len(status.problems) == 2
    assert status.problems[0].endswith(f"runs {other}, not the released digest {V2.digest}")
    assert [pod.matches for pod in status.pods] == [False, False]


def test_status_without_a_deployment_is_a_problem(kube_api: FakeKubeAPI, cluster: Cluster) -> None:
    status = environment_status(cluster, prod())

    assert status.problems == ("there is no Deployment prod/api",)
