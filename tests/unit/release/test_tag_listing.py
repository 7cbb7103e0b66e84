"""Which environment a tag belongs to, what version it names, and how tags are ordered
(goship.release.tags), and the tag check of goship verify."""

from __future__ import annotations

import pytest
from tests.unit.release.fake_registry import FakeRegistry, seed_image

from goship.oci.reference import Reference
from goship.release.settings import Environment, ReleaseSettings
from goship.release.tags import (
    TagInfo,
    attachment_of,
    environments_of,
    list_tags,
    parse_time,
    sort_newest_first,
    template_pattern,
    versions_in_tag,
)
from goship.release.verify import _version_tag, bare

REPOSITORY = Reference.parse("registry.test/team/app", default_tag="")
SETTINGS = ReleaseSettings(environments={
    "dev": Environment("dev", repository="registry.test/team/app-dev",
                       tags=("dev-{short_commit}", "latest-{env}")),
    "staging": Environment("staging", tags=("{version}-rc", "latest-{env}")),
    "prod": Environment("prod", repository="registry.test/team/app",
                        tags=("{version}", "{major}.{minor}", "{version}-{env}-{short_commit}",
                              "latest-{env}")),
})


@pytest.mark.parametrize(("tag", "environments", "pointer"), [
    ("1.2.3", ("prod",), False),
    ("1.2", ("prod",), False),
    ("1.2.3-prod-abc1234", ("prod",), False),
    ("latest-prod", ("prod",), True),
    ("latest-staging", ("staging",), True),  # staging names no repository: it may be any
    ("1.2.3-rc", ("staging",), False),
    # dev's scheme, but dev lives in another repository: this repository's environment
    ("latest-dev", ("prod",), False),
    ("scratch", ("prod",), False),  # no template fits: the environment whose repository this is
])
def test_a_tag_belongs_to_the_environments_whose_scheme_it_fits(tag: str, environments: tuple[str, ...],
                                                                 pointer: bool) -> None:
    assert environments_of(tag, REPOSITORY, SETTINGS) == (environments, pointer)


def test_an_environment_without_repository_uses_the_default_one() -> None:
    settings = ReleaseSettings(environments={"prod": Environment("prod", tags=("{version}",))})
    assert environments_of("1.0.0", REPOSITORY, settings, "registry.test/team/other") == ((), False)
    assert environments_of("x", REPOSITORY, settings, "registry.test/team/app") == (("prod",), False)


def test_templates_match_exactly_what_they_render() -> None:
    pattern = template_pattern("{version}-{env}-{short_commit}", "prod")
    assert pattern.fullmatch("1.2.3-rc.1_build.5-prod-abc1234")
    assert not pattern.fullmatch("1.2.3-staging-abc1234")
    assert not pattern.fullmatch("1.2.3-prod-abc12345")
    assert template_pattern("v{version}", "x").fullmatch("v1.0.0").group("version") == "1.0.0"


def test_versions_in_tags_through_templates() -> None:
    assert versions_in_tag("1.2.3-prod-abc1234", SETTINGS) == ["1.2.3"]
    assert versions_in_tag("1.2.3-rc.1_meta", SETTINGS) == ["1.2.3-rc.1+meta"]
    assert versions_in_tag("latest-prod", SETTINGS) == []


@pytest.mark.parametrize(("tag", "status"), [
    ("v1.2.3", "pass"), ("1.2.3", "pass"), ("1.2.3-prod-abc1234", "pass"),
    ("1.2.4", "fail"), ("v1.2.3-rc.1", "fail"), ("latest", "skip"), ("1.2", "skip"),
])
def test_the_version_tag_check(tag: str, status: str) -> None:
    assert _version_tag(tag, "1.2.3", SETTINGS).status == status


def test_a_leading_v_is_not_part_of_a_version() -> None:
    assert (bare("v1.2.3"), bare("1.2.3"), bare("version")) == ("1.2.3", "1.2.3", "version")


def test_attachment_tags_are_recognised() -> None:
    digest = "a" * 64
    assert attachment_of(f"sha256-{digest}.sig") == "signature"
    assert attachment_of(f"sha256-{digest}.att") == "attestation"
    assert attachment_of(f"sha256-{digest}.sbom") == "sbom"
    assert attachment_of(f"sha256-{digest}") == "referrers"
    assert attachment_of("sha256-abc.sig") == "" and attachment_of("v1.2.3") == ""


def test_times_as_go_writes_them_are_read_and_sorted_newest_first() -> None:
    assert parse_time("2024-10-01T12:00:00.123456789Z") == parse_time("2024-10-01T12:00:00.123456Z")
    assert parse_time("2024-10-01T14:00:00+02:00") == parse_time("2024-10-01T12:00:00Z")
    assert parse_time("yesterday") is None
    infos = [TagInfo("b", created="2024-01-01T00:00:00Z"), TagInfo("none"),
             TagInfo("a", created="2024-01-01T00:00:00Z"), TagInfo("new", created="2025-01-01T00:00:00.5Z")]
    assert [info.tag for info in sort_newest_first(infos)] == ["new", "a", "b", "none"]


def test_listing_reads_each_digest_once_and_reports_unreadable_tags() -> None:
    registry = FakeRegistry()
    labels = {"org.opencontainers.image.version": "1.2.3"}
    digest = seed_image(registry, REPOSITORY, labels=labels, tag="1.2.3")
    registry.repo(REPOSITORY).tags["latest-prod"] = digest
    registry.repo(REPOSITORY).tags["broken"] = digest.__class__("sha256", "f" * 64)  # names nothing

    infos = {info.tag: info for info in list_tags(registry, REPOSITORY, SETTINGS)}

    assert infos["1.2.3"].version == "1.2.3" and infos["1.2.3"].platforms == ("linux/amd64", "linux/arm64")
    assert infos["latest-prod"].pointer and infos["latest-prod"].digest == digest
    assert infos["1.2.3"].created == "2024-10-01T12:00:00Z"
    assert infos["broken"].error and infos["broken"].digest is None
    assert list(infos) == ["1.2.3", "latest-prod", "broken"]
