"""Running a planned pipeline: each stage in order, timed, until the first failure.

A stage fails by raising a GoshipError: the run stops there, the stage's result keeps its
output, its message, hint and exit code, and the stages after it are reported as not run.
Nothing reaches a registry before the push stage, so a failing test, lint or scan leaves
the registry as it was. Each run's reports replace the last run's, so a CI system never
uploads a scan report of an earlier commit next to this run's test report.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from goship.errors import GoshipError
from goship.pipeline.interface import (
    PipelineInputs,
    PipelinePlan,
    PipelineReport,
    RunState,
    StageContext,
    StageLog,
    StageResult,
)
from goship.progress import Reporter

if TYPE_CHECKING:
    from goship.pipeline.stages import Stage

# The files the stages write into the reports directory (removed when a run starts).
_REPORT_PATTERNS = ("junit.xml", "go-test.json", "coverage.out", "lint.sarif", "scan.sarif",
                    "sbom-*.cdx.json")


class Observer(Protocol):
    """Told as each stage starts and ends (the CLI prints a line for each)."""

    def started(self, stage: str, number: int, total: int) -> None: ...

    def finished(self, result: StageResult, number: int, total: int) -> None: ...


def _clear_reports(directory: Path) -> None:
    if not directory.is_dir():
        return
    for pattern in _REPORT_PATTERNS:
        for path in directory.glob(pattern):
            path.unlink(missing_ok=True)


def run_pipeline(plan: PipelinePlan, inputs: PipelineInputs, *, observer: Observer | None = None,
                 live: Reporter | None = None, clock: Callable[[], float] = time.monotonic,
                 stages: Callable[[str], Stage] | None = None) -> PipelineReport:
    """Run ``plan``'s stages in order and stop at the first that fails. ``live`` also gets
    every stage's progress as it happens (the CLI shows it with -v); ``stages`` gives the
    function of each stage name (default: goship.pipeline.stages)."""
    from goship.pipeline.stages import stage_function

    function_of = stages or stage_function
    # The version the plan rendered the tags for is the one the binaries get.
    inputs = dataclasses.replace(inputs, config=dataclasses.replace(inputs.config, version=plan.version))
    _clear_reports(plan.reports)
    state = RunState()
    results: list[StageResult] = []
    total = len(plan.stages)
    for number, name in enumerate(plan.stages, start=1):
        if results and results[-1].status != "ok":
            results.append(StageResult(name, "not run"))
            continue
        if observer is not None:
            observer.started(name, number, total)
        log = StageLog(live)
        started = clock()
        try:
            outcome = function_of(name)(StageContext(plan, inputs, state, log))
        except GoshipError as error:
            result = StageResult(name, "failed", clock() - started, error.message, int(error.exit_code),
                                 log.output, dict(log.artifacts), hint=error.hint)
        else:
            result = StageResult(name, "ok", clock() - started, outcome.summary, 0, log.output,
                                 dict(log.artifacts), dict(outcome.details))
        results.append(result)
        if observer is not None:
            observer.finished(result, number, total)
    return PipelineReport(plan, tuple(results), tuple(state.pushed))
