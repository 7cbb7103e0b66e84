"""Which entries affect which module versions: the test database (a copy of golang/vuln's) and
hand-written OSV entries, matched against build information as Go records it."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.supply.scan.builders import TESTDB, binary, found, osv, osv_dir, scan, subject

from goship.errors import ExitCode
from goship.gobinary.moduleinfo import Module
from goship.gobinary.subject import Skipped
from goship.supply.scan.interface import NoGoBinariesError, Severity

CRYPTO = "golang.org/x/crypto"
CRYPTO_FIX = "v0.0.0-20200124225646-8b5121be2f68"
BEEGO_V2 = "github.com/beego/beego/v2"
ASTAXIE = "github.com/astaxie/beego"


# -- modules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("version", "affected"), [
    ("v0.0.0-20190308221718-c2843e01d9a2", True),  # a pseudo-version before the fix
    ("v0.0.0-20200124225646-8b5121be2e00", True),  # same second, a commit hash that sorts lower
    (CRYPTO_FIX, False),  # the fix itself
    ("v0.0.0-20200124225647-0123456789ab", False),  # a second later
    ("v0.1.0", False),
    ("v0.0.0", False),  # a release is above all of its pseudo-versions
])
def test_pseudo_versions_order_as_semver_prereleases(version: str, affected: bool) -> None:
    result = scan(subject(binary(Module(CRYPTO, version))))

    assert found(result) == ({("GO-2022-0229", CRYPTO, CRYPTO_FIX)} if affected else set())


def test_a_finding_says_what_a_user_needs_to_act() -> None:
    result = scan(subject(binary(Module(CRYPTO, "v0.0.0-20190308221718-c2843e01d9a2"))))

    [finding] = result.findings
    assert finding.vulnerability.aliases == ("CVE-2020-7919", "GHSA-cjjc-xp8v-855w")
    assert finding.version == "v0.0.0-20190308221718-c2843e01d9a2"
    assert finding.fixed == CRYPTO_FIX
    assert finding.vulnerability.summary.startswith("On 32-bit architectures, a malformed input")
    assert [package.path for package in finding.packages] == ["golang.org/x/crypto/cryptobyte"]
    assert finding.severity is Severity.UNKNOWN  # the Go database rates nothing
    assert finding.vulnerability.url == "https://pkg.go.dev/vuln/GO-2022-0229"
    assert (finding.source, finding.platform, finding.binary) == (
        "registry.example.com/app:v1", "linux/amd64", "/app/server")


@pytest.mark.parametrize(("version", "expected"), [
    # GO-2022-0463: 0 to 2.0.3; GO-2022-0569: 2.0.0 to 2.0.4; GO-2022-0572: 2.0.0 to 2.0.3
    ("v2.0.1", {("GO-2022-0463", "v2.0.3"), ("GO-2022-0569", "v2.0.4"), ("GO-2022-0572", "v2.0.3")}),
    ("v2.0.3", {("GO-2022-0569", "v2.0.4")}),
    ("v2.0.4", set()),
    ("v2.0.0-beta.1", {("GO-2022-0463", "v2.0.3")}),  # before 2.0.0: only the range from "0"
])
def test_ranges_with_introduced_and_fixed_events(version: str, expected: set[tuple[str, str]]) -> None:
    result = scan(subject(binary(Module(BEEGO_V2, version))))

    assert {(finding.id, finding.fixed) for finding in result.findings} == expected


def test_a_range_without_a_fix_affects_every_version_and_has_no_fixed_version() -> None:
    result = scan(subject(binary(Module(ASTAXIE, "v1.12.3"))))

    assert found(result) == {("GO-2022-0463", ASTAXIE, None), ("GO-2022-0569", ASTAXIE, None),
                             ("GO-2022-0572", ASTAXIE, None)}


def test_a_replaced_module_is_matched_as_its_replacement() -> None:
    fork = Module(ASTAXIE, "v1.12.3", replace=Module("example.com/beego-fork", "v1.0.0"))
    vulnerable_replacement = Module("example.com/old", "v1.0.0", replace=Module(BEEGO_V2, "v2.0.3"))

    result = scan(subject(binary(fork, vulnerable_replacement)))

    [finding] = result.findings
    assert (finding.id, finding.module, finding.version, finding.replaced) == (
        "GO-2022-0569", BEEGO_V2, "v2.0.3", "example.com/old v1.0.0")


def test_a_module_replaced_by_a_directory_is_listed_as_unchecked() -> None:
    local = Module(ASTAXIE, "v1.12.3", replace=Module("./third_party/beego", ""))

    result = scan(subject(binary(local)))

    assert result.findings == ()
    [unchecked] = result.subjects[0].binaries[0].unchecked
    assert (unchecked.module, unchecked.version) == (ASTAXIE, "v1.12.3")
    assert "./third_party/beego" in unchecked.reason


def test_incompatible_and_devel_versions(tmp_path: Path) -> None:
    database = osv_dir(tmp_path / "db", [
        osv("GO-2099-0001", "github.com/example/old", [("introduced", "0"), ("fixed", "3.0.1")]),
        osv("GO-2099-0002", "example.com/app", [("introduced", "1.0.0"), ("fixed", "1.2.0")]),
    ])
    incompatible = Module("github.com/example/old", "v3.0.0+incompatible")

    result = scan(subject(binary(incompatible, main=Module("example.com/app", "v1.1.0"))), db=database)
    devel = scan(subject(binary(main=Module("example.com/app", "(devel)"))), db=database)

    assert found(result) == {("GO-2099-0001", "github.com/example/old", "v3.0.1"),
                             ("GO-2099-0002", "example.com/app", "v1.2.0")}
    assert devel.findings == () and devel.subjects[0].binaries[0].unchecked == ()


# -- the Go version: stdlib and toolchain --------------------------------------------------------


def test_the_go_version_is_matched_as_stdlib_with_go_release_names() -> None:
    result = scan(subject(binary(go="go1.16.4")))

    assert found(result) == {
        ("GO-2021-0240", "stdlib", "go1.16.5"),
        ("GO-2021-0264", "stdlib", "go1.16.10"),
        ("GO-2022-0273", "stdlib", "go1.16.8"),
    }


def test_the_smallest_fix_above_the_version_in_its_own_range() -> None:
    # GO-2021-0240 is fixed in 1.15.13 and in 1.16.5: a go1.15 build needs 1.15.13
    result = scan(subject(binary(go="go1.15.12")))

    fixed = {finding.id: finding.fixed for finding in result.findings if finding.module == "stdlib"}
    assert fixed["GO-2021-0240"] == "go1.15.13"


def test_toolchain_entries_and_goos_filters() -> None:
    linux = scan(subject(binary(go="go1.15.3", goos="linux")))
    windows = scan(subject(binary(go="go1.15.3", goos="windows"), platform="windows/amd64"))

    toolchain = {finding.id for finding in linux.findings if finding.module == "toolchain"}
    assert toolchain == {"GO-2022-0475", "GO-2022-0476"}  # GO-2021-0068 is for Windows only
    windows_toolchain = {finding.id for finding in windows.findings if finding.module == "toolchain"}
    assert windows_toolchain == {"GO-2021-0068", "GO-2022-0475", "GO-2022-0476"}
    [cmd_go] = [f for f in windows.findings if f.id == "GO-2021-0068"]
    assert [(package.path, package.goos) for package in cmd_go.packages] == [("cmd/go", ("windows",))]


def test_a_current_go_release_is_not_affected_by_old_entries() -> None:
    assert scan(subject(binary(go="go1.25.5"))).findings == ()


@pytest.mark.parametrize(("go", "affected"), [
    ("go1.17rc1", False),  # 1.17.0-rc.1: after 1.16.10's fix, before 1.17.0 reopens the range
    ("go1.17", True),  # Go's name of 1.17.0
    ("go1.17.2 X:boringcrypto", True),
    ("go1.17.3", False),
])
def test_go_prereleases_and_release_names(go: str, affected: bool) -> None:
    result = scan(subject(binary(go=go)))

    assert any(finding.id == "GO-2021-0264" for finding in result.findings) is affected


def test_a_development_go_version_is_listed_as_unchecked() -> None:
    result = scan(subject(binary(go="devel go1.26-abcdef Tue Jan 1 00:00:00 2025 +0000")))

    [unchecked] = result.subjects[0].binaries[0].unchecked
    assert unchecked.module == "stdlib" and "not a Go release" in unchecked.reason


def test_goarch_filters_and_entries_without_a_filter(tmp_path: Path) -> None:
    database = osv_dir(tmp_path / "db", [
        osv("GO-2099-0010", "example.com/lib", [("introduced", "0")],
            imports=[{"path": "example.com/lib/asm", "goarch": ["386", "arm"]},
                     {"path": "example.com/lib/win", "goos": ["windows"]}]),
        osv("GO-2099-0011", "example.com/lib", [("introduced", "0")]),
    ])
    lib = Module("example.com/lib", "v1.0.0")

    amd64 = scan(subject(binary(lib, goarch="amd64")), db=database)
    arm = scan(subject(binary(lib, goarch="arm"), platform="linux/arm/v7"), db=database)
    unknown = scan(subject(binary(lib, goos=None, goarch=None), platform=""), db=database)

    assert {f.id for f in amd64.findings} == {"GO-2099-0011"}
    assert {f.id for f in arm.findings} == {"GO-2099-0010", "GO-2099-0011"}
    [filtered] = [f for f in arm.findings if f.id == "GO-2099-0010"]
    assert [package.path for package in filtered.packages] == ["example.com/lib/asm"]
    # without GOOS/GOARCH settings or a platform, nothing can be ruled out
    assert {f.id for f in unknown.findings} == {"GO-2099-0010", "GO-2099-0011"}


def test_the_subject_platform_stands_in_for_missing_build_settings(tmp_path: Path) -> None:
    database = osv_dir(tmp_path / "db", [osv("GO-2099-0012", "example.com/lib", [("introduced", "0")],
                                             imports=[{"path": "example.com/lib", "goos": ["windows"]}])])

    result = scan(subject(binary(Module("example.com/lib", "v1.0.0"), goos=None, goarch=None),
                          platform="linux/amd64"), db=database)

    assert result.findings == ()


# -- OSV details ------------------------------------------------------------------------------


def test_last_affected_limit_and_explicit_versions(tmp_path: Path) -> None:
    database = osv_dir(tmp_path / "db", [
        osv("GO-2099-0020", "example.com/a", [("introduced", "1.0.0"), ("last_affected", "1.4.0")]),
        osv("GO-2099-0021", "example.com/b", [("introduced", "0"), ("limit", "2.0.0")]),
        osv("GO-2099-0022", "example.com/c", [], versions=["v1.1.0", "1.3.0"]),
    ])

    def ids(path: str, version: str) -> set[str]:
        return {f.id for f in scan(subject(binary(Module(path, version))), db=database).findings}

    assert ids("example.com/a", "v1.4.0") == {"GO-2099-0020"}
    assert ids("example.com/a", "v1.4.1") == set()
    assert ids("example.com/b", "v1.9.9") == {"GO-2099-0021"}
    assert ids("example.com/b", "v2.0.0") == set()
    assert ids("example.com/c", "v1.3.0") == {"GO-2099-0022"}
    assert ids("example.com/c", "v1.2.0") == set()


def test_withdrawn_entries_are_skipped(tmp_path: Path) -> None:
    database = osv_dir(tmp_path / "db", [
        osv("GO-2099-0030", "example.com/a", [("introduced", "0")], withdrawn="2024-02-01T00:00:00Z"),
        osv("GO-2099-0031", "example.com/a", [("introduced", "0")]),
    ])

    result = scan(subject(binary(Module("example.com/a", "v1.0.0"))), db=database)

    assert {finding.id for finding in result.findings} == {"GO-2099-0031"}


def test_a_go_entry_and_its_github_advisory_are_one_finding_with_the_advisory_severity(
        tmp_path: Path) -> None:
    go_entry = osv("GO-2099-0040", "example.com/a", [("introduced", "0"), ("fixed", "1.2.0")],
                   aliases=["CVE-2099-1", "GHSA-aaaa-bbbb-cccc"])
    github = osv("GHSA-aaaa-bbbb-cccc", "example.com/a", [("introduced", "0"), ("fixed", "1.2.0")],
                 aliases=["CVE-2099-1"], database_specific={"severity": "HIGH"},
                 severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}])
    database = osv_dir(tmp_path / "db", [go_entry, github])

    result = scan(subject(binary(Module("example.com/a", "v1.0.0"))), db=database)

    [finding] = result.findings
    assert finding.id == "GO-2099-0040"
    assert set(finding.vulnerability.aliases) == {"CVE-2099-1", "GHSA-aaaa-bbbb-cccc"}
    assert finding.severity is Severity.HIGH and finding.vulnerability.score == 7.5


def test_each_binary_and_platform_has_its_own_findings() -> None:
    old = binary(Module(BEEGO_V2, "v2.0.3"), path="/app/old")
    new = binary(Module(BEEGO_V2, "v2.0.4"), path="/app/new")
    arm = binary(Module(BEEGO_V2, "v2.0.3"), goarch="arm64", path="/app/old")

    result = scan(subject(old, new), subject(arm, platform="linux/arm64"))

    assert [(f.platform, f.binary, f.id) for f in result.findings] == [
        ("linux/amd64", "/app/old", "GO-2022-0569"), ("linux/arm64", "/app/old", "GO-2022-0569")]
    assert result.binaries == 3


def test_no_go_binary_at_all_is_an_image_error() -> None:
    empty = subject(skipped=[Skipped("/bin/busybox", "not a Go program")])

    with pytest.raises(NoGoBinariesError) as caught:
        scan(empty)

    assert caught.value.exit_code is ExitCode.IMAGE
    assert "/bin/busybox: not a Go program" in caught.value.message
    assert "registry.example.com/app:v1" in caught.value.message


def test_the_v1_directory_and_a_flat_osv_directory_give_the_same_findings(tmp_path: Path) -> None:
    flat = tmp_path / "osv"
    flat.mkdir()
    for entry in (TESTDB / "ID").iterdir():
        (flat / entry.name).write_bytes(entry.read_bytes())
    target = subject(binary(Module(CRYPTO, "v0.0.0-20190308221718-c2843e01d9a2"),
                            Module(ASTAXIE, "v1.12.3"), Module(BEEGO_V2, "v2.0.1"), go="go1.15.3"))

    from_v1, from_flat = scan(target), scan(target, db=flat)

    assert found(from_v1) == found(from_flat)
    assert len(from_v1.findings) == 12
    assert from_flat.database.kind == "OSV directory" and from_v1.database.kind == "v1 directory"
