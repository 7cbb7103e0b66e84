"""`goship sbom oci:DIR` on a two-platform image whose layers hold the Go program beside an
executable that is not Go: one document covering the index by default, one platform with
--platform, the non-Go executable named on stderr and in the document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from tests.conftest import Goship
from tests.integration.supply.sbom.programs import (
    PLATFORMS,
    Programs,
    cyclonedx_modules,
    expected_components,
    index_of,
    spdx_modules,
)
from tests.unit.supply.sbom.spdx_schema import spdx_problems

from goship.oci.layout import write_layout

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def layout(programs: Programs, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("sbom-layout")
    write_layout(work / "layout", index_of(programs, work / "blobs"), "sbomtest")
    return work / "layout"


def index_digests(layout: Path) -> tuple[str, dict[str, str]]:
    """The index digest index.json names, and each platform's manifest digest."""
    [entry] = json.loads((layout / "index.json").read_text())["manifests"]
    index = json.loads((layout / "blobs" / "sha256" / entry["digest"].split(":")[1]).read_text())
    platforms = {f"{item['platform']['os']}/{item['platform']['architecture']}": item["digest"]
                 for item in index["manifests"]}
    return entry["digest"], platforms


def run(goship: Goship, *args: str, cwd: Path) -> tuple[dict[str, Any], str]:
    result = goship("sbom", *args, cwd=cwd)
    assert result.code == 0, result.output
    return json.loads(result.stdout), result.stderr


def test_an_index_gives_one_document_for_every_platform_naming_what_was_skipped(
        programs: Programs, layout: Path, goship: Goship, tmp_path: Path) -> None:
    bom, stderr = run(goship, f"oci:{layout}", cwd=tmp_path)
    index, platforms = index_digests(layout)
    for platform in PLATFORMS:
        assert f"goship: skipped /bin/true ({platform}): not a Go program" in stderr
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(bom)) is None

    root = bom["metadata"]["component"]
    assert (root["type"], root["version"]) == ("container", index)
    graph = {item["ref"]: item["dependsOn"] for item in bom["dependencies"]}
    components = {item["bom-ref"]: item for item in bom["components"]}
    images = graph[root["bom-ref"]]
    assert sorted(components[ref]["version"] for ref in images) == sorted(platforms.values())
    for ref in images:
        image = components[ref]
        notes = {(item["name"], item["value"]) for item in image["properties"]}
        assert ("goship:skipped", "/bin/true: not a Go program") in notes
        [binary] = graph[ref]
        settings = {item["name"]: item["value"] for item in components[binary]["properties"]}
        assert settings["goship:binary:path"] == "/app/sbomtest"
        assert platforms[f"{settings['goship:build:GOOS']}/{settings['goship:build:GOARCH']}"] == \
            image["version"]
    # Both platforms' binaries use the same module versions: each is listed once.
    expected = expected_components(programs.modules(programs.build("modules", "linux/amd64")))
    assert cyclonedx_modules(bom) == expected


def test_a_platform_gives_that_image_alone(programs: Programs, layout: Path, goship: Goship,
                                           tmp_path: Path) -> None:
    _, platforms = index_digests(layout)
    document, stderr = run(goship, f"oci:{layout}", "--platform", "linux/arm64", "--format", "spdx",
                           cwd=tmp_path)
    assert spdx_problems(document) == []
    assert "skipped /bin/true: not a Go program" in stderr and "linux/amd64" not in stderr
    [described] = [item["relatedSpdxElement"] for item in document["relationships"]
                   if item["relationshipType"] == "DESCRIBES"]
    root = next(package for package in document["packages"] if package["SPDXID"] == described)
    assert root["versionInfo"] == platforms["linux/arm64"]
    notes = {note["comment"] for package in document["packages"] for note in package.get("annotations", [])}
    assert "goship:build:GOARCH=arm64" in notes and "goship:build:GOARCH=amd64" not in notes
    assert spdx_modules(document) == expected_components(
        programs.modules(programs.build("modules", "linux/arm64")))


def test_the_same_layout_gives_the_same_bytes_and_a_missing_platform_is_refused(
        layout: Path, goship: Goship, tmp_path: Path) -> None:
    first = goship("sbom", f"oci:{layout}", cwd=tmp_path)
    second = goship("sbom", f"oci:{layout}", cwd=tmp_path)
    assert first.code == second.code == 0 and first.stdout == second.stdout
    missing = goship("sbom", f"oci:{layout}", "--platform", "linux/s390x", cwd=tmp_path)
    assert missing.code == 2 and "linux/amd64, linux/arm64" in missing.stderr and missing.stdout == ""
