"""Tag templates, environments by branch, and immutable tags (goship.release.tagscheme)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from goship.errors import ConfigError, UsageError
from goship.release.settings import DEFAULT_IMMUTABLE, Environment, ReleaseSettings
from goship.release.tagscheme import (
    DEFAULT_ENVIRONMENT,
    TAG_GRAMMAR,
    TagContext,
    immutable_moves,
    is_immutable,
    parse_template,
    pattern_matches,
    render_tags,
    render_template,
    sanitize_branch,
    select_environment,
)

COMMIT = "abc123d4e5f60718293a4b5c6d7e8f9012345678"
WHEN = datetime(2024, 10, 1, 23, 30, tzinfo=UTC)


def context(version: str = "1.2.0", **changes: object) -> TagContext:
    values: dict[str, object] = {"commit": COMMIT, "branch": "main", "env": "prod", "date": WHEN}
    values.update(changes)
    return TagContext(version=version, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("template", "expected"), [
    ("v{version}", "v1.2.0"),
    ("{version}", "1.2.0"),
    ("{major}.{minor}", "1.2"),
    ("{major}.{minor}.{patch}", "1.2.0"),
    ("build-{date}", "build-20241001"),
    ("build-{date:%Y%m%d%H%M}", "build-202410012330"),
    ("latest-{env}", "latest-prod"),
    ("{version}-{env}-{short_commit}", "1.2.0-prod-abc123d"),
    ("sha-{commit}", f"sha-{COMMIT}"),
    ("{branch}-latest", "main-latest"),
    ("literal{{x}}", "literal{x}"),
])
def test_the_seed_articles_tag_schemes_render(template: str, expected: str) -> None:
    assert render_template(template, context()) == expected


def test_prerelease_and_build_metadata_fit_in_a_tag() -> None:
    rendered = render_tags(["{version}", "{prerelease}", "b{build}", "{major}.{minor}.{patch}-{prerelease}"],
                           context("1.3.0-rc.1+ci.7"))
    # '+' is not allowed in tags: build metadata is joined with '_' as other tools do.
    assert rendered == ("1.3.0-rc.1_ci.7", "rc.1", "bci.7", "1.3.0-rc.1")


def test_date_is_the_commit_time_in_utc() -> None:
    tokyo = datetime(2024, 10, 2, 8, 30, tzinfo=UTC).astimezone()
    assert render_template("{date}", context(date=tokyo)) == "20241002"
    # The same commit gives the same tag whenever it is released.
    assert render_template("{date}", context()) == render_template("{date}", context())


@pytest.mark.parametrize(("branch", "expected"), [
    ("feature/login", "feature-login"),
    ("feature//Ünicode name", "feature-nicode-name"),
    ("-.hidden", "hidden"),
    ("release/1.2", "release-1.2"),
    ("a" * 300, "a" * 128),
])
def test_branch_names_are_sanitised_for_tags(branch: str, expected: str) -> None:
    assert sanitize_branch(branch) == expected


@pytest.mark.parametrize(("template", "message"), [
    ("{nope}", "unknown placeholder '{nope}'"),
    ("{}", "unknown placeholder '{}'"),
    ("{0}", "unknown placeholder '{0}'"),
    ("{version.major}", "unknown placeholder"),
    ("{version!r}", "not supported"),
    ("{version:>10}", "only {date} takes a format"),
    ("{date:{env}}", "nested placeholder"),
    ("v{version", "malformed"),
    ("v}", "malformed"),
    ("", "empty"),
])
def test_bad_templates_are_config_errors(template: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_template(template)
    assert message in error.value.message
    assert error.value.hint


def test_parse_template_lists_its_placeholders() -> None:
    assert parse_template("{version}-{env}-{short_commit}").fields == ("version", "env", "short_commit")


@pytest.mark.parametrize("template", ["{version}:{env}", "-{version}", ".{env}", "{prerelease}",
                                      "{date:%Y-%m-%d %H:%M}", "x" * 129, "{branch}/{env}"])
def test_a_template_rendering_an_invalid_tag_is_refused_naming_it(template: str) -> None:
    with pytest.raises(UsageError) as error:
        render_tags(["{version}", template], context())
    assert f"tag template '{template}'" in error.value.message
    assert "nothing was pushed" in error.value.message
    assert "128" in error.value.hint


def test_rendered_tags_are_deduplicated_in_order() -> None:
    assert render_tags(["{version}", "latest", "{major}.{minor}.{patch}"], context()) == ("1.2.0", "latest")


def test_a_version_that_is_not_semver_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        render_tags(["{version}"], context("1.2"))


@pytest.mark.parametrize("tag", ["a", "_x", "v1.2.0", "A" * 128, "1.2.0-prod-abc123d"])
def test_tag_grammar_accepts(tag: str) -> None:
    assert TAG_GRAMMAR.match(tag)


@pytest.mark.parametrize("tag", ["", ".a", "-a", "a+b", "a:b", "a/b", "A" * 129])
def test_tag_grammar_refuses(tag: str) -> None:
    assert not TAG_GRAMMAR.match(tag)


# --- environments ----------------------------------------------------------------------

SETTINGS = ReleaseSettings(environments={
    "prod": Environment("prod", branches=("main", "release/*"), tags=("{version}",)),
    "staging": Environment("staging", branches=("develop",), tags=("latest-staging",)),
    "dev": Environment("dev", branches=("feature/*", "*"), tags=("dev-{short_commit}",)),
    "manual": Environment("manual"),
})


@pytest.mark.parametrize(("branch", "expected"), [
    ("main", "prod"),
    ("release/1.2", "prod"),
    ("develop", "staging"),
    ("feature/login", "dev"),
    ("hotfix", "dev"),  # "*" in dev: first match in the order of the file wins
])
def test_environment_by_branch_first_match_in_file_order(branch: str, expected: str) -> None:
    assert select_environment(SETTINGS, branch).name == expected


def test_env_flag_overrides_the_branch() -> None:
    assert select_environment(SETTINGS, "main", "manual").name == "manual"


def test_unknown_env_lists_the_configured_ones() -> None:
    with pytest.raises(UsageError) as error:
        select_environment(SETTINGS, "main", "qa")
    assert "unknown environment 'qa'" in error.value.message
    assert "prod, staging, dev, manual" in error.value.message


def test_a_branch_no_environment_takes_is_refused_with_the_choices() -> None:
    settings = ReleaseSettings(environments={"prod": Environment("prod", branches=("main",))})
    with pytest.raises(UsageError) as error:
        select_environment(settings, "wip")
    assert "branch 'wip' matches no environment" in error.value.message
    assert "prod: main" in error.value.message
    assert "--env" in error.value.hint
    with pytest.raises(UsageError, match="detached HEAD"):
        select_environment(settings, "")


def test_without_environments_a_release_uses_the_built_in_one() -> None:
    assert select_environment(ReleaseSettings(), "anything") == DEFAULT_ENVIRONMENT
    assert DEFAULT_ENVIRONMENT.tags == ("{version}",)
    with pytest.raises(UsageError, match="configured: none"):
        select_environment(ReleaseSettings(), "main", "prod")


# --- immutable tags --------------------------------------------------------------------

@pytest.mark.parametrize(("tag", "immutable"), [
    ("v1.2.0", True), ("1.2.0", True), ("1.3.0-rc.1", True), ("v1.2", False),
    ("latest-prod", False), ("build-20241001", False),
])
def test_default_immutable_patterns(tag: str, immutable: bool) -> None:
    assert is_immutable(tag, DEFAULT_IMMUTABLE) is immutable


def test_patterns_are_globs_or_whole_tag_regular_expressions() -> None:
    assert pattern_matches("release-*", "release-1")
    assert not pattern_matches("Release-*", "release-1")  # case matters, as in registries
    assert pattern_matches(r"re:\d+\.\d+", "1.2")
    assert not pattern_matches(r"re:\d+\.\d+", "1.2.3")  # the whole tag, not a part


def test_an_immutable_tag_naming_another_digest_is_a_move() -> None:
    existing = {"1.2.0": "sha256:old", "latest": "sha256:old", "1.2.1": None}
    moves = immutable_moves("r/app", ["1.2.0", "latest", "1.2.1", "v9"], DEFAULT_IMMUTABLE, existing,
                            "sha256:new")
    assert [(move.tag, move.existing, move.new) for move in moves] == [("1.2.0", "sha256:old", "sha256:new")]


def test_a_reproduced_release_moves_nothing() -> None:
    existing = {"1.2.0": "sha256:same"}
    assert immutable_moves("r/app", ["1.2.0"], DEFAULT_IMMUTABLE, existing, "sha256:same") == []
