"""Which revision a rollback goes to, and the template it restores."""

from __future__ import annotations

import pytest

from goship.deploy.kube import DeployError
from goship.deploy.rollout.history import Revision, target_revision
from goship.deploy.rollout.objects import replica_set_template


def _history(*numbers: int) -> list[Revision]:
    return [Revision(number, f"api-{number}", f"registry.example.com/api@sha256:{number:064d}", "", 0, "", {})
            for number in numbers]


def test_without_a_revision_the_newest_before_the_current_one_is_chosen() -> None:
    assert target_revision(_history(3, 5, 6), 6, 0, "api").number == 5


def test_after_a_rollback_the_previous_revision_is_the_one_rolled_back_from() -> None:
    # 2 was rolled back to and became 4: the one before it is 3.
    assert target_revision(_history(1, 3, 4), 4, 0, "api").number == 3


def test_a_named_revision_is_chosen_when_it_exists() -> None:
    assert target_revision(_history(1, 2, 3), 3, 1, "api").number == 1


def test_an_unknown_revision_lists_the_known_ones() -> None:
    with pytest.raises(DeployError) as unknown:
        target_revision(_history(1, 2), 2, 9, "api")

    assert unknown.value.message == "Deployment api has no revision 9 (revisions: 1, 2)"


def test_a_single_revision_has_nothing_before_it() -> None:
    with pytest.raises(DeployError) as nothing:
        target_revision(_history(1), 1, 0, "api")

    assert "no earlier revision to roll back to (revisions: 1)" in nothing.value.message


def test_the_restored_template_drops_only_the_pod_template_hash() -> None:
    replica_set = {"spec": {"template": {"metadata": {"labels": {"app.kubernetes.io/name": "api",
                                                                 "pod-template-hash": "5d8f9c"}},
                                         "spec": {"containers": [{"name": "api", "image": "x"}]}}}}

    template = replica_set_template(replica_set)

    assert template == {"metadata": {"labels": {"app.kubernetes.io/name": "api"}},
                        "spec": {"containers": [{"name": "api", "image": "x"}]}}
    assert replica_set["spec"]["template"]["metadata"]["labels"]["pod-template-hash"] == "5d8f9c"
