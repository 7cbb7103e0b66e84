"""Go version names, their order, and the specs users write."""

from __future__ import annotations

import random

import pytest

from goship.errors import ExitCode
from goship.toolchain.errors import VersionSyntaxError
from goship.toolchain.versions import GoVersion, SpecKind, VersionSpec, newest_first


@pytest.mark.parametrize(
    ("text", "expected", "name"),
    [
        ("go1.22.10", GoVersion(1, 22, 10), "go1.22.10"),
        ("1.22.10", GoVersion(1, 22, 10), "go1.22.10"),
        (" go1.21.0\n", GoVersion(1, 21, 0), "go1.21.0"),
        ("1.22rc1", GoVersion(1, 22, None, "rc", 1), "go1.22rc1"),
        ("go1.23beta2", GoVersion(1, 23, None, "beta", 2), "go1.23beta2"),
        ("go1.9.2rc2", GoVersion(1, 9, 2, "rc", 2), "go1.9.2rc2"),
        ("go1.20", GoVersion(1, 20), "go1.20"),
    ],
)
def test_release_names_parse_and_print_back(text: str, expected: GoVersion, name: str) -> None:
    version = GoVersion.from_name(text)
    assert version == expected
    assert version.name == name
    assert str(version) == name


@pytest.mark.parametrize("text", ["", "latest", "go", "1.22.x", "v1.22.1", "1.22.1-rc1", "go1.22.1 extra"])
def test_garbage_is_a_usage_error_with_a_hint(text: str) -> None:
    with pytest.raises(VersionSyntaxError) as caught:
        GoVersion.from_name(text)
    assert caught.value.exit_code == ExitCode.USAGE
    assert "1.22.10" in caught.value.hint


def test_order_follows_go_prereleases_then_release_then_patches() -> None:
    ordered = ["go1.9.2rc2", "go1.9.2", "go1.20beta1", "go1.20rc1", "go1.20", "go1.20.1",
               "go1.21rc2", "go1.21rc3", "go1.21.0", "go1.21.9", "go1.21.10", "go1.22.0", "go1.22.10"]
    versions = [GoVersion.from_name(name) for name in ordered]
    shuffled = versions[:]
    random.Random(7).shuffle(shuffled)
    assert [version.name for version in sorted(shuffled, key=lambda v: v.sort_key)] == ordered
    assert [version.name for version in newest_first(shuffled)] == ordered[::-1]
    assert GoVersion.from_name("1.21.10") > GoVersion.from_name("1.21.9")  # not string order


def test_go1_20_and_go1_20_0_are_the_same_point() -> None:
    assert GoVersion.from_name("go1.20").same_release(GoVersion.from_name("1.20.0"))
    assert not GoVersion.from_name("go1.21rc1").same_release(GoVersion.from_name("1.21.0"))


RELEASES = [GoVersion.from_name(name) for name in
            ["go1.23rc1", "go1.22.10", "go1.22.9", "go1.22rc2", "go1.21.13", "go1.21.0", "go1.20"]]


@pytest.mark.parametrize(
    ("spec", "kind", "picked"),
    [
        ("latest", SpecKind.LATEST, "go1.22.10"),
        ("1.22", SpecKind.MINOR, "go1.22.10"),
        ("go1.21", SpecKind.MINOR, "go1.21.13"),
        ("1.20", SpecKind.MINOR, "go1.20"),
        ("1.22.9", SpecKind.EXACT, "go1.22.9"),
        ("go1.22rc2", SpecKind.EXACT, "go1.22rc2"),
        ("1.23rc1", SpecKind.EXACT, "go1.23rc1"),
        ("1.20.0", SpecKind.EXACT, "go1.20"),
        ("1.23", SpecKind.MINOR, None),  # only an rc of 1.23 exists: "1.23" means stable
        ("1.22.11", SpecKind.EXACT, None),
    ],
)
def test_spec_picks_the_newest_matching_release(spec: str, kind: SpecKind, picked: str | None) -> None:
    parsed = VersionSpec.parse(spec)
    assert parsed.kind is kind
    chosen = parsed.pick(RELEASES)
    assert (chosen.name if chosen else None) == picked


def test_latest_with_prereleases_on_request() -> None:
    chosen = VersionSpec.parse("latest").pick(RELEASES, include_unstable=True)
    assert chosen is not None and chosen.name == "go1.23rc1"


def test_at_least_stays_in_its_minor_line_and_is_never_older() -> None:
    spec = VersionSpec.at_least(GoVersion.from_name("1.21.0"))
    chosen = spec.pick(RELEASES)
    assert chosen is not None and chosen.name == "go1.21.13"
    assert VersionSpec.at_least(GoVersion.from_name("1.22.11")).pick(RELEASES) is None
    language = VersionSpec.at_least(GoVersion.from_name("1.22"))  # a go.mod "go 1.22" line
    assert not language.matches(GoVersion.from_name("go1.22rc2"))
    assert language.matches(GoVersion.from_name("go1.22.0"))


@pytest.mark.parametrize("text", ["1", "go1", "newest", "1.22.", "", "1.22.10.1"])
def test_bad_specs_are_refused(text: str) -> None:
    with pytest.raises(VersionSyntaxError, match="is not a Go version"):
        VersionSpec.parse(text)


def test_spec_prints_what_was_asked() -> None:
    assert str(VersionSpec.parse("LATEST")) == "latest"
    assert str(VersionSpec.parse("go1.22")) == "1.22"
    assert str(VersionSpec.parse("go1.22.10")) == "1.22.10"
    assert str(VersionSpec.at_least(GoVersion.from_name("1.22.3"))) == "1.22.3 or a newer 1.22.x"
