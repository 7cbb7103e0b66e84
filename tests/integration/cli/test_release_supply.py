"""`goship release` with the vulnerability gate, SBOMs and signing: a failing gate leaves the
registry and git untouched; a passing release is pushed, attached, signed, then tagged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import Goship, git
from tests.fixtures.registry import RunningRegistry
from tests.fixtures.samples import unique_repository
from tests.integration.cli.supply_projects import (
    CONFIG,
    CRYPTO,
    CRYPTO_OLD,
    PASSWORD,
    VULNERABILITY,
    WAIVER,
    attached_sbom,
    commit_all,
    library_components,
    make_keys,
    make_project,
    make_template,
    repository_stored,
    tags_of,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def template(base_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("release-supply"), base_env)


def test_a_failing_gate_stops_the_release_before_the_push_and_the_git_tag(
        goship: Goship, template: Path, tmp_path: Path, registry_plain: RunningRegistry) -> None:
    repository = unique_repository("release-gate")
    target = f"{registry_plain.host}/{repository}"
    config = f'repository = "{target}"\n' + CONFIG
    project = make_project(template, tmp_path / "service", config)
    head = git(project, "rev-parse", "HEAD")

    refused = goship("release", "--scan", cwd=project)

    assert refused.code == 12, refused.output
    assert VULNERABILITY in refused.stderr and "the release stopped before publishing" in refused.stderr
    assert git(project, "tag") == "" and git(project, "rev-parse", "HEAD") == head
    assert not (project / "CHANGELOG.md").exists()
    assert not repository_stored(registry_plain, repository)

    # Accepted by a waiver, committed (a release builds a clean tree), with every step in
    # goship.toml and the key beside the project: pushed, attached, signed, then tagged.
    key, public = make_keys(goship, tmp_path / "keys")
    (project / "goship.toml").write_text(
        config + WAIVER + '\n[build]\nscan = true\nsbom = true\nsign-key = "../keys/cosign.key"\n')
    commit_all(project, "fix: accept GO-2022-0229 with a waiver")

    released = goship("release", "--json", cwd=project, env={"GOSHIP_PASSWORD": PASSWORD})

    assert released.code == 0, released.output
    summary = json.loads(released.stdout)
    image = summary["images"][0]
    digest = image["digest"]
    assert summary["git_tag_created"] is True and git(project, "tag") == "v0.1.0"
    assert tags_of(registry_plain, repository)[:1] == ["0.1.0"]
    findings = [finding for subject in summary["scan"]["subjects"] for binary in subject["binaries"]
                for finding in binary["findings"]]
    assert [(finding["id"], finding["fails"], finding["waiver"]["id"]) for finding in findings] == [
        (VULNERABILITY, False, VULNERABILITY)]
    assert image["sbom"][0]["subject"] == digest
    assert (CRYPTO, CRYPTO_OLD) in library_components(attached_sbom(registry_plain, repository, digest))
    assert image["signature"]["digest"] == digest
    assert Path(image["signature"]["key"]).resolve() == key.resolve()
    verified = goship("verify-signature", f"{target}:0.1.0", "--key", str(public), cwd=tmp_path)
    assert verified.code == 0, verified.output
