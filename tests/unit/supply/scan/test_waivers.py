"""Waivers and the --fail-on gate: what fails a build, what is waived, what expired."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from tests.unit.supply.scan.builders import TODAY, binary, osv, osv_dir, scan, subject

from goship.gobinary.moduleinfo import Module
from goship.supply.scan.interface import Waiver

CRYPTO = Module("golang.org/x/crypto", "v0.0.0-20190308221718-c2843e01d9a2")
BEEGO = Module("github.com/beego/beego/v2", "v2.0.3")  # GO-2022-0569 only


def waiver(entry_id: str = "GO-2022-0229", expires: date = date(2025, 12, 31), **extra: str) -> Waiver:
    return Waiver(entry_id, "only 64-bit builds", expires, location="goship.toml:7", **extra)


def test_a_waived_finding_is_shown_with_its_reason_and_fails_nothing() -> None:
    result = scan(subject(binary(CRYPTO)), waivers=[waiver()])

    [finding] = result.findings
    assert finding.waived and finding.waiver is not None and finding.waiver.reason == "only 64-bit builds"
    assert not result.failed("any")
    assert result.expired_waivers == () and result.unused_waivers == ()


def test_a_waiver_holds_through_its_last_day_and_expires_after_it() -> None:
    last_day = scan(subject(binary(CRYPTO)), waivers=[waiver(expires=TODAY)])
    day_after = scan(subject(binary(CRYPTO)), waivers=[waiver(expires=date(2025, 5, 31))])

    assert not last_day.failed("any")
    assert day_after.failed("any")
    [finding] = day_after.findings
    assert not finding.waived and finding.expired_waiver == waiver(expires=date(2025, 5, 31))
    assert day_after.expired_waivers == (waiver(expires=date(2025, 5, 31)),)


def test_a_waiver_can_name_an_alias_and_be_narrowed_to_a_module_or_images() -> None:
    by_cve = scan(subject(binary(CRYPTO)), waivers=[waiver("CVE-2020-7919")])
    other_module = scan(subject(binary(CRYPTO)), waivers=[waiver(module="golang.org/x/net")])
    this_module = scan(subject(binary(CRYPTO)), waivers=[waiver(module="golang.org/x/crypto")])
    other_image = scan(subject(binary(CRYPTO)), waivers=[waiver(image="registry.example.com/web:*")])
    this_image = scan(subject(binary(CRYPTO)), waivers=[waiver(image="registry.example.com/app:*")])

    assert [f.waived for f in by_cve.findings] == [True]
    assert [f.waived for f in other_module.findings] == [False]
    assert other_module.unused_waivers == (waiver(module="golang.org/x/net"),)
    assert [f.waived for f in this_module.findings] == [True]
    assert [f.waived for f in other_image.findings] == [False]
    assert [f.waived for f in this_image.findings] == [True]


def test_one_waiver_does_not_cover_another_vulnerability() -> None:
    result = scan(subject(binary(CRYPTO, BEEGO)), waivers=[waiver()])

    assert {(f.id, f.waived) for f in result.findings} == {("GO-2022-0229", True), ("GO-2022-0569", False)}
    assert [f.id for f in result.failing("any")] == ["GO-2022-0569"]


@pytest.mark.parametrize(("fail_on", "fails"), [
    ("any", {"GO-2099-0001", "GO-2099-0002", "GO-2099-0003"}),
    ("low", {"GO-2099-0001", "GO-2099-0002"}),
    ("medium", {"GO-2099-0001", "GO-2099-0002"}),
    ("high", {"GO-2099-0001"}),
    ("critical", set()),
    ("never", set()),
])
def test_fail_on_thresholds_and_unknown_severity(tmp_path: Path, fail_on: str, fails: set[str]) -> None:
    database = osv_dir(tmp_path / "db", [
        osv("GO-2099-0001", "example.com/a", [("introduced", "0")],
            database_specific={"severity": "HIGH"}),
        osv("GO-2099-0002", "example.com/a", [("introduced", "0")],
            database_specific={"severity": "MODERATE"}),
        osv("GO-2099-0003", "example.com/a", [("introduced", "0")]),  # unknown: only "any" fails on it
    ])

    result = scan(subject(binary(Module("example.com/a", "v1.0.0"))), db=database)

    assert {finding.id for finding in result.failing(fail_on)} == fails
    assert result.failed(fail_on) is bool(fails)


def test_an_unknown_fail_on_value_is_refused() -> None:
    result = scan(subject(binary(CRYPTO)))
    with pytest.raises(ValueError, match="unknown --fail-on value 'severe'"):
        result.failed("severe")
