"""How many canary pods a weight step gets, and the share of requests that gives them."""

from __future__ import annotations

import pytest

from goship.deploy.rollout.canary import canary_replicas, traffic_share


@pytest.mark.parametrize(("weight", "stable", "canary"), [
    (10, 9, 1),  # 1 of 10 pods
    (20, 4, 1),  # 1 of 5
    (25, 6, 2),  # 2 of 8
    (50, 4, 4),  # an even split
    (90, 4, 4),  # never more canary pods than stable ones
    (1, 2, 1),  # at least one
])
def test_without_a_mesh_the_pod_share_approximates_the_weight(weight: int, stable: int, canary: int) -> None:
    assert canary_replicas(weight, stable) == canary


def test_the_share_is_never_far_from_a_reachable_weight() -> None:
    for stable in range(1, 21):
        for weight in range(5, 50, 5):
            canary = canary_replicas(weight, stable)
            best = min(abs(traffic_share(count, stable) - weight / 100) for count in range(1, stable + 1))
            assert abs(traffic_share(canary, stable) - weight / 100) <= best + 1e-9


@pytest.mark.parametrize(("weight", "stable", "canary"), [(10, 4, 1), (50, 4, 2), (75, 4, 3), (10, 20, 2)])
def test_with_istio_the_canary_gets_enough_pods_for_its_share(weight: int, stable: int, canary: int) -> None:
    assert canary_replicas(weight, stable, istio=True) == canary
