"""Property tests: generated histories (commit types, breaking flags, prerelease tags) planned
by goship and by a separate model written with plain integer tuples."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.release.histories import make_history

from goship.release.settings import ReleaseSettings
from goship.versioning.commits import History, Tag
from goship.versioning.versions import Version, plan_version

TYPES = ("feat", "fix", "perf", "revert", "docs", "chore", "refactor", "ci", "test", "build", None)
Triple = tuple[int, int, int]
triples = st.tuples(st.integers(0, 3), st.integers(0, 4), st.integers(0, 4))


@dataclass(frozen=True)
class Case:
    current: Triple | None
    commits: tuple[tuple[str | None, str], ...]  # (type, "none" | "bang" | "footer"), oldest first
    prereleases: tuple[tuple[Triple, int, bool], ...]  # (version, rc number, merged)
    dirty: bool
    zero_major: str

    def messages(self) -> list[str]:
        result = []
        for number, (kind, breaking) in enumerate(self.commits):
            if kind is None:
                result.append(f"update things {number}")
            elif breaking == "bang":
                result.append(f"{kind}(core)!: change {number}")
            elif breaking == "footer":
                result.append(f"{kind}: change {number}\n\nBREAKING CHANGE: it breaks")
            else:
                result.append(f"{kind}: change {number}")
        return result

    def history(self) -> History:
        tags = []
        for (major, minor, patch), number, merged in self.prereleases:
            name = f"v{major}.{minor}.{patch}-rc.{number}"
            tags.append(Tag(name, Version.parse(name[1:]), "e" * 40, merged))
        current = ".".join(map(str, self.current)) if self.current else None
        return make_history(current, self.messages(), tags=tags, dirty=self.dirty)

    def settings(self) -> ReleaseSettings:
        return ReleaseSettings(zero_major_breaking=self.zero_major)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    current = draw(st.none() | triples)
    # Short lists, mostly not breaking: so that every kind is often the largest one.
    breaking = st.sampled_from(("none", "none", "none", "none", "bang", "footer"))
    commits = draw(st.lists(st.tuples(st.sampled_from(TYPES), breaking),
                            min_size=1 if current is None else 0, max_size=4))
    prereleases = draw(st.lists(st.tuples(triples, st.integers(1, 4), st.booleans()), max_size=4,
                                unique_by=lambda item: (item[0], item[1])))  # one tag per name
    return Case(current, tuple(commits), tuple(prereleases), draw(st.booleans()),
                draw(st.sampled_from(("minor", "major"))))


# The model: what the issue says, in integers.
RANK = {"patch": 1, "minor": 2, "major": 3}


def model_rank(case: Case) -> int:
    rank = 0
    for kind, breaking in case.commits:
        if kind is None:
            continue  # not conventional: no footer or "!" counts either
        if breaking != "none":
            rank = max(rank, 3)
        elif kind == "feat":
            rank = max(rank, 2)
        elif kind in ("fix", "perf", "revert"):
            rank = max(rank, 1)
    return rank


def model_effective_rank(case: Case) -> int:
    rank = model_rank(case)
    if rank == 3 and case.current is not None and case.current[0] == 0 and case.zero_major == "minor":
        return 2
    return rank


def model_from_commits(case: Case) -> Triple:
    if case.current is None:
        return (0, 1, 0)
    major, minor, patch = case.current
    return {3: (major + 1, 0, 0), 2: (major, minor + 1, 0), 1: (major, minor, patch + 1),
            0: (major, minor, patch)}[model_effective_rank(case)]


def model_next(case: Case) -> Triple:
    """The commits' version, or the release of a prerelease tagged above it since."""
    promised = [version for version, _, merged in case.prereleases
                if merged and (case.current is None or version > case.current)]
    return max([model_from_commits(case), *promised])


def triple(version: Version) -> Triple:
    return (version.major, version.minor, version.patch)


@settings(max_examples=200, deadline=None)
@given(cases())
def test_next_matches_the_model_and_never_goes_back(case: Case) -> None:
    plan = plan_version(case.history(), case.settings())
    assert triple(plan.next) == model_next(case)
    assert plan.next.prerelease is None
    if plan.current is not None:
        assert triple(plan.current) == case.current
        assert plan.next >= plan.current
        assert (plan.next > plan.current) == (plan.bump is not None) == plan.releasable
    for tag in plan.history.merged_tags:
        assert plan.next >= tag.version


@settings(max_examples=200, deadline=None)
@given(cases())
def test_bump_is_the_largest_commit_kind(case: Case) -> None:
    plan = plan_version(case.history(), case.settings())
    if case.current is None:
        assert plan.bump is None  # a first release is initial-version, not a bump
        return
    target = model_next(case)
    if target == model_from_commits(case):
        assert RANK.get(plan.bump or "", 0) == model_effective_rank(case)
    else:  # a prerelease line decided: the bump names how far it is from the current version
        differs = next(index for index in range(3) if target[index] != case.current[index])
        assert plan.bump == ("major", "minor", "patch")[differs]


@settings(max_examples=200, deadline=None)
@given(cases(), st.sampled_from(("rc", "beta")), st.booleans())
def test_prerelease_numbers_only_go_up(case: Case, label: str, merged: bool) -> None:
    history = case.history()
    first = plan_version(history, case.settings(), pre=label)
    release = plan_version(history, case.settings()).next
    assert first.next.prerelease is not None and first.next.prerelease.startswith(f"{label}.")
    assert first.next < (release if release != first.current else first.next.finalize_version())
    existing = [tag.version for tag in history.tags if tag.version.finalize_version() ==
                first.next.finalize_version() and str(tag.version.prerelease).startswith(f"{label}.")]
    assert all(first.next > version for version in existing)
    # Tag it (on this branch or another) and ask again: the number goes up by one.
    tagged = Tag(f"v{first.next}", first.next, "d" * 40, merged)
    again = plan_version(History(**{**history.__dict__, "tags": (tagged, *history.tags)}),
                         case.settings(), pre=label)
    number = int(str(first.next.prerelease).split(".")[1])
    assert again.next.prerelease == f"{label}.{number + 1}"
    assert again.next.finalize_version() == first.next.finalize_version()


@settings(max_examples=200, deadline=None)
@given(cases())
def test_a_snapshot_sorts_between_the_current_and_the_next_release(case: Case) -> None:
    plan = plan_version(case.history(), case.settings())
    at_tag = not case.commits and not case.dirty
    if at_tag:
        assert plan.snapshot == plan.current
        return
    assert plan.snapshot.prerelease == f"dev.{len(case.commits)}"
    assert plan.snapshot.build == plan.history.short_commit + (".dirty" if case.dirty else "")
    if plan.current is not None:
        assert plan.current < plan.snapshot
    upper = plan.next if plan.releasable else Version(*triple(plan.next)).bump_patch()
    assert plan.snapshot < upper
