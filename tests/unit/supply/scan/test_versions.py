"""Go's version spellings in the Go vulnerability database's SemVer."""

from __future__ import annotations

import pytest

from goship.supply.scan.versions import (
    event_version,
    go_to_semver,
    parse_semver,
    semver_to_go,
    semver_to_module,
)


@pytest.mark.parametrize(("go", "semver"), [
    ("go1.21rc2", "1.21.0-rc.2"),
    ("go1.19beta1", "1.19.0-beta.1"),
    ("go1.21", "1.21.0"),
    ("go1.21.0", "1.21.0"),
    ("go1.16.4", "1.16.4"),
    ("go1", "1.0.0"),
    ("go1.22.1 X:boringcrypto", "1.22.1"),
    ("go1.23.4-20241204-RC00 cl/703004013 +b0ff66a4c7 X:fieldtrack", "1.23.4"),
])
def test_go_release_names_become_semver(go: str, semver: str) -> None:
    assert str(go_to_semver(go)) == semver


@pytest.mark.parametrize("go", ["", "devel go1.24-f0ffa3f0b3 Tue Oct 1 2024", "1.21.0", "gox"])
def test_what_is_not_a_go_release_is_none(go: str) -> None:
    assert go_to_semver(go) is None


@pytest.mark.parametrize(("semver", "go"), [
    ("1.21.0-rc.2", "go1.21rc2"), ("1.16.5", "go1.16.5"), ("1.17.0", "go1.17"),
    ("1.21.0", "go1.21.0"), ("1.25.5", "go1.25.5"),
])
def test_fixed_go_versions_are_shown_as_go_names_them(semver: str, go: str) -> None:
    assert semver_to_go(semver) == go


def test_module_versions_get_their_v_back() -> None:
    assert semver_to_module("0.0.0-20200124225646-8b5121be2f68") == "v0.0.0-20200124225646-8b5121be2f68"
    assert semver_to_module("v1.2.3") == "v1.2.3"


@pytest.mark.parametrize(("lower", "higher"), [
    ("v0.0.0-20190308221718-c2843e01d9a2", "v0.0.0-20200124225646-8b5121be2f68"),
    ("v1.2.3", "v1.2.4-0.20191109021931-daa7c04131f5"),  # the pseudo-version after v1.2.3
    ("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4"),
    ("v1.2.4-pre", "v1.2.4-pre.0.20191109021931-daa7c04131f5"),
    ("v1.0.0-rc.2", "v1.0.0-rc.10"),
    ("v2.0.0", "v3.0.0+incompatible"),
    ("v1.9.0", "v1.10.0"),
])
def test_versions_order_as_go_orders_them(lower: str, higher: str) -> None:
    low, high = parse_semver(lower), parse_semver(higher)
    assert low is not None and high is not None and low < high


def test_build_metadata_and_shorthands() -> None:
    assert parse_semver("v2.0.0+incompatible") == parse_semver("2.0.0")
    assert str(parse_semver("v1.2")) == "1.2.0"
    assert str(parse_semver("v1")) == "1.0.0"


@pytest.mark.parametrize("text", ["(devel)", "", "latest", "v1.2.3.4", "v1.0.0-01"])
def test_what_is_not_semver_is_none(text: str) -> None:
    assert parse_semver(text) is None


def test_introduced_zero_is_below_every_version() -> None:
    zero = event_version("0")
    first = parse_semver("v0.0.0-00010101000000-000000000000")
    assert zero is not None and first is not None and zero < first
