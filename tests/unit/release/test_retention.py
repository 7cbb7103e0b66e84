"""Retention planning and applying, on thousands of random repositories.

Each example is a random repository (tags over shared manifests, indexes listing manifests,
untagged manifests, SemVer and other names, cosign attachment tags, random push times) and
a random policy. The plan is checked against the rules, then applied to an in-memory
registry that deletes like distribution does (a manifest by digest, with every tag naming
it), and the registry is checked: exactly the kept tags remain, and no kept manifest is gone.
"""

from __future__ import annotations

import contextlib
import math
import random
from dataclasses import dataclass, replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.release.retention_model import Interrupted, ModelRegistry

from goship.oci import mediatypes
from goship.oci.digest import Digest
from goship.release.prune import RetentionRefused, apply_plan
from goship.release.retention import (
    DELETE,
    UNTAG,
    ManifestFacts,
    RepositoryState,
    RetentionPlan,
    matches,
    plan_retention,
    pointer_tags,
    select_policy,
)
from goship.release.settings import Environment, ReleaseSettings, RetentionPolicy

NOW = 1_700_000_000.0
DAY = 86_400.0
POINTERS = ("latest-dev", "latest-prod")
FAST = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MANY = settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def digest(number: int) -> Digest:
    return Digest("sha256", f"{number:064x}")


@dataclass
class Repo:
    tags: dict[str, Digest]
    facts: list[ManifestFacts]
    untagged_since: dict[Digest, float]

    def state(self) -> RepositoryState:
        tagged = set(self.tags.values())
        untagged = {item.digest: self.untagged_since.get(item.digest, NOW)
                    for item in self.facts if item.digest not in tagged}
        return RepositoryState("127.0.0.1:5000/team/app", dict(self.tags),
                               {item.digest: item for item in self.facts}, untagged)

    def registry(self) -> ModelRegistry:
        return ModelRegistry("127.0.0.1:5000/team/app", self.tags, self.facts,
                             self.untagged_since, now=NOW)


SEMVER_SUFFIXES = ["", "", "-rc.1", "-rc.2", "-alpha", "_build.5"]
OTHER_NAMES = ["latest", "main", "stable", "1.2", *POINTERS]


def random_tag(rng: random.Random) -> str:
    kind = rng.randrange(3)
    if kind == 0:
        return (f"{rng.choice(['', 'v'])}{rng.randrange(4)}.{rng.randrange(4)}.{rng.randrange(4)}"
                f"{rng.choice(SEMVER_SUFFIXES)}")
    if kind == 1:
        return rng.choice(OTHER_NAMES)
    return f"{rng.choice(['dev', 'feature', 'pr', 'nightly'])}-{rng.randrange(40):04x}"


def make_repo(seed: int, manifests: int, tag_count: int, attachments: int) -> Repo:
    """A random repository. Hypothesis draws the sizes (so a failure shrinks to a small
    one) and a seed for the rest: drawing every name and time through Hypothesis costs
    ten times as much, and thousands of examples must run in seconds."""
    rng = random.Random(seed)
    facts = []
    for number in range(manifests):
        children: tuple[Digest, ...] = ()
        if number >= 2 and rng.randrange(4) == 0:  # an index over earlier manifests
            children = tuple(sorted({digest(rng.randrange(number)) for _ in range(rng.randint(1, 3))}))
        created = None if rng.randrange(6) == 0 else NOW - rng.uniform(-60, 40 * DAY)
        media_type = mediatypes.OCI_INDEX if children else mediatypes.OCI_MANIFEST
        facts.append(ManifestFacts(digest(number), media_type, created, children))
    tags = {random_tag(rng): digest(rng.randrange(manifests)) for _ in range(tag_count)}
    for _ in range(attachments):  # cosign attachments of some manifest
        subject = digest(rng.randrange(manifests))
        tags[f"sha256-{subject.hex}.{rng.choice(['sig', 'att'])}"] = digest(rng.randrange(manifests))
    untagged = {item.digest: NOW - rng.uniform(0, 10 * DAY) for item in facts if rng.randrange(2)}
    return Repo(tags, facts, untagged)


def repositories() -> st.SearchStrategy[Repo]:
    return st.builds(make_repo, st.integers(0, 2**32 - 1), st.integers(1, 12), st.integers(0, 30),
                     st.integers(0, 3))


PATTERNS = ["latest-*", "re:v?1\\..*", "main", "v*.*.*", "re:.*-rc\\.[0-9]+", "stable", "dev-*"]


@st.composite
def policies(draw: st.DrawFn) -> RetentionPolicy:
    return RetentionPolicy(
        keep_newest=draw(st.one_of(st.none(), st.integers(0, 5))),
        keep_within=draw(st.one_of(st.none(), st.sampled_from([0.0, 3600.0, 3 * DAY, 30 * DAY]))),
        keep_tags=tuple(draw(st.lists(st.sampled_from(PATTERNS), max_size=2, unique=True))),
        protect=tuple(draw(st.lists(st.sampled_from(PATTERNS), max_size=2, unique=True))),
        keep_environment_pointers=draw(st.booleans()),
        untagged_after=draw(st.one_of(st.none(), st.sampled_from([0.0, DAY, 7 * DAY]))),
        max_deletions=draw(st.integers(0, 40)),
    )


def plan_for(repo: Repo, policy: RetentionPolicy, **options: object) -> RetentionPlan:
    return plan_retention(repo.state(), policy, now=NOW, pointers=POINTERS, **options)  # type: ignore[arg-type]


def uncapped(repo: Repo, policy: RetentionPolicy) -> RetentionPlan:
    return plan_for(repo, policy, allow_delete_all=True, max_deletions=10**6)


def check_plan_rules(repo: Repo, policy: RetentionPolicy, plan: RetentionPlan) -> None:
    decisions = {item.digest: item for item in plan.digests}
    kept = plan.kept_digests
    for tag, named in repo.tags.items():
        if any(matches(pattern, tag) for pattern in policy.protect):
            assert tag in plan.kept_tags, f"protected tag {tag} not kept"
        if policy.keep_environment_pointers and tag in POINTERS:
            assert tag in plan.kept_tags, f"pointer {tag} not kept"
        if tag in plan.kept_tags:
            assert named in kept, f"kept tag {tag}'s manifest is deleted"
    for item in repo.facts:
        if item.digest in kept:
            assert set(item.children) <= kept, "a kept index lists a deleted manifest"
    for operation in (*plan.operations, *plan.deferred):
        if operation.kind == DELETE:
            assert operation.digest not in kept
            assert not set(operation.tags) & plan.kept_tags
        else:
            assert operation.kind == UNTAG and operation.tag not in plan.kept_tags
            assert decisions[operation.digest].keep
    if plan.refusal:
        assert plan.operations == () and plan.deferred == ()
        assert repo.tags and not plan.kept_tags


def check_nothing_kept_lost(registry: ModelRegistry, plan: RetentionPlan) -> None:
    for tag in plan.kept_tags:
        named = next(item.digest for item in plan.tags if item.tag == tag)
        assert registry.tags.get(tag) == named, f"kept tag {tag} lost or moved"
    assert plan.kept_digests <= set(registry.facts), "a kept manifest was deleted"


@MANY
@given(repositories(), policies())
def test_plan_obeys_the_rules_and_applying_it_leaves_exactly_the_kept_tags(
        repo: Repo, policy: RetentionPolicy) -> None:
    plan = uncapped(repo, policy)
    check_plan_rules(repo, policy, plan)
    registry = repo.registry()
    apply_plan(plan, registry, run_id="run-1")
    check_nothing_kept_lost(registry, plan)
    assert set(registry.tags) == plan.kept_tags
    deleted = {item.digest for item in plan.digests if not item.keep}
    assert not deleted & set(registry.facts), "a manifest the plan deletes is still there"
    # every throwaway the untagging put up is gone again
    assert not any(item.throwaway for item in registry.facts.values())


@FAST
@given(repositories(), policies())
def test_capped_runs_never_exceed_the_cap_and_converge(repo: Repo, policy: RetentionPolicy) -> None:
    target = uncapped(repo, policy)
    cap = max(policy.max_deletions, 1)
    registry = repo.registry()
    total = len(target.operations)
    for _run in range(math.ceil(total / cap) + 2):
        plan = plan_retention(registry.read_state(), policy, now=NOW, pointers=POINTERS,
                              allow_delete_all=True, max_deletions=cap)
        assert len(plan.operations) <= cap
        assert plan.kept_tags == target.kept_tags  # re-planning after a partial run decides alike
        before = registry.deletes
        apply_plan(plan, registry, run_id=f"run-{_run}")
        assert registry.deletes - before <= cap + 1  # a DELETE per operation, and the run's probe
        check_nothing_kept_lost(registry, target)
        if not plan.deferred:
            break
    assert set(registry.tags) == target.kept_tags


@FAST
@given(repositories(), policies(), st.integers(1, 30), st.booleans())
def test_an_interrupted_prune_loses_nothing_and_the_next_run_finishes(
        repo: Repo, policy: RetentionPolicy, stop_after: int, mid_untag: bool) -> None:
    """Stopped after some operations, or in the middle of an untag (the tag moved to its
    throwaway, the throwaway not yet deleted): nothing kept is lost, and re-running plans
    from what is there and finishes the job."""
    target = uncapped(repo, policy)
    registry = repo.registry()
    heard: list[object] = []

    def interrupt(outcome: object) -> None:
        heard.append(outcome)
        if len(heard) >= stop_after:
            raise Interrupted("stop")

    if mid_untag:
        registry.crash_at_put = stop_after
    with contextlib.suppress(Interrupted):  # stop_after may be past the last operation
        apply_plan(target, registry, run_id="run-1", on_outcome=None if mid_untag else interrupt)
    registry.crash_at_put = 0
    check_nothing_kept_lost(registry, target)
    for run in range(2):  # a leftover throwaway tag is deleted by the next run like any other
        plan = plan_retention(registry.read_state(), policy, now=NOW, pointers=POINTERS,
                              allow_delete_all=True, max_deletions=10**6)
        assert plan.kept_tags == target.kept_tags
        apply_plan(plan, registry, run_id=f"run-{run + 2}")
        check_nothing_kept_lost(registry, target)
        assert set(registry.tags) == target.kept_tags
    assert not any(item.throwaway for item in registry.facts.values())


@FAST
@given(repositories(), policies())
def test_a_plan_deleting_every_tag_is_refused_without_the_flag(
        repo: Repo, policy: RetentionPolicy) -> None:
    plan = plan_for(repo, policy)
    everything = bool(repo.tags) and not uncapped(repo, policy).kept_tags
    assert bool(plan.refusal) == everything
    if everything:
        registry = repo.registry()
        with pytest.raises(RetentionRefused):
            apply_plan(plan, registry, run_id="run-1")
        assert registry.tags == repo.tags and registry.deletes == 0


# ------------------------------------------------------------------------ examples


def test_a_tag_sharing_a_kept_manifest_is_removed_without_losing_the_manifest() -> None:
    repo = Repo({"v1.0.0": digest(1), "dev-abc": digest(1), "dev-old": digest(2)},
                [ManifestFacts(digest(1), created=NOW - 10 * DAY),
                 ManifestFacts(digest(2), created=NOW - 10 * DAY)], {})
    plan = uncapped(repo, RetentionPolicy(protect=("v*.*.*",)))
    kinds = {(op.kind, op.tag or str(op.digest)) for op in plan.operations}
    assert kinds == {(UNTAG, "dev-abc"), (DELETE, str(digest(2)))}
    registry = repo.registry()
    apply_plan(plan, registry, run_id="run-1")
    assert registry.tags == {"v1.0.0": digest(1)}
    assert set(registry.facts) == {digest(1)}


def test_keep_newest_ranks_semver_by_version_and_other_tags_by_push_time() -> None:
    facts = [ManifestFacts(digest(n), created=NOW - n * DAY) for n in range(6)]
    tags = {"1.10.0": digest(5), "1.9.0": digest(0), "v2.0.0-rc.1": digest(1), "1.2.0": digest(1),
            "dev-new": digest(0), "dev-old": digest(4), "dev-mid": digest(2)}
    plan = uncapped(Repo(tags, facts, {}), RetentionPolicy(keep_newest=2))
    assert plan.kept_tags == {"v2.0.0-rc.1", "1.10.0", "dev-new", "dev-mid"}
    rules = {item.tag: item.detail for item in plan.tags if item.keep}
    assert rules["v2.0.0-rc.1"] == "#1 of 2 by version"
    assert rules["dev-mid"] == "#2 of 2 by push time"


def test_children_of_a_kept_index_stay_and_of_a_deleted_one_go_after_it() -> None:
    facts = [ManifestFacts(digest(1), created=NOW - 9 * DAY),
             ManifestFacts(digest(2), created=NOW - 9 * DAY),
             ManifestFacts(digest(3), mediatypes.OCI_INDEX, NOW - 9 * DAY, (digest(1),)),
             ManifestFacts(digest(4), mediatypes.OCI_INDEX, NOW - 9 * DAY, (digest(2),))]
    repo = Repo({"v1.0.0": digest(3), "old": digest(4)}, facts, {})
    plan = uncapped(repo, RetentionPolicy(protect=("v*",), untagged_after=0))
    assert plan.kept_digests == {digest(1), digest(3)}
    order = [op.digest for op in plan.operations]
    assert order.index(digest(4)) < order.index(digest(2))
    waiting = uncapped(repo, RetentionPolicy(protect=("v*",), untagged_after=DAY))
    assert {op.digest for op in waiting.operations} == {digest(4)}  # its child waits a day


def test_untagged_manifests_go_after_untagged_after_and_never_without_it() -> None:
    facts = [ManifestFacts(digest(1)), ManifestFacts(digest(2)), ManifestFacts(digest(3))]
    repo = Repo({"keep": digest(1)}, facts, {digest(2): NOW - 2 * DAY, digest(3): NOW - 3600})
    plan = uncapped(repo, RetentionPolicy(keep_tags=("keep",), untagged_after=DAY))
    assert {op.digest for op in plan.operations} == {digest(2)}
    assert not uncapped(repo, RetentionPolicy(keep_tags=("keep",))).operations


def test_attachment_tags_follow_the_manifest_they_sign() -> None:
    facts = [ManifestFacts(digest(n), created=NOW - 30 * DAY) for n in range(4)]
    tags = {"v1.0.0": digest(0), f"sha256-{digest(0).hex}.sig": digest(1),
            "dev-x": digest(2), f"sha256-{digest(2).hex}.sig": digest(3)}
    plan = uncapped(Repo(tags, facts, {}), RetentionPolicy(protect=("v*",), keep_tags=("dev-*",)))
    assert plan.kept_tags == set(tags)
    rule = {item.tag: item.rule for item in plan.tags}
    assert rule[f"sha256-{digest(2).hex}.sig"] == "attached"
    # keep-newest does not count attachments: dev-x is the newest by push time, alone
    plan = uncapped(Repo(tags, facts, {}), RetentionPolicy(protect=("v*",), keep_newest=1))
    assert plan.kept_tags == set(tags)
    plan = uncapped(Repo(tags, facts, {}), RetentionPolicy(protect=("v*",)))
    rule = {item.tag: item.rule for item in plan.tags}
    assert rule[f"sha256-{digest(2).hex}.sig"] == "attached-to-deleted"
    assert plan.kept_tags == {"v1.0.0", f"sha256-{digest(0).hex}.sig"}


def test_unknown_age_is_kept_by_keep_within_and_the_cap_defers_the_rest() -> None:
    facts = [ManifestFacts(digest(n), created=None if n == 0 else NOW - 10 * DAY) for n in range(6)]
    tags = {f"dev-{n}": digest(n) for n in range(6)}
    plan = plan_for(Repo(tags, facts, {}), RetentionPolicy(keep_within=DAY, max_deletions=2))
    assert plan.kept_tags == {"dev-0"}
    assert len(plan.operations) == 2 and len(plan.deferred) == 3


def test_pointer_tags_are_the_templates_without_per_build_placeholders() -> None:
    release = ReleaseSettings(environments={
        "dev": Environment("dev", tags=("dev-{short_commit}", "latest-{env}")),
        "prod": Environment("prod", tags=("{version}", "latest-{env}", "stable", "{major}.{minor}"))})
    assert pointer_tags(release) == ("latest-dev", "latest-prod", "stable")


def test_the_first_matching_policy_applies() -> None:
    first = RetentionPolicy(repository="*/app-dev", keep_newest=1)
    second = RetentionPolicy(repository="*", keep_newest=9)
    assert select_policy([first, second], "127.0.0.1:5000/team/app-dev") is first
    assert select_policy([first, second], "127.0.0.1:5000/team/app") is second
    assert select_policy([first], "127.0.0.1:5000/team/app") is None


def test_the_plan_hash_changes_with_the_decisions() -> None:
    repo = Repo({"a": digest(1), "b": digest(2)},
                [ManifestFacts(digest(1), created=NOW), ManifestFacts(digest(2), created=NOW - 9 * DAY)], {})
    one = uncapped(repo, RetentionPolicy(keep_within=DAY))
    assert one.digest_of_plan() == uncapped(repo, RetentionPolicy(keep_within=DAY)).digest_of_plan()
    assert one.digest_of_plan() != uncapped(repo, RetentionPolicy(keep_within=30 * DAY)).digest_of_plan()
    assert replace(one, refusal="x").digest_of_plan() != one.digest_of_plan()
