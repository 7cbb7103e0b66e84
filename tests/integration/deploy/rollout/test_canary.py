"""The canary strategy against the fake Kubernetes API server: weight steps by replica ratio,
promotion of the stable Deployment, a failing canary scaled to 0, and Istio weights."""

from __future__ import annotations

import pytest
from tests.fixtures.kubeapi import FakeKubeAPI
from tests.integration.deploy.rollout.rollout_setup import (
    V1,
    V2,
    Lines,
    Recording,
    container_image,
    options,
    prod,
)

from goship.deploy.kube import Cluster
from goship.deploy.rollout import RenderedManifests, RolloutFailedError, deploy, environment_status, rollback
from goship.deploy.settings import Canary

pytestmark = pytest.mark.integration


def _canary_replicas(recording: Recording) -> list[int]:
    return [obj["spec"]["replicas"] for obj in recording.applied
            if obj["kind"] == "Deployment" and obj["metadata"]["name"] == "api-canary"]


def test_the_canary_steps_up_then_the_stable_deployment_is_promoted(kube_api: FakeKubeAPI,
                                                                    cluster: Cluster) -> None:
    settings = prod(strategy="canary", replicas=4, canary=Canary(steps=(20, 50, 100), pause=0.1))
    first = deploy(cluster, RenderedManifests(settings), settings, V1, options(), Lines())
    assert "first release went out as a rolling update" in first.notes[0]
    recording = Recording(cluster)

    result = deploy(recording, RenderedManifests(settings), settings, V2, options(), Lines())

    # 20%: 1 canary beside 4 stable pods; 50%: as many canary pods as stable ones; then 0.
    assert _canary_replicas(recording) == [1, 4, 0]
    assert result.steps[-4:-2] == ("step 20%: 1 canary and 4 stable pods, ≈20% of requests",
                                   "step 50%: 4 canary and 4 stable pods, ≈50% of requests")
    assert container_image(kube_api.get("Deployment", "api", "prod")) == V2.reference
    assert kube_api.get("Deployment", "api-canary", "prod")["spec"]["replicas"] == 0
    kube_api.reconcile()
    assert kube_api.list("Pod", "prod", "goship.dev/slot=canary") == []
    # The stable Deployment never lost capacity while the canary ran.
    assert all(obj["spec"].get("replicas", 4) == 4 for obj in recording.applied
               if obj["kind"] == "Deployment" and obj["metadata"]["name"] == "api")
    status = environment_status(cluster, settings)
    assert (status.digest, status.consistent) == (V2.digest, True)


def test_a_canary_that_fails_its_gate_is_scaled_to_zero_and_stable_is_untouched(kube_api: FakeKubeAPI,
                                                                               cluster: Cluster) -> None:
    settings = prod(strategy="canary")
    deploy(cluster, RenderedManifests(settings), settings, V1, options(), Lines())
    kube_api.behave(V2.digest, ready=False)

    with pytest.raises(RolloutFailedError) as failed:
        deploy(cluster, RenderedManifests(settings), settings, V2, options(timeout=0.5), Lines())

    assert "the canary of " + V2.digest + " failed at the 25% step: timed out" in failed.value.message
    assert f"the canary was scaled to 0; api still runs {V1.reference}" in failed.value.message
    assert kube_api.get("Deployment", "api-canary", "prod")["spec"]["replicas"] == 0
    assert container_image(kube_api.get("Deployment", "api", "prod")) == V1.reference


def test_status_and_rollback_see_a_canary_left_running(kube_api: FakeKubeAPI, cluster: Cluster) -> None:
    settings = prod(strategy="canary")
    manifests = RenderedManifests(settings)
    deploy(cluster, manifests, settings, V1, options(), Lines())
    cluster.apply(manifests.deployment(V2.reference, name="api-canary", slot="canary", replicas=1))
    kube_api.reconcile(3)

    status = environment_status(cluster, settings)
    assert not status.consistent
    assert "the canary api-canary serves " + V2.reference in status.problems[0]

    result = rollback(cluster, manifests, settings, options(), Lines())

    assert result.steps == ("scaled the canary api-canary (" + V2.reference + ") to 0",)
    assert kube_api.get("Deployment", "api-canary", "prod")["spec"]["replicas"] == 0
    kube_api.reconcile(2)
    assert environment_status(cluster, settings).consistent


def test_with_istio_the_virtual_service_carries_each_weight(kube_api: FakeKubeAPI, cluster: Cluster) -> None:
    settings = prod(strategy="canary", replicas=4, canary=Canary(steps=(10, 50, 100), pause=0.05, istio=True))
    deploy(cluster, RenderedManifests(settings), settings, V1, options(), Lines())
    recording = Recording(cluster)

    deploy(recording, RenderedManifests(settings), settings, V2, options(), Lines())

    weights = [{route["destination"]["subset"]: route["weight"] for route in obj["spec"]["http"][0]["route"]}
               for obj in recording.applied if obj["kind"] == "VirtualService"]
    assert weights == [{"stable": 100, "canary": 0}, {"stable": 90, "canary": 10},
                       {"stable": 50, "canary": 50}, {"stable": 100, "canary": 0}]
    # With exact weights the canary needs only its share of pods: 10% and 50% of 4.
    assert _canary_replicas(recording) == [1, 2, 0]
    subsets = kube_api.store.get(_istio("DestinationRule"), "prod", "api")["spec"]["subsets"]
    assert {subset["name"]: subset["labels"] for subset in subsets} == {
        "stable": {"goship.dev/slot": "stable"}, "canary": {"goship.dev/slot": "canary"}}
    assert container_image(kube_api.get("Deployment", "api", "prod")) == V2.reference


def _istio(kind: str):
    from tests.fixtures.kubeapi_store import KIND_BY_NAME

    return KIND_BY_NAME[kind]
