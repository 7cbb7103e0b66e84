"""The documents as files: CycloneDX against the 1.6 schema, SPDX against the 2.3 rules, and
the SPDX mapping of packages, checksums, purls, annotations and relationships."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from tests.unit.supply.sbom.handmade import (
    AMD64,
    ARM64,
    binary,
    build_info,
    document,
    image,
    module,
    on_disk,
    sha256_of_sum,
)
from tests.unit.supply.sbom.spdx_schema import spdx_problems

from goship.gobinary.moduleinfo import Module
from goship.gobinary.subject import Skipped, Subject
from goship.supply.sbom import make_documents


def _deps() -> list[Module]:
    return [module("github.com/BurntSushi/toml", "v1.2.1"),
            module("github.com/docker/docker", "v20.10.0+incompatible"),
            Module("example.com/orig", "v1.0.0", "", module("example.com/fork", "v1.0.1")),
            Module("example.com/local", "v1.0.0", "", Module("./local/dir", "(devel)"))]


def _sources() -> dict[str, list[Subject]]:
    amd64 = image(AMD64, "linux/amd64", binary("/app/api", build_info(*_deps())),
                  binary("/app/tool", build_info(_deps()[0], go="go1.24.2")),
                  skipped=(Skipped("/bin/sh", "not a Go program"),))
    arm64 = image(ARM64, "linux/arm64", binary("/app/api", build_info(*_deps(), goarch="arm64")))
    return {"binary": [on_disk(build_info(*_deps()))],
            "image": [image(AMD64, "linux/amd64", *amd64.binaries, index=None)],
            "index": [amd64, arm64]}


@pytest.mark.parametrize("source", ["binary", "image", "index"])
def test_cyclonedx_documents_validate_against_the_1_6_schema(source: str) -> None:
    [made] = make_documents(_sources()[source], "cyclonedx", tool_version="0.1.0")
    assert made.media_type == "application/vnd.cyclonedx+json"
    bom = json.loads(made.content)
    assert (bom["bomFormat"], bom["specVersion"]) == ("CycloneDX", "1.6")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(made.content.decode()) is None


def test_the_cyclonedx_validator_rejects_a_broken_document() -> None:
    """The check above must be able to fail: a hash that is not hex is refused."""
    [made] = make_documents(_sources()["binary"], "cyclonedx", tool_version="0.1.0")
    bom = json.loads(made.content)
    bom["components"][0]["hashes"] = [{"alg": "SHA-256", "content": "not hex"}]
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(bom)) is not None


@pytest.mark.parametrize("source", ["binary", "image", "index"])
def test_spdx_documents_meet_the_2_3_rules(source: str) -> None:
    [made] = make_documents(_sources()[source], "spdx", tool_version="0.1.0")
    assert made.media_type == "text/spdx+json"
    assert spdx_problems(json.loads(made.content)) == []


def test_the_spdx_rules_catch_broken_documents() -> None:
    spdx = document(_sources()["image"], "spdx")
    broken: list[dict[str, Any]] = []
    for change in ("no download location", "bad id", "bad checksum", "dangling", "bad date"):
        copied = copy.deepcopy(spdx)
        if change == "no download location":
            del copied["packages"][0]["downloadLocation"]
        elif change == "bad id":
            copied["packages"][1]["SPDXID"] = "SPDXRef-has space"
        elif change == "bad checksum":
            copied["packages"][1]["checksums"] = [{"algorithm": "SHA-256", "checksumValue": "ab"}]
        elif change == "dangling":
            copied["relationships"][-1]["relatedSpdxElement"] = "SPDXRef-Package-nowhere"
        else:
            copied["creationInfo"]["created"] = "2024-10-01 12:00:00"
        broken.append(copied)
    assert all(spdx_problems(item) for item in broken)


def test_spdx_packages_carry_versions_checksums_purls_and_goship_properties() -> None:
    spdx = document(_sources()["image"], "spdx")
    packages = {package["name"]: package for package in spdx["packages"]}
    [root_id] = [item["relatedSpdxElement"] for item in spdx["relationships"]
                 if item["relationshipType"] == "DESCRIBES"]
    root = next(package for package in spdx["packages"] if package["SPDXID"] == root_id)
    assert (root["name"], root["versionInfo"], root["primaryPackagePurpose"]) == (
        "registry.example.com/team/hello", AMD64, "CONTAINER")
    toml = packages["github.com/BurntSushi/toml"]
    assert toml["versionInfo"] == "v1.2.1" and toml["primaryPackagePurpose"] == "LIBRARY"
    assert toml["checksums"] == [{"algorithm": "SHA256", "checksumValue": sha256_of_sum(_deps()[0].sum)}]
    assert "h1:" in toml["comment"] and "not the hash of a downloadable file" in toml["comment"]
    assert toml["externalRefs"] == [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                                     "referenceLocator": "pkg:golang/github.com/BurntSushi/toml@v1.2.1"}]
    assert "versionInfo" not in packages["example.com/local"]
    stdlib_versions = sorted(package["versionInfo"] for package in spdx["packages"]
                             if package["name"] == "stdlib")
    assert stdlib_versions == ["go1.24.2", "go1.25.5"]
    api = next(package for package in spdx["packages"]
               if any(note["comment"] == "goship:binary:path=/app/api"
                      for note in package.get("annotations", [])))
    notes = {note["comment"] for note in api["annotations"]}
    assert {"goship:build:GOOS=linux", "goship:build:GOARCH=amd64", "goship:build:CGO_ENABLED=0",
            "goship:build:-ldflags=-s -w -X main.version=1.2.3"} <= notes
    # The image contains the binaries; the binary depends on its modules and stdlib.
    kinds = {(item["spdxElementId"], item["relationshipType"], item["relatedSpdxElement"])
             for item in spdx["relationships"]}
    assert (root_id, "CONTAINS", api["SPDXID"]) in kinds
    assert (api["SPDXID"], "DEPENDS_ON", toml["SPDXID"]) in kinds
    depended = {target for source, kind, target in kinds if source == api["SPDXID"] and kind == "DEPENDS_ON"}
    names = {package["SPDXID"]: package["name"] for package in spdx["packages"]}
    assert sorted(names[item] for item in depended) == sorted(
        ["github.com/BurntSushi/toml", "github.com/docker/docker", "example.com/fork", "example.com/local",
         "stdlib"])
