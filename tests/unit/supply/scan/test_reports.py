"""The table, JSON and SARIF reports of one scan with findings, a waiver and an expired one."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from tests.fixtures import sarif as sarif_tools
from tests.unit.supply.scan.builders import binary, scan, subject

from goship.gobinary.moduleinfo import Module
from goship.gobinary.subject import Skipped
from goship.supply.scan.interface import ScanResult, Waiver
from goship.supply.scan.report import ReportOptions, render

CRYPTO = Module("golang.org/x/crypto", "v0.0.0-20190308221718-c2843e01d9a2")
BEEGO = Module("github.com/beego/beego/v2", "v2.0.3")
LOCAL = Module("github.com/astaxie/beego", "v1.12.3", replace=Module("./beego", ""))
WAIVED = Waiver("GO-2022-0569", "the router is not exposed", date(2025, 12, 31), location="goship.toml:9")
EXPIRED = Waiver("GO-2022-0229", "only 64-bit builds", date(2025, 1, 31), location="goship.toml:4")


@pytest.fixture(scope="module")
def result() -> ScanResult:
    amd64 = subject(binary(CRYPTO, BEEGO, LOCAL, main=Module("example.com/app", "v1.0.0")),
                    skipped=[Skipped("/bin/sh", "not a Go program")])
    arm64 = subject(binary(BEEGO, goarch="arm64"), platform="linux/arm64")
    return scan(amd64, arm64, waivers=[WAIVED, EXPIRED])


def test_the_table_shows_each_platform_binary_and_fixed_version(result: ScanResult) -> None:
    text = render("table", result, ReportOptions(fail_on="any"))

    lines = text.splitlines()
    assert lines[0] == "registry.example.com/app:v1  linux/amd64  sha256:" + "1" * 64
    assert lines[1] == "  /app/server  go1.25.5  example.com/app"
    header = lines[2].split()
    assert header == ["ID", "SEVERITY", "MODULE", "VERSION", "FIXED", "IN", "STATUS"]
    crypto = next(line for line in lines if line.strip().startswith("GO-2022-0229"))
    assert crypto.split()[:6] == ["GO-2022-0229", "unknown", "golang.org/x/crypto",
                                  "v0.0.0-20190308221718-c2843e01d9a2",
                                  "v0.0.0-20200124225646-8b5121be2f68", "fails"]
    assert "(waiver expired 2025-01-31)" in crypto
    assert any("CVE-2020-7919, GHSA-cjjc-xp8v-855w: On 32-bit architectures" in line for line in lines)
    beego = [line for line in lines if line.strip().startswith("GO-2022-0569")]
    assert len(beego) == 2
    assert all("waived until 2025-12-31: the router is not exposed" in line for line in beego)
    assert "    not checked: github.com/astaxie/beego v1.12.3: replaced by the directory ./beego, " \
           "which has no version to match" in lines
    assert "  /bin/sh: skipped (not a Go program)" in lines
    assert "registry.example.com/app:v1  linux/arm64  sha256:" + "1" * 64 in lines
    assert "1 vulnerability in 1 of 2 binaries (1 unknown severity); 2 waived; 1 fail --fail-on any" in lines
    assert "expired waiver: GO-2022-0229 (goship.toml:4, expired 2025-01-31): only 64-bit builds" in lines


def test_the_table_of_a_clean_binary() -> None:
    text = render("table", scan(subject(binary())), ReportOptions(fail_on="high"))

    assert "    no known vulnerabilities" in text.splitlines()
    assert "0 vulnerabilities in 0 of 1 binary; 0 fail --fail-on high" in text


def test_the_json_report(result: ScanResult) -> None:
    document = json.loads(render("json", result, ReportOptions(fail_on="any", tool_version="1.2.3")))

    assert document["schema_version"] == 1 and document["tool"] == {"name": "goship", "version": "1.2.3"}
    assert document["database"]["modified"] == "2023-04-03T15:57:51Z"
    first = document["subjects"][0]
    assert first["platform"] == "linux/amd64"
    assert first["skipped"] == [{"path": "/bin/sh", "reason": "not a Go program"}]
    [server] = first["binaries"]
    assert (server["path"], server["go_version"], server["goos"], server["goarch"]) == (
        "/app/server", "go1.25.5", "linux", "amd64")
    by_id = {finding["id"]: finding for finding in server["findings"]}
    crypto = by_id["GO-2022-0229"]
    assert crypto == {
        "id": "GO-2022-0229",
        "aliases": ["CVE-2020-7919", "GHSA-cjjc-xp8v-855w"],
        "summary": crypto["summary"],
        "severity": "unknown",
        "cvss_score": None,
        "cvss_vector": None,
        "module": "golang.org/x/crypto",
        "version": "v0.0.0-20190308221718-c2843e01d9a2",
        "fixed_version": "v0.0.0-20200124225646-8b5121be2f68",
        "replaces": None,
        "packages": [{"path": "golang.org/x/crypto/cryptobyte", "symbols": [], "goos": [], "goarch": []}],
        "url": "https://pkg.go.dev/vuln/GO-2022-0229",
        "published": "2022-07-06T18:23:48Z",
        "modified": "2023-04-03T15:57:51Z",
        "waiver": None,
        "expired_waiver": {"id": "GO-2022-0229", "reason": "only 64-bit builds", "expires": "2025-01-31",
                           "module": None, "image": None, "location": "goship.toml:4"},
        "fails": True,
    }
    assert by_id["GO-2022-0569"]["waiver"]["reason"] == "the router is not exposed"
    assert by_id["GO-2022-0569"]["fails"] is False
    assert server["unchecked"][0]["module"] == "github.com/astaxie/beego"
    assert document["summary"] == {"binaries": 2, "findings": 3, "waived": 2, "failing": 1,
                                   "by_severity": {"critical": 0, "high": 0, "medium": 0, "low": 0,
                                                   "unknown": 1}}
    assert [waiver["id"] for waiver in document["waivers"]["expired"]] == ["GO-2022-0229"]


def test_the_json_report_is_the_same_bytes_for_the_same_scan(result: ScanResult) -> None:
    assert render("json", result) == render("json", scan(*[report.subject for report in result.subjects],
                                                         waivers=[WAIVED, EXPIRED]))


def test_the_sarif_report(result: ScanResult, tmp_path: Path) -> None:
    text = render("sarif", result, ReportOptions(fail_on="any", tool_version="1.2.3"))
    document = json.loads(text)

    assert sarif_tools.schema_errors(document) == []
    [run] = document["runs"]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rules == ["GO-2022-0229", "GO-2022-0569"]  # one rule per vulnerability
    assert len(run["results"]) == 3
    crypto = next(r for r in run["results"] if r["ruleId"] == "GO-2022-0229")
    location = crypto["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "app/server"
    assert location["logicalLocations"][0]["fullyQualifiedName"] == \
        "registry.example.com/app:v1 (linux/amd64):/app/server"
    assert "Fixed in v0.0.0-20200124225646-8b5121be2f68." in crypto["message"]["text"]
    assert "suppressions" not in crypto
    waived = [r for r in run["results"] if r["ruleId"] == "GO-2022-0569"]
    assert all(r["suppressions"][0]["status"] == "accepted" for r in waived)
    assert "the router is not exposed" in waived[0]["suppressions"][0]["justification"]

    report = tmp_path / "scan.sarif"
    report.write_text(text)
    assert sarif_tools.multitool_errors(report, tmp_path) == []


def test_an_unknown_format_is_refused(result: ScanResult) -> None:
    with pytest.raises(ValueError, match="unknown report format 'xml'"):
        render("xml", result)
