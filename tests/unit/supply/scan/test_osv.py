"""OSV entries as Vulnerability values: what is kept, how severity is rated, what is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.unit.supply.scan.builders import TESTDB, osv

from goship.supply.scan.interface import Severity
from goship.supply.scan.osv import parse_entry


def rated(**extra: Any) -> tuple[Severity, float | None]:
    vulnerability = parse_entry(osv("GHSA-test", "example.com/a", [("introduced", "0")], **extra))
    return vulnerability.severity, vulnerability.score


def test_an_entry_of_the_go_database() -> None:
    vulnerability = parse_entry(json.loads((TESTDB / "ID" / "GO-2021-0068.json").read_text()))

    assert vulnerability.id == "GO-2021-0068" and vulnerability.aliases == ("CVE-2021-3115",)
    assert vulnerability.summary == ("The go command may execute arbitrary code at build time when "
                                     "using cgo on Windows. This can be triggered by running go get "
                                     "on a malicious module, or any other time the code is built.")
    [affected] = vulnerability.affected
    assert affected.module == "toolchain"
    assert affected.ranges == ((("introduced", "0"), ("fixed", "1.14.14"), ("introduced", "1.15.0"),
                                ("fixed", "1.15.7")),)
    assert [(p.path, p.goos) for p in affected.packages] == [("cmd/go", ("windows",))]
    assert vulnerability.severity is Severity.UNKNOWN and vulnerability.withdrawn == ""


@pytest.mark.parametrize(("vector", "severity", "score"), [
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Severity.CRITICAL, 9.8),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", Severity.HIGH, 7.5),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", Severity.MEDIUM, 5.3),
    ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", Severity.LOW, 1.6),
])
def test_cvss_v3_vectors_are_scored_into_their_bands(vector: str, severity: Severity, score: float) -> None:
    assert rated(severity=[{"type": "CVSS_V3", "score": vector}]) == (severity, score)


def test_a_cvss_v4_vector_comes_before_v3() -> None:
    both = [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N"},
            {"type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}]
    assert rated(severity=both) == (Severity.CRITICAL, 9.3)


def test_github_ratings_without_a_vector() -> None:
    assert rated(database_specific={"severity": "MODERATE"}) == (Severity.MEDIUM, None)
    assert rated(database_specific={"severity": "CRITICAL"}) == (Severity.CRITICAL, None)


def test_a_malformed_vector_falls_back_to_the_rating_or_unknown() -> None:
    broken = [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:nonsense"}]
    assert rated(severity=broken) == (Severity.UNKNOWN, None)
    assert rated(severity=broken, database_specific={"severity": "LOW"}) == (Severity.LOW, None)


def test_other_ecosystems_and_git_ranges_are_left_out() -> None:
    entry = osv("GHSA-mixed", "example.com/a", [("introduced", "0")])
    entry["affected"].append({"package": {"name": "left-pad", "ecosystem": "npm"},
                              "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]})
    entry["affected"][0]["ranges"].append({"type": "GIT", "repo": "https://example.com/a.git",
                                           "events": [{"introduced": "abc123"}]})

    [affected] = parse_entry(entry).affected

    assert affected.module == "example.com/a" and affected.ranges == ((("introduced", "0"),),)


@pytest.mark.parametrize(("change", "says"), [
    ({"id": None}, "'id' is missing"),
    ({"modified": 3}, "'modified' must be a string"),
    ({"aliases": "CVE-1"}, "'aliases' must be a list"),
    ({"affected": [{"package": {}}]}, "affected[0].package.name is missing"),
    ({"affected": [{"package": {"name": "a", "ecosystem": "Go"},
                    "ranges": [{"type": "SEMVER", "events": [{"broken": "1"}]}]}]}, "unknown event 'broken'"),
])
def test_what_is_not_osv_is_refused_with_the_reason(change: dict[str, Any], says: str) -> None:
    entry = osv("GO-2099-0001", "example.com/a", [("introduced", "0")])
    entry.update({key: value for key, value in change.items() if value is not None})
    for key in [key for key, value in change.items() if value is None]:
        del entry[key]

    with pytest.raises(ValueError, match=None) as caught:
        parse_entry(entry)

    assert says in str(caught.value)
