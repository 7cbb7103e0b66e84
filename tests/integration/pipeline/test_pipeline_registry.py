"""`goship pipeline` end to end on the example service, against the real distribution
registry: test, lint, build, sbom, scan, push and sign all pass and the registry holds the
signed image; a failing Go test or a vulnerable module stops the run with its exit code and
the registry is left untouched (deploy has its own tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import Goship, git
from tests.fixtures.gomodules import Dependency, write_program
from tests.fixtures.registry import RunningRegistry
from tests.fixtures.samples import unique_repository
from tests.integration.pipeline.projects import (
    FAILING_TEST,
    TESTDB,
    digest_of,
    junit_cases,
    project,
    report,
    stage_results,
    tags_in,
)

pytestmark = pytest.mark.integration

PASSWORD = "pipeline secret"
ALL_BUT_DEPLOY = ["test", "lint", "build", "sbom", "scan", "push", "sign"]


@pytest.fixture(scope="module")
def key_pair(base_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A signing key pair made by `goship keygen`, outside any project (not in git)."""
    work = tmp_path_factory.mktemp("pipeline-keys")
    made = Goship(dict(base_env))("keygen", "--output-key-prefix", str(work / "cosign"), cwd=work,
                                  env={"GOSHIP_PASSWORD": PASSWORD})
    assert made.code == 0, made.output
    return work / "cosign.key", work / "cosign.pub"


def test_every_stage_passes_and_the_registry_holds_the_signed_image(
        goship: Goship, registry_plain: RunningRegistry, key_pair: tuple[Path, Path], tmp_path: Path) -> None:
    repository = unique_repository("pipeline")
    private, public = key_pair
    root = project(tmp_path / "hello", top=f'repository = "{registry_plain.host}/{repository}"', tables=f"""
[pipeline]
stages = {json.dumps(ALL_BUT_DEPLOY)}

[pipeline.sign]
key = "{private}"

[scan]
db = "{TESTDB}"
""")

    result = goship("pipeline", "--json", cwd=root, env={"GOSHIP_PASSWORD": PASSWORD})

    assert result.code == 0, result.output
    document = report(result)
    assert stage_results(document) == dict.fromkeys(ALL_BUT_DEPLOY, "ok")
    for number, stage in enumerate(ALL_BUT_DEPLOY, start=1):  # the live lines, one as each ends
        assert f"[{number}/7] {stage:<7} ok " in result.stderr
    stages = {stage["name"]: stage for stage in document["stages"]}
    assert stages["test"]["details"]["race_detector"] is True
    assert "race detector on" in stages["test"]["summary"]
    [built] = stages["build"]["details"]["images"]
    [pushed] = document["images"]
    assert pushed["digest"] == built["digest"]
    assert pushed["repository"] == f"{registry_plain.host}/{repository}"

    # What a user finds in the registry: the tag names the image built, it is signed, and its
    # SBOM is attached (cosign's .sbom tag, and the referrers fallback tag listing it).
    subject = "sha256-" + built["digest"][7:]
    assert sorted(tags_in(registry_plain, repository)) == sorted(["latest", subject, subject + ".sbom",
                                                                  subject + ".sig"])
    assert stages["push"]["details"]["images"][0]["sbom"] == [subject + ".sbom"]
    assert digest_of(registry_plain, repository, "latest") == built["digest"]
    verified = goship("verify-signature", f"{registry_plain.host}/{repository}@{built['digest']}",
                      "--key", str(public), cwd=root)
    assert verified.code == 0, verified.output

    # The reports CI systems upload.
    reports = root / ".goship" / "reports"
    assert junit_cases(reports / "junit.xml") == {"TestVersionDefault": "passed",
                                                  "TestCommitDefault": "passed"}
    for name in ("lint.sarif", "scan.sarif"):
        sarif = json.loads((reports / name).read_text())
        assert sarif["version"] == "2.1.0" and len(sarif["runs"]) == 1
    sbom = json.loads((reports / "sbom-hello.cdx.json").read_text())
    assert sbom["bomFormat"] == "CycloneDX" and built["digest"][7:] in json.dumps(sbom["metadata"])
    assert document["artifacts"]["junit"] == ".goship/reports/junit.xml"
    # The reports sit under .goship, which git ignores: the tree stays clean for the next build.
    assert git(root, "status", "--porcelain") == ""
    assert ".dirty" not in document["version"]


def test_a_failing_go_test_stops_the_run_and_nothing_is_pushed(
        goship: Goship, registry_plain: RunningRegistry, tmp_path: Path) -> None:
    repository = unique_repository("pipeline")
    root = project(tmp_path / "hello", top=f'repository = "{registry_plain.host}/{repository}"', tables="""
[pipeline]
stages = ["test", "lint", "build", "sbom", "scan", "push"]

[pipeline.test]
race = false
""", test_source=FAILING_TEST)

    result = goship("pipeline", cwd=root)

    assert result.code == 13, result.output
    assert "--- FAIL: TestReleaseVersion" in result.stderr  # the failing test's own output
    assert 'version = "dev", want "1.0.0"' in result.stderr
    assert "goship: error: test: go test failed: 1 test failed (TestReleaseVersion)" in result.stderr
    assert "Traceback" not in result.output
    table = result.stdout.splitlines()
    assert table[1].split()[:2] == ["test", "FAILED"]
    assert [line.split()[:3] for line in table[2:7]] == [[stage, "not", "run"] for stage in
                                                         ("lint", "build", "sbom", "scan", "push")]
    assert tags_in(registry_plain, repository) is None  # not a blob, not a tag
    assert not (root / ".goship" / "oci").exists()
    junit = root / ".goship" / "reports" / "junit.xml"
    assert junit_cases(junit) == {"TestVersionDefault": "passed", "TestReleaseVersion": "failed"}


def test_a_vulnerable_module_stops_the_run_before_the_push(
        goship: Goship, registry_plain: RunningRegistry, base_env: dict[str, str], tmp_path: Path) -> None:
    repository = unique_repository("pipeline")
    root = tmp_path / "app"
    go_env = write_program(root, [Dependency("golang.org/x/crypto", "v0.0.0-20190308221718-c2843e01d9a2",
                                             "cryptobyte")], env=base_env)
    (root / "goship.toml").write_text(f"""
repository = "{registry_plain.host}/{repository}"
source = "https://example.com/app"

[[images]]
name = "app"
package = "."

[pipeline]
stages = ["test", "lint", "build", "sbom", "scan", "push"]

[pipeline.test]
race = false

[scan]
db = "{TESTDB}"
""")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "app")

    result = goship("pipeline", "--json", cwd=root, env=go_env)

    assert result.code == 12, result.output
    document = report(result)
    assert stage_results(document) == {"test": "ok", "lint": "ok", "build": "ok", "sbom": "ok",
                                       "scan": "failed", "push": "not run"}
    assert document["failed_stage"] == "scan" and document["exit_code"] == 12
    scan = next(stage for stage in document["stages"] if stage["name"] == "scan")
    assert "GO-2022-0229" in scan["summary"] and "GO-2022-0229" in scan["output"]
    assert "goship: error: scan: 1 vulnerability of any severity that no waiver covers (GO-2022-0229)" \
        in result.stderr
    sarif = json.loads((root / ".goship" / "reports" / "scan.sarif").read_text())
    assert {item["ruleId"] for item in sarif["runs"][0]["results"]} == {"GO-2022-0229"}
    sbom = (root / ".goship" / "reports" / "sbom-app.cdx.json").read_text()
    assert "pkg:golang/golang.org/x/crypto@v0.0.0-20190308221718-c2843e01d9a2" in sbom
    assert tags_in(registry_plain, repository) is None


def test_the_deploy_stage_runs_goship_deploy_after_the_push_and_stops_with_its_exit_code(
        goship: Goship, registry_plain: RunningRegistry, tmp_path: Path) -> None:
    repository = unique_repository("pipeline")
    root = project(tmp_path / "hello", top=f'repository = "{registry_plain.host}/{repository}"', tables="""
[pipeline]
stages = ["test", "build", "push", "deploy"]

[pipeline.test]
race = false

[environments.staging]
branches = ["main"]
tags = ["staging-{short_commit}"]
""")
    no_cluster = {"KUBECONFIG": str(tmp_path / "no-such-kubeconfig")}

    result = goship("pipeline", "--json", cwd=root, env=no_cluster)

    document = report(result)
    [pushed] = document["images"]
    by_hand = goship("deploy", f"{pushed['repository']}@{pushed['digest']}", "--env", "staging",
                     cwd=root, env=no_cluster)
    assert by_hand.code not in (0, 1), by_hand.output  # the cluster cannot be reached: goship says so
    assert result.code == by_hand.code, result.output
    assert stage_results(document) == {"test": "ok", "build": "ok", "push": "ok", "deploy": "failed"}
    assert document["environment"] == "staging"
    deploy = document["stages"][-1]
    error_line = next(line for line in by_hand.stderr.splitlines() if line.startswith("goship: error:"))
    assert error_line in deploy["output"]  # the deploy command's own words, as the summary too
    assert deploy["summary"] == (f"goship deploy {pushed['repository']}@{pushed['digest']} --env staging: "
                                 + error_line.removeprefix("goship: error: "))
    [tag] = pushed["tags"]
    assert tag.startswith("staging-") and tags_in(registry_plain, repository) == [tag]  # pushed before
