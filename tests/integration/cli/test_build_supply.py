"""`goship build --sbom`, `--scan` and `--sign` with a real Go build against the real
distribution registry: the SBOM attached to what was pushed, the vulnerability gate that
pushes nothing, and a signature `goship verify-signature` accepts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import Goship
from tests.fixtures.gomodules import module_list
from tests.fixtures.registry import RunningRegistry
from tests.fixtures.samples import unique_repository
from tests.integration.cli.supply_projects import (
    CONFIG,
    CRYPTO,
    CRYPTO_OLD,
    NAME,
    PASSWORD,
    VULNERABILITY,
    WAIVER,
    attached_sbom,
    library_components,
    make_keys,
    make_project,
    make_template,
    repository_stored,
    tags_of,
)

pytestmark = pytest.mark.integration

CRYPTO_FIX = "v0.0.0-20200124225646-8b5121be2f68"


@pytest.fixture(scope="module")
def template(base_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("build-supply"), base_env)


def test_the_sbom_is_attached_to_the_pushed_index_and_each_platform_image(
        goship: Goship, template: Path, tmp_path: Path, registry_plain: RunningRegistry,
        base_env: dict[str, str]) -> None:
    project = make_project(template, tmp_path / "service")
    repository = unique_repository("build-sbom")
    target = f"{registry_plain.host}/{repository}"

    built = goship("build", "--push", target, "--tag", "v1", "--platform", "linux/amd64,linux/arm64",
                   "--sbom", "--json", cwd=project)

    assert built.code == 0, built.output
    image = json.loads(built.stdout)["images"][0]
    index = image["digest"]
    records = {record["platform"]: record for record in image["sbom"]}
    assert set(records) == {None, "linux/amd64", "linux/arm64"}
    assert records[None]["subject"] == index and records[None]["top"] is True
    assert records[None]["attached"]["cosign_tag"] == index.replace(":", "-") + ".sbom"
    # The index's document is the one `goship sbom` makes of the pushed image, byte for byte.
    document = attached_sbom(registry_plain, repository, index)
    made = goship("sbom", f"{target}:v1", cwd=tmp_path)
    assert made.code == 0, made.output
    assert document == made.stdout.encode()
    # It lists the modules `go version -m` reports of the binary built, and the standard library.
    binary = project / ".goship" / "build" / NAME / "linux-amd64" / NAME
    reported = {(line[1], line[2]) for line in module_list(binary, base_env) if line[0] == "dep"}
    assert reported == {(CRYPTO, CRYPTO_OLD)}
    listed = library_components(document)
    assert {item for item in listed if item[0] != "stdlib"} == reported
    assert [name for name, _ in listed].count("stdlib") == 1
    # Each platform image carries the SBOM of exactly itself.
    for platform in ("linux/amd64", "linux/arm64"):
        digest = records[platform]["subject"]
        own = json.loads(attached_sbom(registry_plain, repository, digest))
        assert own["metadata"]["component"]["version"] == digest


def test_the_scan_gate_stops_the_build_before_anything_is_pushed(
        goship: Goship, template: Path, tmp_path: Path, registry_plain: RunningRegistry) -> None:
    project = make_project(template, tmp_path / "service", CONFIG + "\n[build]\nscan = true\n")
    repository = unique_repository("build-gate")
    target = f"{registry_plain.host}/{repository}"

    refused = goship("build", "--push", target, "--tag", "v1", cwd=project)

    assert refused.code == 12, refused.output
    assert "Traceback" not in refused.output and refused.stdout == ""
    row = next(line for line in refused.stderr.splitlines() if line.strip().startswith(VULNERABILITY))
    assert CRYPTO in row and CRYPTO_OLD in row and CRYPTO_FIX in row and row.rstrip().endswith("fails")
    assert "no blob, manifest or tag was pushed" in refused.stderr and "hint:" in refused.stderr
    assert not repository_stored(registry_plain, repository)
    assert tags_of(registry_plain, repository) == []

    # Nor does it write the OCI layout of a build that pushes nowhere.
    local = goship("build", cwd=project)
    assert local.code == 12, local.output
    assert not (project / ".goship" / "oci" / "index.json").exists()

    # The Go database rates nothing, so a finding counts only for --scan=any (the default).
    rated = goship("build", "--push", target, "--tag", "v1", "--scan=high", "--json", cwd=project)
    assert rated.code == 0, rated.output
    scan = json.loads(rated.stdout)["scan"]
    assert scan["fail_on"] == "high"
    assert scan["summary"]["findings"] == 1 and scan["summary"]["failing"] == 0
    assert tags_of(registry_plain, repository) == ["v1"]


def test_no_flags_override_the_steps_goship_toml_turns_on(
        goship: Goship, template: Path, tmp_path: Path, registry_plain: RunningRegistry) -> None:
    project = make_project(template, tmp_path / "service",
                           CONFIG + '\n[build]\nscan = true\nsbom = true\nsign-key = "missing.key"\n')
    repository = unique_repository("build-overridden")
    target = f"{registry_plain.host}/{repository}"

    # [build] asks for a gate that would fail, an SBOM and a signature with a key that does
    # not exist; the --no-* flags turn each off for this one build.
    built = goship("build", "--push", target, "--tag", "v1", "--no-scan", "--no-sbom", "--no-sign",
                   "--json", cwd=project)

    assert built.code == 0, built.output
    assert VULNERABILITY not in built.stderr
    document = json.loads(built.stdout)
    assert document.get("scan") is None
    assert all(image["sbom"] == [] and image["signature"] is None for image in document["images"])
    assert tags_of(registry_plain, repository) == ["v1"]
    both = goship("build", "--scan", "--no-scan", cwd=project)
    assert both.code == 2 and "not allowed with argument" in both.stderr


def test_a_waiver_lets_the_gated_build_through(
        goship: Goship, template: Path, tmp_path: Path, registry_plain: RunningRegistry) -> None:
    project = make_project(template, tmp_path / "service", CONFIG + WAIVER)
    repository = unique_repository("build-waived")
    target = f"{registry_plain.host}/{repository}"

    built = goship("build", "--push", target, "--tag", "v1", "--scan", cwd=project)

    assert built.code == 0, built.output
    row = next(line for line in built.stderr.splitlines() if line.strip().startswith(VULNERABILITY))
    assert "waived until 2999-12-31: the service parses no X.509 input" in row
    assert tags_of(registry_plain, repository) == ["v1"]
    assert built.stdout.splitlines()[1].startswith(f"{target}:v1@sha256:")


def test_a_signed_build_verifies_and_a_wrong_password_builds_nothing(
        goship: Goship, template: Path, tmp_path: Path, registry_plain: RunningRegistry) -> None:
    project = make_project(template, tmp_path / "service")
    key, public = make_keys(goship, tmp_path / "keys")
    repository = unique_repository("build-signed")
    target = f"{registry_plain.host}/{repository}"

    wrong = goship("build", "--push", f"{target}:v1", "--sign", str(key), cwd=project,
                   env={"GOSHIP_PASSWORD": "not the password"})
    assert wrong.code == 11, wrong.output
    assert "wrong password" in wrong.stderr and "compiling" not in wrong.stderr
    assert not repository_stored(registry_plain, repository)

    signed = goship("build", "--push", f"{target}:v1", "--sign", str(key), cwd=project,
                    env={"GOSHIP_PASSWORD": PASSWORD})

    assert signed.code == 0, signed.output
    lines = signed.stdout.splitlines()
    digest = lines[0].split()[2]
    assert lines[1] == f"{target}:v1@{digest}"
    assert lines[2].startswith(f"{target}:{digest.replace(':', '-')}.sig@sha256:")
    verified = goship("verify-signature", f"{target}:v1", "--key", str(public), cwd=tmp_path)
    assert verified.code == 0, verified.output
    assert digest in verified.output


def test_without_a_registry_the_sbom_is_written_under_goship_sbom(
        goship: Goship, template: Path, tmp_path: Path) -> None:
    project = make_project(template, tmp_path / "service", CONFIG + "\n[build]\nsbom = true\n")

    built = goship("build", "--json", cwd=project)

    assert built.code == 0, built.output
    image = json.loads(built.stdout)["images"][0]
    written = project / ".goship" / "sbom" / (image["digest"].replace(":", "-") + ".cdx.json")
    assert image["sbom"][0]["file"] == str(written) and image["sbom"][0]["attached"] is None
    made = goship("sbom", f"oci:{project / '.goship' / 'oci'}:{NAME}:latest", cwd=project)
    assert made.code == 0, made.output
    assert written.read_bytes() == made.stdout.encode()
    assert (CRYPTO, CRYPTO_OLD) in library_components(written.read_bytes())

    nowhere = goship("build", "--sign", "cosign.key", cwd=project)
    assert nowhere.code == 2, nowhere.output
    assert "--sign cosign.key" in nowhere.stderr and "--push" in nowhere.stderr

    (project / "goship.toml").write_text(CONFIG + '\n[build]\nsbom = "yes"\n')
    malformed = goship("build", cwd=project)
    assert malformed.code == 3, malformed.output
    assert "build.sbom" in malformed.stderr and "true or false" in malformed.stderr
