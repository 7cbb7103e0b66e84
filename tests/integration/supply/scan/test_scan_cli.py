"""`goship scan` on real Go binaries and images holding them, with the test database given
as --db: findings exactly where a module version is affected, the reports, waivers, and the
bad inputs a user meets."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import Goship, Result
from tests.fixtures import sarif as sarif_tools
from tests.integration.supply.scan.conftest import (
    BEEGO_V2,
    CRYPTO,
    CRYPTO_FIX,
    CRYPTO_OLD,
    TESTDB,
    Programs,
)
from tests.unit.gobinary.handmade import Blobs, file, image
from tests.unit.gobinary.test_buildinfo_format import go_testdata

from goship.oci.image import ImageIndex
from goship.oci.layout import write_layout

pytestmark = pytest.mark.integration

OK, CONFIG, IMAGE, VULNERABLE = 0, 3, 5, 12
EXPECTED = {
    ("GO-2022-0229", CRYPTO, CRYPTO_OLD, CRYPTO_FIX),
    ("GO-2022-0463", BEEGO_V2, "v2.0.1", "v2.0.3"),
    ("GO-2022-0569", BEEGO_V2, "v2.0.1", "v2.0.4"),
    ("GO-2022-0572", BEEGO_V2, "v2.0.1", "v2.0.3"),
}


def findings(result: Result) -> set[tuple[str, str, str, str | None]]:
    document = json.loads(result.stdout)
    return {(f["id"], f["module"], f["version"], f["fixed_version"])
            for subject in document["subjects"] for binary in subject["binaries"]
            for f in binary["findings"]}


def scan(goship: Goship, *args: str, cwd: Path, db: Path | str = TESTDB) -> Result:
    return goship("scan", *args, "--db", str(db), cwd=cwd)


def test_findings_appear_exactly_for_the_affected_module_versions(goship: Goship, programs: Programs,
                                                                  tmp_path: Path) -> None:
    result = scan(goship, str(programs.vulnerable), "--format", "json", cwd=tmp_path)

    assert result.code == VULNERABLE, result.output
    assert findings(result) == EXPECTED
    # the replaced github.com/astaxie/beego (three entries without a fix) is matched as its fork
    document = json.loads(result.stdout)
    [binary] = document["subjects"][0]["binaries"]
    assert binary["go_version"].startswith("go1.") and binary["goos"] == "linux"
    assert "4 vulnerabilities of any severity that no waiver covers; exit code 12" in result.stderr


def test_the_fixed_versions_have_no_findings(goship: Goship, programs: Programs, tmp_path: Path) -> None:
    result = scan(goship, str(programs.fixed), cwd=tmp_path)

    assert result.code == OK, result.output
    assert "    no known vulnerabilities" in result.stdout.splitlines()
    assert "0 vulnerabilities in 0 of 1 binary; 0 fail --fail-on any" in result.stdout


def test_the_table_shows_the_fixed_version_of_each_finding(goship: Goship, programs: Programs,
                                                           tmp_path: Path) -> None:
    result = scan(goship, str(programs.vulnerable), cwd=tmp_path)

    assert result.code == VULNERABLE
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()
            if line.strip().startswith("GO-")}
    assert rows["GO-2022-0229"][1:5] == ["unknown", CRYPTO, CRYPTO_OLD, CRYPTO_FIX]
    assert rows["GO-2022-0569"][1:5] == ["unknown", BEEGO_V2, "v2.0.1", "v2.0.4"]


@pytest.mark.parametrize(("fail_on", "code"), [("any", VULNERABLE), ("low", OK), ("critical", OK),
                                               ("never", OK)])
def test_unknown_severity_fails_only_fail_on_any(goship: Goship, programs: Programs, tmp_path: Path,
                                                 fail_on: str, code: int) -> None:
    result = scan(goship, str(programs.vulnerable), "--fail-on", fail_on, "--json", cwd=tmp_path)

    assert result.code == code, result.output
    assert findings(result) == EXPECTED  # the report is whole whatever the exit code


def test_a_flat_directory_of_osv_files_gives_the_same_result(goship: Goship, programs: Programs,
                                                             tmp_path: Path) -> None:
    flat = tmp_path / "osv"
    flat.mkdir()
    for entry in (TESTDB / "ID").iterdir():
        shutil.copy(entry, flat / entry.name)

    result = scan(goship, str(programs.vulnerable), "--json", cwd=tmp_path, db=flat)

    assert result.code == VULNERABLE, result.output
    assert findings(result) == EXPECTED
    assert json.loads(result.stdout)["database"]["kind"] == "OSV directory"


def test_the_standard_library_of_an_old_go_binary(goship: Goship, tmp_path: Path) -> None:
    old = tmp_path / "go117"
    old.write_bytes(go_testdata("go117"))  # built by Go 1.17 (Go's own test data)

    result = scan(goship, str(old), "--json", cwd=tmp_path)

    assert result.code == VULNERABLE, result.output
    assert findings(result) == {("GO-2021-0264", "stdlib", "go1.17", "go1.17.3"),
                                ("GO-2022-0273", "stdlib", "go1.17", "go1.17.1")}


# -- images -------------------------------------------------------------------------------------


def _layout(tmp_path: Path, programs: Programs) -> Path:
    blobs = Blobs(tmp_path / "layers")
    c_program = go_testdata("notgo")
    amd64 = image([blobs.layer([file("app/server", programs.vulnerable.read_bytes()),
                                file("usr/bin/helper", c_program)])])
    arm64 = image([blobs.layer([file("app/server", programs.fixed_arm64.read_bytes())])], "linux/arm64")
    layout = tmp_path / "layout"
    write_layout(layout, ImageIndex((amd64, arm64)), "app:v1")
    return layout


def test_an_image_is_scanned_per_platform_and_binary(goship: Goship, programs: Programs,
                                                     tmp_path: Path) -> None:
    layout = _layout(tmp_path, programs)

    result = scan(goship, f"oci:{layout}", "--json", cwd=tmp_path)

    assert result.code == VULNERABLE, result.output
    document = json.loads(result.stdout)
    by_platform = {subject["platform"]: subject for subject in document["subjects"]}
    assert set(by_platform) == {"linux/amd64", "linux/arm64"}
    amd64, arm64 = by_platform["linux/amd64"], by_platform["linux/arm64"]
    assert [b["path"] for b in amd64["binaries"]] == ["/app/server"]
    assert {f["id"] for f in amd64["binaries"][0]["findings"]} == {item[0] for item in EXPECTED}
    assert amd64["skipped"] == [{"path": "/usr/bin/helper", "reason": "not a Go program"}]
    assert arm64["binaries"][0]["findings"] == [] and arm64["binaries"][0]["goarch"] == "arm64"
    assert amd64["digest"].startswith("sha256:") and amd64["index_digest"].startswith("sha256:")


def test_platform_selects_the_images_to_scan(goship: Goship, programs: Programs, tmp_path: Path) -> None:
    layout = _layout(tmp_path, programs)

    arm64 = scan(goship, f"oci:{layout}", "--platform", "linux/arm64", cwd=tmp_path)
    missing = scan(goship, f"oci:{layout}", "--platform", "linux/s390x", cwd=tmp_path)

    assert arm64.code == OK, arm64.output
    assert "linux/arm64" in arm64.stdout and "linux/amd64" not in arm64.stdout
    assert missing.code == 2
    assert "its platforms: linux/amd64, linux/arm64" in missing.stderr


def test_sarif_locates_results_at_the_binary_in_the_image(goship: Goship, programs: Programs,
                                                          tmp_path: Path) -> None:
    layout = _layout(tmp_path, programs)
    report = tmp_path / "reports" / "scan.sarif"
    report.parent.mkdir()

    result = scan(goship, f"oci:{layout}", "--format", "sarif", "--output", str(report), cwd=tmp_path)

    assert result.code == VULNERABLE, result.output
    assert result.stdout == ""
    document: dict[str, Any] = json.loads(report.read_text())
    assert sarif_tools.schema_errors(document) == []
    [run] = document["runs"]
    assert {rule["id"] for rule in run["tool"]["driver"]["rules"]} == {item[0] for item in EXPECTED}
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]} == \
        {"app/server"}
    assert sarif_tools.multitool_errors(report, tmp_path) == []


# -- waivers ------------------------------------------------------------------------------------


def _waivers(directory: Path, expires: str, *ids: str) -> Path:
    text = "".join(f'[[scan.waiver]]\nid = "{entry}"\nreason = "not reachable from our handlers"\n'
                   f"expires = {expires}\n\n" for entry in ids)
    (directory / "goship.toml").write_text(text)
    return directory / "goship.toml"


def test_waived_findings_are_shown_and_do_not_fail(goship: Goship, programs: Programs,
                                                   tmp_path: Path) -> None:
    _waivers(tmp_path, "2999-12-31", "GO-2022-0229", "CVE-2022-31259", "GO-2022-0569", "GO-2022-0572")

    result = scan(goship, str(programs.vulnerable), cwd=tmp_path)

    assert result.code == OK, result.output
    assert result.stdout.count("waived until 2999-12-31: not reachable from our handlers") == 4
    assert "0 vulnerabilities in 0 of 1 binary; 4 waived; 0 fail --fail-on any" in result.stdout


def test_an_expired_waiver_stops_counting_and_is_reported(goship: Goship, programs: Programs,
                                                          tmp_path: Path) -> None:
    toml = _waivers(tmp_path, "2020-01-01", "GO-2022-0229")

    result = scan(goship, str(programs.vulnerable), cwd=tmp_path)

    assert result.code == VULNERABLE, result.output
    assert "fails (waiver expired 2020-01-01)" in result.stdout
    assert f"expired waiver: GO-2022-0229 ({toml}:2, expired 2020-01-01)" in result.stdout
    assert (f"the waiver for GO-2022-0229 ({toml}:2) expired on 2020-01-01 and no longer counts"
            in result.stderr)


def test_a_waiver_without_a_reason_is_a_config_error(goship: Goship, programs: Programs,
                                                     tmp_path: Path) -> None:
    (tmp_path / "goship.toml").write_text('[scan]\nfail-on = "high"\n\n[[scan.waiver]]\n'
                                          'id = "GO-2022-0229"\nexpires = 2026-12-31\n')

    result = scan(goship, str(programs.vulnerable), cwd=tmp_path)

    assert result.code == CONFIG
    assert f"goship: error: {tmp_path / 'goship.toml'}:4: waiver 1 has no 'reason'" in result.stderr
    assert "hint: every [[scan.waiver]] needs id, reason and expires" in result.stderr
    assert "Traceback" not in result.stderr


# -- bad input ----------------------------------------------------------------------------------


def test_a_binary_that_is_not_go(goship: Goship, tmp_path: Path) -> None:
    c_program = tmp_path / "helper"
    c_program.write_bytes(go_testdata("notgo"))
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\nexec /app/server\n")

    not_go = scan(goship, str(c_program), cwd=tmp_path)
    not_executable = scan(goship, str(script), cwd=tmp_path)

    assert not_go.code == IMAGE and not_executable.code == IMAGE
    assert "without Go build information" in not_go.stderr
    assert "is not an executable" in not_executable.stderr
    assert "Traceback" not in not_go.stderr + not_executable.stderr


def test_an_image_without_go_binaries(goship: Goship, tmp_path: Path) -> None:
    blobs = Blobs(tmp_path / "layers")
    write_layout(tmp_path / "layout", image([blobs.layer([file("usr/bin/helper", go_testdata("notgo"))])]),
                 "tools:v1")

    result = scan(goship, f"oci:{tmp_path / 'layout'}", cwd=tmp_path)

    assert result.code == IMAGE
    assert "no Go program to scan in oci:" in result.stderr
    assert "/usr/bin/helper: not a Go program" in result.stderr


def test_a_corrupt_database_file_is_named(goship: Goship, programs: Programs, tmp_path: Path) -> None:
    database = Path(shutil.copytree(TESTDB, tmp_path / "vulndb"))
    broken = database / "ID" / "GO-2022-0463.json"
    broken.write_text(broken.read_text()[:500])

    result = scan(goship, str(programs.vulnerable), cwd=tmp_path, db=database)

    assert result.code == CONFIG
    assert f"goship: error: {broken} is not JSON" in result.stderr
    assert "Traceback" not in result.stderr
