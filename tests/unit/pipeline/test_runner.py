"""The runner: stages in order, timed, stopping at the first failure with its output and exit
code; the observer's lines; the final table and the JSON report."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from goship.config import Options, load_config
from goship.errors import ExitCode, PolicyError
from goship.pipeline.interface import (
    PipelineInputs,
    PipelinePlan,
    PushedImage,
    StageContext,
    StageOutcome,
    StageResult,
    TestsFailedError,
    VulnerabilitiesFoundError,
)
from goship.pipeline.report import render_table, report_json
from goship.pipeline.runner import run_pipeline
from goship.policy.interface import PolicySettings
from goship.progress import Reporter
from goship.release.settings import Environment
from goship.supply.scan.interface import ScanSettings

Stage = Callable[[StageContext], StageOutcome]


def plan_of(directory: Path, stages: tuple[str, ...]) -> PipelinePlan:
    return PipelinePlan(stages=stages, configured=stages, version="1.2.3", commit="", environment=None,
                        tags=("latest",), targets=(), layout=directory / ".goship" / "oci",
                        reports=directory / ".goship" / "reports")


def inputs_of(directory: Path) -> PipelineInputs:
    (directory / "go.mod").write_text("module example.com/app\n\ngo 1.22\n")
    return PipelineInputs(config=load_config(directory, Options(), {}), policy=PolicySettings(),
                          scan=ScanSettings(), today=date(2024, 10, 1))


def ticking() -> Callable[[], float]:
    times: Iterator[float] = iter(float(second) for second in range(1000))
    return lambda: next(times)


class Recorder:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def started(self, stage: str, number: int, total: int) -> None:
        self.lines.append(f"start {number}/{total} {stage}")

    def finished(self, result: StageResult, number: int, total: int) -> None:
        self.lines.append(f"end {number}/{total} {result.name} {result.status}")


def test_every_stage_runs_in_order_and_hands_its_results_on(tmp_path: Path) -> None:
    ran: list[str] = []

    def stage(name: str) -> Stage:
        def run(context: StageContext) -> StageOutcome:
            ran.append(f"{name} with version {context.config.version}")
            context.log.step(f"{name} did its work")
            context.log.artifact(name, Path(f".goship/reports/{name}.txt"))
            return StageOutcome(f"{name} ok", {"stage": name})
        return run

    recorder = Recorder()
    report = run_pipeline(plan_of(tmp_path, ("test", "build")), inputs_of(tmp_path), observer=recorder,
                          clock=ticking(), stages=stage)

    assert ran == ["test with version 1.2.3", "build with version 1.2.3"]  # the plan's version
    assert report.exit_code == 0 and report.failed is None
    assert [(result.name, result.status, result.seconds, result.summary) for result in report.results] == [
        ("test", "ok", 1.0, "test ok"), ("build", "ok", 1.0, "build ok")]
    assert report.results[0].output == "test did its work\n"
    assert report.artifacts == {"test": ".goship/reports/test.txt", "build": ".goship/reports/build.txt"}
    assert recorder.lines == ["start 1/2 test", "end 1/2 test ok", "start 2/2 build", "end 2/2 build ok"]


def test_the_first_failure_stops_the_run_with_its_output_and_exit_code(tmp_path: Path) -> None:
    ran: list[str] = []

    def stage(name: str) -> Stage:
        def run(context: StageContext) -> StageOutcome:
            ran.append(name)
            if name == "lint":
                context.log.write("Dockerfile:1 error GS101 FROM ubuntu:latest\n")
                raise PolicyError("the Dockerfiles break the image standard", "fix them")
            return StageOutcome("fine")
        return run

    report = run_pipeline(plan_of(tmp_path, ("test", "lint", "build", "push")), inputs_of(tmp_path),
                          clock=ticking(), stages=stage)

    assert ran == ["test", "lint"]
    assert report.exit_code == ExitCode.POLICY == 9
    failed = report.failed
    assert failed is not None and failed.name == "lint"
    assert failed.output == "Dockerfile:1 error GS101 FROM ubuntu:latest\n"
    assert failed.hint == "fix them"
    assert [result.status for result in report.results] == ["ok", "failed", "not run", "not run"]


def test_reports_of_an_earlier_run_are_removed_when_a_run_starts(tmp_path: Path) -> None:
    reports = tmp_path / ".goship" / "reports"
    reports.mkdir(parents=True)
    for name in ("junit.xml", "scan.sarif", "sbom-api.cdx.json", "notes.txt"):
        (reports / name).write_text("old")

    def failing(name: str) -> Stage:
        def run(context: StageContext) -> StageOutcome:
            raise TestsFailedError("go test failed: 1 test failed (TestParse)", "see above")
        return run

    report = run_pipeline(plan_of(tmp_path, ("test", "scan")), inputs_of(tmp_path), stages=failing)

    assert report.exit_code == ExitCode.TEST == 13
    assert sorted(path.name for path in reports.iterdir()) == ["notes.txt"]  # not goship's: kept


def test_the_table_and_the_json_report_say_what_ran(tmp_path: Path) -> None:
    def stage(name: str) -> Stage:
        def run(context: StageContext) -> StageOutcome:
            if name == "scan":
                context.log.write("GO-2022-0229 golang.org/x/crypto\n")
                raise VulnerabilitiesFoundError("1 vulnerability", "update it")
            context.log.artifact("junit", Path(".goship/reports/junit.xml"))
            return StageOutcome("3 tests passed", {"tests": 3})
        return run

    report = run_pipeline(plan_of(tmp_path, ("test", "scan", "push")), inputs_of(tmp_path),
                          clock=ticking(), stages=stage)

    table = render_table(report).splitlines()
    assert table[0].split() == ["stage", "result", "time", "summary"]
    assert table[1].split() == ["test", "ok", "1.0s", "3", "tests", "passed"]
    assert table[2].split()[:3] == ["scan", "FAILED", "1.0s"] and table[2].endswith("(exit code 12)")
    assert table[3].split() == ["push", "not", "run"]
    assert table[4] == "pipeline failed at scan in 2.0s"
    assert "  junit: .goship/reports/junit.xml" in table

    document = json.loads(json.dumps(report_json(report)))
    assert (document["result"], document["exit_code"], document["failed_stage"]) == ("failed", 12, "scan")
    assert [stage["result"] for stage in document["stages"]] == ["ok", "failed", "not run"]
    assert document["stages"][0]["details"] == {"tests": 3} and document["stages"][0]["output"] is None
    assert document["stages"][1]["output"] == "GO-2022-0229 golang.org/x/crypto\n"
    assert document["stages"][1]["hint"] == "update it"
    assert document["artifacts"] == {"junit": ".goship/reports/junit.xml"}
    assert document["version"] == "1.2.3" and document["images"] == []


class RecordingDeployer:
    def __init__(self) -> None:
        self.deployed: list[tuple[str, str]] = []

    def deploy(self, image: PushedImage, environment: str, reporter: Reporter) -> str:
        self.deployed.append((image.reference, environment))
        return f"deployed {image.digest[:19]} to {environment}"


def test_the_deploy_stage_deploys_each_pushed_image_by_digest(tmp_path: Path) -> None:
    from goship.pipeline.stages import stage_function

    pushed = [PushedImage("api", "registry.example.com/team/api", "sha256:" + "a" * 64, ("1.4.0",)),
              PushedImage("worker", "registry.example.com/team/worker", "sha256:" + "b" * 64, ("1.4.0",))]

    def stages(name: str) -> Stage:
        if name == "push":
            def push(context: StageContext) -> StageOutcome:
                context.state.pushed = list(pushed)
                return StageOutcome("pushed")
            return push
        return stage_function(name)

    deployer = RecordingDeployer()
    plan = dataclasses.replace(plan_of(tmp_path, ("push", "deploy")), environment=Environment("staging"))
    report = run_pipeline(plan, dataclasses.replace(inputs_of(tmp_path), deployer=deployer), stages=stages)

    assert report.exit_code == 0
    assert deployer.deployed == [(image.reference, "staging") for image in pushed]
    assert report.results[1].summary == (f"staging: deployed sha256:{'a' * 12} to staging; "
                                         f"deployed sha256:{'b' * 12} to staging")
    assert report.pushed == tuple(pushed)
