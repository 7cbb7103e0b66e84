"""`goship pipeline` on the example service without a registry: --until, bad input (an
unknown stage, a setting a stage needs), the lint and coverage gates, and the race detector
where cgo cannot run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import Goship
from tests.integration.pipeline.projects import junit_cases, project, report, stage_results

from goship.pipeline.gotest import race_detector

pytestmark = pytest.mark.integration

NO_RACE = '\n[pipeline.test]\nrace = false\n'


def test_until_stops_after_that_stage(goship: Goship, tmp_path: Path) -> None:
    root = project(tmp_path / "hello", top='repository = "registry.example.com/team/hello"',
                   tables='\n[pipeline]\nstages = ["test", "lint", "build", "sbom", "scan", "push"]\n'
                   + NO_RACE)

    result = goship("pipeline", "--until", "build", "--json", cwd=root)

    assert result.code == 0, result.output
    document = report(result)
    assert stage_results(document) == {"test": "ok", "lint": "ok", "build": "ok"}
    assert "sbom" not in result.stderr and "push" not in result.stderr.split("\n", 1)[1]
    assert (root / ".goship" / "oci" / "index.json").is_file()
    assert not (root / ".goship" / "reports" / "sbom-hello.cdx.json").exists()
    assert document["images"] == []  # registry.example.com was never asked: push did not run


@pytest.mark.parametrize("until", ["deplyo", "all"])
def test_an_unknown_stage_is_a_usage_error_listing_the_stages(goship: Goship, tmp_path: Path,
                                                              until: str) -> None:
    root = project(tmp_path / "hello")

    result = goship("pipeline", "--until", until, cwd=root)

    assert result.code == 2, result.output
    assert f"goship: error: --until: unknown stage '{until}'" in result.stderr
    assert "test, lint, build, sbom, scan, push, sign, deploy" in result.stderr
    assert ("did you mean 'deploy'?" in result.stderr) == (until == "deplyo")
    assert not (root / ".goship").exists()  # nothing ran


def test_an_unknown_stage_in_goship_toml_is_named_with_its_line(goship: Goship, tmp_path: Path) -> None:
    root = project(tmp_path / "hello", tables='\n[pipeline]\nstages = ["test", "publish"]\n')

    result = goship("pipeline", cwd=root)

    assert result.code == 3, result.output
    assert f"{root / 'goship.toml'}:8: unknown stage 'publish' in 'pipeline.stages'" in result.stderr


def test_a_stage_that_needs_a_missing_setting_names_it_before_anything_runs(
        goship: Goship, tmp_path: Path) -> None:
    root = project(tmp_path / "hello", top='repository = "registry.example.com/team/hello"',
                   tables='\n[pipeline]\nstages = ["test", "build", "push", "sign"]\n')

    signing = goship("pipeline", cwd=root)

    assert signing.code == 3, signing.output
    assert "goship: error: [pipeline.sign] key is not set" in signing.stderr
    assert 'hint: add key = "cosign.key" under [pipeline.sign]' in signing.stderr
    assert not (root / ".goship").exists()  # the tests did not run first


def test_push_without_a_repository_names_the_key(goship: Goship, tmp_path: Path) -> None:
    root = project(tmp_path / "hello", tables='\n[pipeline]\nstages = ["test", "build", "push"]\n')

    result = goship("pipeline", cwd=root)

    assert result.code == 3, result.output
    assert "the push stage has nowhere to push image 'hello': `repository` is not set" in result.stderr


def test_the_coverage_gate_fails_the_test_stage(goship: Goship, tmp_path: Path) -> None:
    root = project(tmp_path / "hello", tables='\n[pipeline.test]\nrace = false\ncoverage-min = 50\n')

    result = goship("pipeline", cwd=root)

    assert result.code == 13, result.output
    assert ("goship: error: test: the tests cover 0.0% of the statements, below coverage-min = 50 "
            "in [pipeline.test]") in result.stderr
    assert junit_cases(root / ".goship" / "reports" / "junit.xml") == {
        "TestVersionDefault": "passed", "TestCommitDefault": "passed"}
    assert (root / ".goship" / "reports" / "coverage.out").is_file()


def test_a_dockerfile_that_breaks_the_standard_stops_the_run_with_exit_code_9(
        goship: Goship, tmp_path: Path) -> None:
    root = project(tmp_path / "hello", tables=NO_RACE)
    (root / "Dockerfile").write_text("FROM ubuntu:latest\nCOPY hello /hello\nENTRYPOINT [\"/hello\"]\n")

    result = goship("pipeline", "--json", cwd=root)

    assert result.code == 9, result.output
    assert stage_results(report(result)) == {"test": "ok", "lint": "failed", "build": "not run",
                                             "sbom": "not run", "scan": "not run"}
    sarif = json.loads((root / ".goship" / "reports" / "lint.sarif").read_text())
    results = sarif["runs"][0]["results"]
    assert {item["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for item in results} == {
        "Dockerfile"}
    assert "error" in {item["level"] for item in results}
    assert "Dockerfile:1" in result.stderr  # the findings are shown with the failure


def test_without_cgo_the_tests_run_without_the_race_detector_and_say_so(goship: Goship,
                                                                         tmp_path: Path) -> None:
    root = project(tmp_path / "hello")

    result = goship("pipeline", "--until", "test", cwd=root, env={"CGO_ENABLED": "0"})

    assert result.code == 0, result.output
    assert ("2 tests passed, coverage 0.0%; race detector off: it needs cgo, and CGO_ENABLED is 0"
            in result.stdout)


def test_without_a_c_compiler_the_race_detector_is_off(go_binary: Path, base_env: dict[str, str],
                                                      tmp_path: Path) -> None:
    root = project(tmp_path / "hello")
    env = {**base_env, "PATH": str(go_binary.parent), "CC": "", "CGO_ENABLED": ""}

    detector = race_detector(go_binary, env, root)
    with_gcc = race_detector(go_binary, base_env, root)

    assert not detector.enabled
    assert detector.reason == "it needs cgo, and the C compiler 'gcc' is not on PATH"
    assert with_gcc.enabled or "C compiler" not in with_gcc.reason
