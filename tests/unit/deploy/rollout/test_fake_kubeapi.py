"""The fake API server's server-side apply behaves as the real one does where the rollout
tests depend on it: conflicts only over changed fields another manager owns, fields an
applier stops sending removed unless someone else owns them, generation bumped by spec
changes only, a new resourceVersion on every write."""

from __future__ import annotations

from typing import Any

import pytest
from tests.fixtures.kubeapi_store import KIND_BY_NAME, ApiFailure, Store

DEPLOYMENT = KIND_BY_NAME["Deployment"]


def _deployment(replicas: int = 2, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "api", "labels": {"app": "api", **labels}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "api"}},
                     "template": {"metadata": {"labels": {"app": "api"}},
                                  "spec": {"containers": [{"name": "api",
                                                           "image": "registry.example.com/api:1"}]}}}}


def test_an_apply_changing_another_managers_field_conflicts_unless_forced() -> None:
    store = Store()
    store.apply(DEPLOYMENT, "default", "api", _deployment(), "goship", False)
    store.set_replicas(DEPLOYMENT, "default", "api", 5, "kubectl-scale")

    with pytest.raises(ApiFailure) as conflict:
        store.apply(DEPLOYMENT, "default", "api", _deployment(), "goship", False)
    assert conflict.value.code == 409
    assert conflict.value.body["message"] == ('Apply failed with 1 conflict: conflict with "kubectl-scale" '
                                              "using apps/v1: .spec.replicas")

    applied, _ = store.apply(DEPLOYMENT, "default", "api", _deployment(), "goship", True)
    assert applied["spec"]["replicas"] == 2
    managers = {entry["manager"] for entry in applied["metadata"]["managedFields"]}
    assert managers == {"goship"}


def test_the_same_value_is_shared_without_conflict() -> None:
    store = Store()
    store.apply(DEPLOYMENT, "default", "api", _deployment(), "goship", False)
    store.apply(DEPLOYMENT, "default", "api", _deployment(), "argocd", False)

    applied, _ = store.apply(DEPLOYMENT, "default", "api", _deployment(team="shop"), "goship", False)

    owners = {entry["manager"] for entry in applied["metadata"]["managedFields"]
              if "f:replicas" in entry["fieldsV1"]["f:spec"]}
    assert owners == {"goship", "argocd"}


def test_a_field_the_applier_stops_sending_goes_unless_another_manager_owns_it() -> None:
    store = Store()
    store.apply(DEPLOYMENT, "default", "api", _deployment(team="shop", tier="web"), "goship", False)
    store.apply(DEPLOYMENT, "default", "api", {**_deployment(), "metadata": {
        "name": "api", "labels": {"app": "api", "tier": "web"}}}, "argocd", False)

    applied, _ = store.apply(DEPLOYMENT, "default", "api", _deployment(), "goship", False)

    assert applied["metadata"]["labels"] == {"app": "api", "tier": "web"}


def test_generation_follows_the_spec_and_resource_version_every_write() -> None:
    store = Store()
    first, created = store.apply(DEPLOYMENT, "default", "api", _deployment(), "goship", False)
    labelled, _ = store.apply(DEPLOYMENT, "default", "api", _deployment(team="shop"), "goship", False)
    scaled, _ = store.apply(DEPLOYMENT, "default", "api", _deployment(3, team="shop"), "goship", False)

    assert created
    assert [item["metadata"]["generation"] for item in (first, labelled, scaled)] == [1, 1, 2]
    versions = [int(item["metadata"]["resourceVersion"]) for item in (first, labelled, scaled)]
    assert versions == sorted(set(versions))


def test_a_changed_selector_is_rejected_as_the_api_does() -> None:
    store = Store()
    store.apply(DEPLOYMENT, "default", "api", _deployment(), "goship", False)
    changed = _deployment()
    changed["spec"]["selector"]["matchLabels"]["slot"] = "blue"
    changed["spec"]["template"]["metadata"]["labels"]["slot"] = "blue"

    with pytest.raises(ApiFailure) as invalid:
        store.apply(DEPLOYMENT, "default", "api", changed, "goship", False)

    assert invalid.value.code == 422
    assert "spec.selector: Invalid value" in invalid.value.body["message"]
    assert "field is immutable" in invalid.value.body["message"]
