"""``judge`` decides as `kubectl rollout status` does (DeploymentStatusViewer)."""

from __future__ import annotations

from typing import Any

import pytest

from goship.deploy.rollout.gates import judge


def _deployment(*, generation: int = 2, observed: int = 2, replicas: int = 3, updated: int = 3,
                total: int = 3, available: int = 3,
                progressing: str = "NewReplicaSetAvailable") -> dict[str, Any]:
    return {"metadata": {"name": "api", "generation": generation},
            "spec": {"replicas": replicas, "progressDeadlineSeconds": 120},
            "status": {"observedGeneration": observed, "updatedReplicas": updated, "replicas": total,
                       "availableReplicas": available,
                       "conditions": [{"type": "Progressing", "status": "True", "reason": progressing}]}}


@pytest.mark.parametrize(("changes", "message"), [
    ({"observed": 1}, "waiting for the Deployment's new spec to be observed"),
    ({"updated": 1, "total": 4}, "1 out of 3 new replicas have been updated"),
    ({"total": 5}, "2 old replicas are pending termination"),
    ({"available": 2}, "2 of 3 updated replicas are available"),
])
def test_a_rollout_under_way_says_what_it_waits_for(changes: dict[str, int], message: str) -> None:
    verdict = judge(_deployment(**changes))

    assert (verdict.done, verdict.failed, verdict.message) == (False, False, message)


def test_a_finished_rollout_is_done() -> None:
    verdict = judge(_deployment())

    assert (verdict.done, verdict.failed) == (True, False)


def test_an_exceeded_progress_deadline_is_a_failure_even_with_pods_available() -> None:
    verdict = judge(_deployment(updated=1, progressing="ProgressDeadlineExceeded"))

    assert (verdict.done, verdict.failed) == (False, True)
    assert verdict.message == "Deployment api exceeded its progress deadline (120s without progress)"


def test_an_old_condition_does_not_count_before_the_new_spec_is_observed() -> None:
    verdict = judge(_deployment(observed=1, progressing="ProgressDeadlineExceeded"))

    assert not verdict.failed


def test_a_deployment_without_replicas_means_one() -> None:
    deployment = _deployment(updated=0, total=0, available=0)
    del deployment["spec"]["replicas"]

    assert judge(deployment).message == "0 out of 1 new replicas have been updated"
