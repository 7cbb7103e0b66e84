"""The test stage: ``go test`` over the configured packages with coverage (and -race where it
can run), the events kept as go-test.json, a JUnit report, the total coverage and its gate.

Tests run with the user's environment, as `go test` in their shell would: ``[build] env``
is for the images' binaries (often CGO_ENABLED=0), and the race detector needs cgo.
"""

from __future__ import annotations

from goship.pipeline.gotest import RaceDetector, race_detector, run_go_test, total_coverage
from goship.pipeline.interface import StageContext, StageOutcome, TestsFailedError
from goship.pipeline.junit import junit_xml
from goship.pipeline.stages.common import build_plan, plural, reports_dir, shown_path, write_report
from goship.pipeline.testevents import TestRun, read_events

JUNIT = "junit.xml"
EVENTS = "go-test.json"
PROFILE = "coverage.out"


def run_tests(context: StageContext) -> StageOutcome:
    settings = context.config.pipeline.test
    module_dir = context.config.module_dir
    env = context.config.env
    go = build_plan(context).toolchain
    reports = reports_dir(context)
    race = race_detector(go.go, env, module_dir) if settings.race else \
        RaceDetector(False, "race = false in [pipeline.test]")
    if settings.race and not race.enabled:
        context.log.step(f"running the tests without the race detector: {race.reason}")
    profile = reports / PROFILE
    profile.unlink(missing_ok=True)
    ran = run_go_test(go.go, module_dir, packages=settings.packages, flags=settings.flags,
                      race=race.enabled, profile=profile, env=env)
    write_report(context, "go-test-events", reports / EVENTS, ran.stdout.encode("utf-8"))
    events = read_events(ran.stdout.splitlines(keepends=True))
    write_report(context, "junit", reports / JUNIT, junit_xml(events, go_version=go.version))
    coverage = total_coverage(go.go, profile, module_dir, env) if ran.returncode == 0 else None
    if profile.is_file():
        context.log.artifact("coverage-profile", shown_path(context, profile))
    details = {"tests": len(events.cases), "passed": events.count("passed"), "failed": events.count("failed"),
               "skipped": events.count("skipped"), "packages": len(events.packages),
               "coverage": coverage, "race_detector": race.enabled,
               "race_detector_off": race.reason or None, "go": go.version}
    if ran.returncode != 0:
        context.log.write(events.failure_output() + events.stray_output)
        context.log.write(ran.stderr)
        raise TestsFailedError(_failure(events, ran.stderr),
                               f"the output of what failed is above; every test is in {reports / JUNIT}")
    minimum = settings.coverage_min
    if minimum is not None and (coverage or 0.0) < minimum:
        shown = f"{coverage:.1f}%" if coverage is not None else "nothing (no statement was measured)"
        raise TestsFailedError(f"the tests cover {shown} of the statements, below coverage-min = "
                               f"{minimum:g} in [pipeline.test]",
                               f"add tests, or lower coverage-min; `go tool cover -html={profile}` "
                               "shows what is not covered")
    return StageOutcome(_summary(events, coverage, race), details)


def _failure(events: TestRun, stderr: str) -> str:
    failed = [case for case in events.cases if case.status == "failed"]
    broken = [package for package in events.failed_packages if package.build_failed]
    parts = []
    if failed:
        leaves = [case.name for case in failed
                  if not any(other.name.startswith(case.name + "/") for other in failed)]
        shown = ", ".join(leaves[:3]) + (", ..." if len(leaves) > 3 else "")
        parts.append(f"{plural(len(leaves), 'test')} failed ({shown})")
    if broken:
        parts.append(f"the tests of {', '.join(package.name for package in broken)} did not build")
    if not parts:
        others = [package.name for package in events.failed_packages]
        if others:
            parts.append(f"{', '.join(others)} failed outside its tests")
        else:
            first = next((line for line in stderr.splitlines() if line.strip()), "no test ran")
            parts.append(first.strip())
    return "go test failed: " + "; ".join(parts)


def _summary(events: TestRun, coverage: float | None, race: RaceDetector) -> str:
    passed, skipped = events.count("passed"), events.count("skipped")
    text = f"{plural(passed, 'test')} passed" if passed else "no tests"
    if skipped:
        text += f", {skipped} skipped"
    if coverage is not None:
        text += f", coverage {coverage:.1f}%"
    text += ", race detector on" if race.enabled else f"; race detector off: {race.reason}"
    return text
