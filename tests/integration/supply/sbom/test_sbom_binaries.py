"""`goship sbom BINARY` on Go programs built with real module dependencies: the components are
exactly the modules `go version -m` reports, with purls and the SHA-256 of their h1: sums;
the documents validate; the bytes never change; and bad input gets a clear error."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from tests.conftest import Goship
from tests.fixtures.tools import need
from tests.integration.supply.sbom.programs import (
    Programs,
    cyclonedx_modules,
    expected_components,
    spdx_modules,
)
from tests.unit.supply.sbom.spdx_schema import spdx_problems

pytestmark = pytest.mark.integration


def sbom(goship: Goship, *args: str, cwd: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = goship("sbom", *args, cwd=cwd, env=env)
    assert result.code == 0, result.output
    return json.loads(result.stdout)


def go_version(go_binary: Path, binary: Path) -> str:
    first = subprocess.run([str(go_binary), "version", str(binary)], capture_output=True, text=True,
                           check=True).stdout.strip()
    return first.rsplit(" ", 1)[1]


@pytest.mark.parametrize("flavour", ["modules", "vendored"])
def test_cyclonedx_lists_exactly_the_modules_go_version_m_reports(
        programs: Programs, goship: Goship, go_binary: Path, tmp_path: Path, flavour: str) -> None:
    binary = programs.build(flavour)
    expected = expected_components(programs.modules(binary, flavour))
    result = goship("sbom", str(binary), cwd=tmp_path)
    assert result.code == 0, result.output
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(result.stdout) is None
    bom = json.loads(result.stdout)

    assert cyclonedx_modules(bom) == expected
    assert len(expected) == 6
    if flavour == "modules":  # a vendored build records no sums, so there is nothing to hash
        assert all(digest for _name, version, _purl, digest in expected if version is not None)
    [stdlib] = [item for item in bom["components"] if item["name"] == "stdlib"]
    version = go_version(go_binary, binary)
    assert stdlib["version"] == version
    assert stdlib["purl"] == f"pkg:golang/stdlib@{version.removeprefix('go')}"
    # The described component is the binary: it depends on every module and the stdlib.
    root = bom["metadata"]["component"]
    [graph] = [item for item in bom["dependencies"] if item["ref"] == root["bom-ref"]]
    refs = {item["bom-ref"] for item in bom["components"]}
    assert set(graph["dependsOn"]) == refs
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("flavour", ["modules", "vendored"])
def test_spdx_lists_exactly_the_modules_go_version_m_reports(
        programs: Programs, goship: Goship, tmp_path: Path, flavour: str) -> None:
    binary = programs.build(flavour)
    document = sbom(goship, str(binary), "--format", "spdx", cwd=tmp_path)
    assert spdx_problems(document) == []
    assert spdx_modules(document) == expected_components(programs.modules(binary, flavour))


def test_the_binary_carries_its_file_hash_and_build_settings(programs: Programs, goship: Goship,
                                                             go_binary: Path, tmp_path: Path) -> None:
    binary = programs.build()
    root = sbom(goship, str(binary), cwd=tmp_path)["metadata"]["component"]
    assert (root["type"], root["name"]) == ("application", "example.com/sbomtest")
    assert root["hashes"] == [{"alg": "SHA-256", "content": hashlib.sha256(binary.read_bytes()).hexdigest()}]
    properties = {item["name"]: item["value"] for item in root["properties"]}
    # Every `build` line of `go version -m`, and nothing else, as goship:build:<key>.
    printed = subprocess.run([str(go_binary), "version", "-m", str(binary)], capture_output=True, text=True,
                             check=True).stdout.splitlines()
    expected = dict(line.strip().split("\t", 1)[1].split("=", 1) for line in printed
                    if line.strip().startswith("build\t"))
    settings = {name.removeprefix("goship:build:"): value for name, value in properties.items()
                if name.startswith("goship:build:")}
    assert settings == expected
    assert settings["GOOS"] == "linux" and settings["GOARCH"] == "amd64" and settings["CGO_ENABLED"] == "0"
    assert settings["-trimpath"] == "true"
    assert "-ldflags" not in settings  # Go leaves ldflags out of a -trimpath build (go.dev/issue/52372)
    assert properties["goship:go:package"] == "example.com/sbomtest"
    assert properties["goship:binary:path"] == binary.name


@pytest.mark.parametrize("format", ["cyclonedx", "spdx"])
def test_the_same_binary_gives_the_same_bytes_every_time(programs: Programs, goship: Goship,
                                                         tmp_path: Path, format: str) -> None:
    binary = programs.build()
    first = goship("sbom", str(binary), "--format", format, cwd=tmp_path)
    second = goship("sbom", str(binary), "--format", format, cwd=tmp_path)
    assert first.code == second.code == 0, first.output + second.output
    assert first.stdout == second.stdout and first.stdout
    # --output writes the same bytes, through a temporary file that does not stay behind.
    out = tmp_path / "out"
    out.mkdir()
    written = goship("sbom", str(binary), "--format", format, "--output", str(out / "sbom.json"),
                     cwd=tmp_path)
    assert written.code == 0 and written.stdout == ""
    assert (out / "sbom.json").read_text() == first.stdout
    assert [item.name for item in out.iterdir()] == ["sbom.json"]
    assert f"to {out / 'sbom.json'}" in written.stderr


def test_source_date_epoch_sets_the_documents_time(programs: Programs, goship: Goship,
                                                   tmp_path: Path) -> None:
    binary = programs.build()
    bom = sbom(goship, str(binary), cwd=tmp_path, env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert bom["metadata"]["timestamp"] == "2023-11-14T22:13:20+00:00"
    spdx = sbom(goship, str(binary), "--format", "spdx", cwd=tmp_path,
                env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert spdx["creationInfo"]["created"] == "2023-11-14T22:13:20Z"
    # Without it (and with no vcs.time in a build outside git) the time is the Unix epoch.
    assert sbom(goship, str(binary), cwd=tmp_path)["metadata"]["timestamp"] == "1970-01-01T00:00:00+00:00"
    bad = goship("sbom", str(binary), cwd=tmp_path, env={"SOURCE_DATE_EPOCH": "yesterday"})
    assert bad.code == 3 and "SOURCE_DATE_EPOCH" in bad.stderr


@pytest.mark.parametrize("what", ["c program", "text file"])
def test_a_file_that_is_not_a_go_program_is_refused_with_exit_code_5(goship: Goship, tmp_path: Path,
                                                                    what: str) -> None:
    if what == "c program":
        path = Path(need("true"))  # an ELF program written in C
    else:
        path = tmp_path / "notes.txt"
        path.write_text("not a program\n")
    output = tmp_path / "sbom.json"
    result = goship("sbom", str(path), "--output", str(output), cwd=tmp_path)
    assert result.code == 5, result.output
    assert f"goship: error: {path}" in result.stderr and "hint:" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not output.exists()


def test_options_that_do_not_fit_the_source_are_usage_errors(programs: Programs, goship: Goship,
                                                           tmp_path: Path) -> None:
    binary = str(programs.build())
    attach = goship("sbom", binary, "--attach", cwd=tmp_path)
    assert attach.code == 2 and "--attach needs an image in a registry" in attach.stderr
    platform = goship("sbom", binary, "--platform", "linux", cwd=tmp_path)
    assert platform.code == 2 and "not a platform" in platform.stderr
    other = goship("sbom", binary, "--platform", "linux/arm64", cwd=tmp_path)
    assert other.code == 2 and "linux/amd64" in other.stderr
    missing = goship("sbom", str(tmp_path / "nothing-here"), cwd=tmp_path)
    assert missing.code == 2 and "no such file" in missing.stderr
    assert all("Traceback" not in item.stderr for item in (attach, platform, other, missing))


@pytest.mark.parametrize("flavour", ["modules", "vendored"])
def test_spdx_passes_the_spdx_projects_own_parser_and_validator(
        programs: Programs, goship: Goship, tmp_path: Path, flavour: str) -> None:
    # spdx-tools is the SPDX project's reference implementation: an independent reading of
    # the 2.3 specification, beside goship's own structural checks.
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    binary = programs.build(flavour)
    output = tmp_path / "sbom.spdx.json"
    result = goship("sbom", str(binary), "--format", "spdx", "-o", str(output), cwd=tmp_path)
    assert result.code == 0, result.output
    document = parse_file(str(output))
    messages = validate_full_spdx_document(document, "SPDX-2.3")
    assert [message.validation_message for message in messages] == []
    names = {package.name for package in document.packages}
    assert "stdlib" in names and "example.com/sbomtest" in names
