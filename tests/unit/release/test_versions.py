"""Tags, bumps and version plans on in-memory histories."""

from __future__ import annotations

import pytest
from tests.unit.release.histories import RELEASE_COMMIT, make_history, tag

from goship.errors import ConfigError, ExitCode, UsageError
from goship.release.settings import ReleaseSettings
from goship.versioning.versions import Version, bump, parse_tag, plan_version, tag_name, tag_problem

DEFAULTS = ReleaseSettings()


@pytest.mark.parametrize(
    ("name", "prefix", "expected"),
    [
        ("v1.2.3", "v", "1.2.3"),
        ("v1.3.0-rc.1", "v", "1.3.0-rc.1"),
        ("v1.3.0+build.5", "v", "1.3.0+build.5"),
        ("1.2.3", "", "1.2.3"),
        ("api/v0.4.0", "api/v", "0.4.0"),
        ("1.2.3", "v", None),
        ("v1.2", "v", None),
        ("v1.2.3.4", "v", None),
        ("v01.2.3", "v", None),
        ("vv1.2.3", "v", None),
        ("v1.2.3-", "v", None),
        ("latest", "v", None),
    ],
)
def test_parse_tag(name: str, prefix: str, expected: str | None) -> None:
    version = parse_tag(name, prefix)
    assert (str(version) if version else None) == expected
    assert (tag_problem(name, prefix) is None) == (expected is not None)


def test_tag_problems_say_how_to_fix_the_tag() -> None:
    assert tag_problem("v1.2", "v") == "'1.2' is not SemVer: it needs MAJOR.MINOR.PATCH (write v1.2.0)"
    assert "four numbers" not in (tag_problem("v1.2.3.4", "v") or "")
    assert "4 numbers" in (tag_problem("v1.2.3.4", "v") or "")
    assert "second 'v'" in (tag_problem("vv1.2.3", "v") or "")
    assert "prefix 'v'" in (tag_problem("release-1", "v") or "")


def test_tag_names_leave_build_metadata_out() -> None:
    assert tag_name(Version.parse("1.3.0-rc.1+ci.4"), "v") == "v1.3.0-rc.1"


@pytest.mark.parametrize(
    ("current", "kind", "expected"),
    [("1.2.3", "patch", "1.2.4"), ("1.2.3", "minor", "1.3.0"), ("1.2.3", "major", "2.0.0"),
     ("0.9.9", "major", "1.0.0"), ("1.3.0-rc.1", "minor", "1.3.0"), ("1.2.3+meta", "patch", "1.2.4")],
)
def test_bump(current: str, kind: str, expected: str) -> None:
    assert str(bump(Version.parse(current), kind)) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("messages", "expected", "kind"),
    [
        (["docs: readme", "chore: deps"], "1.2.0", None),
        (["fix: a"], "1.2.1", "patch"),
        (["perf: faster"], "1.2.1", "patch"),
        (["fix: a", "feat: b", "fix: c"], "1.3.0", "minor"),
        (["feat: b", "chore!: drop go 1.20"], "2.0.0", "major"),
        (["docs: x\n\nBREAKING CHANGE: the docs moved"], "2.0.0", "major"),
        (["Merge branch 'x'", "wip"], "1.2.0", None),
    ],
)
def test_the_largest_change_decides(messages: list[str], expected: str, kind: str | None) -> None:
    plan = plan_version(make_history("1.2.0", messages), DEFAULTS)
    assert (str(plan.next), plan.bump) == (expected, kind)
    assert plan.releasable == (kind is not None)


def test_forced_bump_replaces_the_commits_verdict() -> None:
    history = make_history("1.2.0", ["chore: deps"])
    assert str(plan_version(history, DEFAULTS, force_bump="patch").next) == "1.2.1"
    history = make_history("0.3.0", ["feat!: x"])
    # Forced means forced: the below-1.0.0 rule is for what the commits ask.
    assert str(plan_version(history, DEFAULTS, force_bump="major").next) == "1.0.0"


def test_a_prerelease_line_already_tagged_is_continued() -> None:
    # v2.0.0-rc.1 was tagged (by hand) after v1.2.0; a fix now must not drop to 1.2.1.
    history = make_history("1.2.0", ["fix: a"], tags=[tag("v2.0.0-rc.1")])
    plan = plan_version(history, DEFAULTS)
    assert (str(plan.next), plan.bump) == ("2.0.0", "major")
    assert str(plan_version(history, DEFAULTS, pre="rc").next) == "2.0.0-rc.2"


def test_a_prerelease_with_nothing_to_release_previews_the_next_patch() -> None:
    plan = plan_version(make_history("1.2.0", []), DEFAULTS, pre="rc")
    assert str(plan.next) == "1.2.1-rc.1"


def test_prerelease_numbers_are_per_label_and_per_version() -> None:
    tags = [tag("v1.3.0-rc.1"), tag("v1.3.0-rc.9", merged=False), tag("v1.3.0-beta.2"),
            tag("v1.4.0-rc.5", merged=False), tag("v1.3.0-rc")]
    history = make_history("1.2.0", ["feat: a"], tags=tags)
    assert str(plan_version(history, DEFAULTS, pre="rc").next) == "1.3.0-rc.10"
    assert str(plan_version(history, DEFAULTS, pre="beta").next) == "1.3.0-beta.3"
    assert str(plan_version(history, DEFAULTS, pre="alpha").next) == "1.3.0-alpha.1"


def test_first_release_with_prereleases_tagged() -> None:
    history = make_history(None, ["feat: a"], tags=[tag("v0.1.0-rc.1", commit="1" * 40)])
    assert str(plan_version(history, DEFAULTS, pre="rc").next) == "0.1.0-rc.2"
    assert str(plan_version(history, DEFAULTS).next) == "0.1.0"


def test_snapshot_at_a_tagged_clean_head_is_the_tag() -> None:
    history = make_history("1.2.0", [])
    assert history.head_commit == RELEASE_COMMIT
    assert str(plan_version(history, DEFAULTS).snapshot) == "1.2.0"
    dirty = make_history("1.2.0", [], dirty=True)
    assert str(plan_version(dirty, DEFAULTS).snapshot) == "1.2.1-dev.0+fffffff.dirty"


def test_snapshot_of_a_head_at_a_prerelease_tag_is_the_prerelease() -> None:
    history = make_history("1.2.0", ["feat: a"])
    history = make_history("1.2.0", ["feat: a"], tags=[tag("v1.3.0-rc.1", commit=history.head_commit)])
    assert str(plan_version(history, DEFAULTS).snapshot) == "1.3.0-rc.1"


def test_build_metadata_is_added_and_does_not_change_precedence() -> None:
    plan = plan_version(make_history("1.2.0", ["fix: a"]), DEFAULTS, build="ci.42")
    assert str(plan.next) == "1.2.1+ci.42" and plan.next == Version.parse("1.2.1")
    assert plan.as_json()["next_tag"] == "v1.2.1"


@pytest.mark.parametrize(("pre", "build"), [("r c", None), ("1rc", None), ("rc.1", None), ("", None),
                                             (None, "a..b"), (None, "ci_1"), (None, "")])
def test_bad_prerelease_or_build_is_a_usage_error(pre: str | None, build: str | None) -> None:
    with pytest.raises(UsageError) as caught:
        plan_version(make_history("1.2.0", ["fix: a"]), DEFAULTS, pre=pre, build=build)
    assert caught.value.exit_code == ExitCode.USAGE and caught.value.hint


@pytest.mark.parametrize("settings", [ReleaseSettings(initial_version="1.0"),
                                      ReleaseSettings(initial_version="1.0.0-rc.1"),
                                      ReleaseSettings(zero_major_breaking="patch")])
def test_bad_settings_are_config_errors(settings: ReleaseSettings) -> None:
    with pytest.raises(ConfigError):
        plan_version(make_history(None, ["feat: a"]), settings)


def test_json_has_every_part() -> None:
    history = make_history("1.2.0", ["fix(api): a", "feat!: b\n\nBREAKING CHANGE: gone"])
    document = plan_version(history, DEFAULTS).as_json()
    assert {key: document[key] for key in ("current", "next", "bump", "current_tag", "next_tag",
                                            "branch", "dirty")} == {
        "current": "1.2.0", "next": "2.0.0", "bump": "major", "current_tag": "v1.2.0",
        "next_tag": "v2.0.0", "branch": "main", "dirty": False}
    assert document["snapshot"].startswith("2.0.0-dev.2+")
    first = document["commits"][0]
    assert {key: first[key] for key in ("type", "scope", "breaking", "subject", "breaking_notes")} == {
        "type": "feat", "scope": None, "breaking": True, "subject": "b", "breaking_notes": ["gone"]}
    assert document["skipped_tags"] == []
