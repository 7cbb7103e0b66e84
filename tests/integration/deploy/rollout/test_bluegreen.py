"""The blue-green strategy against the fake Kubernetes API server: slots, smoke checks through
the service proxy, the switch, the kept old slot and its scale-down, and switching back."""

from __future__ import annotations

import datetime

import pytest
from tests.fixtures.kubeapi import FakeKubeAPI
from tests.integration.deploy.rollout.rollout_setup import (
    V1,
    V2,
    V3,
    Lines,
    MovableClock,
    container_image,
    options,
    prod,
)

from goship.deploy.kube import Cluster
from goship.deploy.rollout import (
    RenderedManifests,
    RolloutFailedError,
    deploy,
    environment_status,
    housekeeping,
    rollback,
)
from goship.deploy.rollout.objects import KEEP_OLD_UNTIL, PREVIOUS_SLOT
from goship.deploy.settings import BlueGreen

pytestmark = pytest.mark.integration
SLOT = "goship.dev/slot"


def _selected(kube_api: FakeKubeAPI) -> str:
    service = kube_api.get("Service", "api", "prod")
    assert service is not None
    return str(service["spec"]["selector"][SLOT])


def _replicas(kube_api: FakeKubeAPI, name: str) -> int:
    deployment = kube_api.get("Deployment", name, "prod")
    assert deployment is not None
    return int(deployment["spec"]["replicas"])


def test_the_service_switches_to_the_new_slot_only_after_it_is_ready_and_smoke_checked(
        kube_api: FakeKubeAPI, cluster: Cluster) -> None:
    settings = prod(strategy="blue-green")
    first = deploy(cluster, RenderedManifests(settings), settings, V1, options(), Lines())
    assert (first.deployment, _selected(kube_api)) == ("api-blue", "blue")

    second = deploy(cluster, RenderedManifests(settings), settings, V2, options(), Lines())

    assert (second.deployment, _selected(kube_api)) == ("api-green", "green")
    assert container_image(kube_api.get("Deployment", "api-green", "prod")) == V2.reference
    assert second.previous_image == V1.reference
    # The old slot stays up for a rollback, and the Service says until when.
    assert _replicas(kube_api, "api-blue") == 2
    annotations = kube_api.get("Service", "api", "prod")["metadata"]["annotations"]
    assert annotations[PREVIOUS_SLOT] == "blue"
    until = datetime.datetime.strptime(annotations[KEEP_OLD_UNTIL], "%Y-%m-%dT%H:%M:%SZ")
    assert 590 < (until.replace(tzinfo=datetime.UTC)
                  - datetime.datetime.now(datetime.UTC)).total_seconds() <= 600
    # The smoke check went through the API server's service proxy to the green slot's Service.
    assert ("GET", "/api/v1/namespaces/prod/services/api-green:80/proxy/healthz") in kube_api.requests


def test_a_failing_smoke_check_keeps_the_service_on_the_old_slot(kube_api: FakeKubeAPI,
                                                                 cluster: Cluster) -> None:
    settings = prod(strategy="blue-green")
    deploy(cluster, RenderedManifests(settings), settings, V1, options(), Lines())
    kube_api.behave(V2.digest, http_status=500, http_body="database unreachable")

    with pytest.raises(RolloutFailedError) as failed:
        deploy(cluster, RenderedManifests(settings), settings, V2, options(), Lines())

    assert ("smoke check GET /healthz on Service api-green answered 500: database unreachable"
            in failed.value.message)
    assert ("the Service still selects the blue slot; the green slot was scaled down to 0"
            in failed.value.message)
    assert _selected(kube_api) == "blue"
    assert _replicas(kube_api, "api-green") == 0


def test_a_slot_that_never_gets_ready_is_never_switched_to(kube_api: FakeKubeAPI, cluster: Cluster) -> None:
    settings = prod(strategy="blue-green")
    deploy(cluster, RenderedManifests(settings), settings, V1, options(), Lines())
    kube_api.behave(V2.digest, ready=False)

    with pytest.raises(RolloutFailedError) as failed:
        deploy(cluster, RenderedManifests(settings), settings, V2, options(timeout=0.5), Lines())

    assert "failed on the green slot: timed out" in failed.value.message
    assert _selected(kube_api) == "blue"


def test_the_old_slot_is_scaled_down_by_the_first_run_after_its_time(kube_api: FakeKubeAPI,
                                                                     cluster: Cluster) -> None:
    settings = prod(strategy="blue-green")
    clock = MovableClock()
    deploy(cluster, RenderedManifests(settings), settings, V1, options(clock=clock), Lines())
    deploy(cluster, RenderedManifests(settings), settings, V2, options(clock=clock), Lines())

    assert housekeeping(cluster, RenderedManifests(settings), settings, options(clock=clock)) is None
    assert _replicas(kube_api, "api-blue") == 2

    clock.offset = datetime.timedelta(seconds=601)
    done = housekeeping(cluster, RenderedManifests(settings), settings, options(clock=clock))

    assert done is not None and done.startswith("scaled the old slot blue down to 0")
    assert _replicas(kube_api, "api-blue") == 0
    # Scaling down kept the slot's template: no new revision was made for it.
    assert kube_api.get("Deployment", "api-blue", "prod")["metadata"]["annotations"][
        "deployment.kubernetes.io/revision"] == "1"
    annotations = kube_api.get("Service", "api", "prod")["metadata"]["annotations"]
    assert KEEP_OLD_UNTIL not in annotations
    assert _selected(kube_api) == "green"


def test_wait_old_watches_the_new_slot_then_scales_the_old_one_down(kube_api: FakeKubeAPI,
                                                                    cluster: Cluster) -> None:
    settings = prod(strategy="blue-green", blue_green=BlueGreen(keep_old=0.3, smoke_paths=()))
    deploy(cluster, RenderedManifests(settings), settings, V1, options(), Lines())

    result = deploy(cluster, RenderedManifests(settings), settings, V2, options(wait_old=True), Lines())

    assert "scaled the old slot blue down to 0" in result.steps
    assert _replicas(kube_api, "api-blue") == 0
    assert _selected(kube_api) == "green"


def test_rollback_switches_back_at_once_while_the_old_slot_is_kept(kube_api: FakeKubeAPI,
                                                                   cluster: Cluster) -> None:
    settings = prod(strategy="blue-green")
    deploy(cluster, RenderedManifests(settings), settings, V1, options(), Lines())
    deploy(cluster, RenderedManifests(settings), settings, V2, options(), Lines())

    result = rollback(cluster, RenderedManifests(settings), settings, options(), Lines())

    assert (result.deployment, result.digest, _selected(kube_api)) == ("api-blue", V1.digest, "blue")
    assert kube_api.get("Service", "api", "prod")["metadata"]["annotations"][PREVIOUS_SLOT] == "green"


def test_rollback_scales_a_retired_slot_up_before_switching(kube_api: FakeKubeAPI, cluster: Cluster) -> None:
    settings = prod(strategy="blue-green", blue_green=BlueGreen(keep_old=0.1, smoke_paths=()))
    deploy(cluster, RenderedManifests(settings), settings, V1, options(), Lines())
    deploy(cluster, RenderedManifests(settings), settings, V2, options(wait_old=True), Lines())
    assert _replicas(kube_api, "api-blue") == 0

    result = rollback(cluster, RenderedManifests(settings), settings, options(), Lines())

    assert (result.digest, _selected(kube_api)) == (V1.digest, "blue")
    assert _replicas(kube_api, "api-blue") == 2
    assert container_image(kube_api.get("Deployment", "api-blue", "prod")) == V1.reference


def test_a_third_release_reuses_the_slot_the_first_ran_in(kube_api: FakeKubeAPI, cluster: Cluster) -> None:
    settings = prod(strategy="blue-green")
    for release in (V1, V2, V3):
        deploy(cluster, RenderedManifests(settings), settings, release, options(), Lines())

    assert _selected(kube_api) == "blue"
    assert container_image(kube_api.get("Deployment", "api-blue", "prod")) == V3.reference
    assert container_image(kube_api.get("Deployment", "api-green", "prod")) == V2.reference
    status = environment_status(cluster, settings)
    assert (status.deployment, status.digest, status.consistent) == ("api-blue", V3.digest, True)
    assert any("previous slot green" in note for note in status.notes)
