"""``go test -json`` events folded into per-package and per-test results.

The events are test2json's (``go doc test2json``): ``start``, ``run``, ``output``, ``pass``,
``fail``, ``skip``, ``pause``, ``cont`` and ``bench``, with ``Package`` and, for a test,
``Test`` (a subtest is ``TestParent/name``); since Go 1.24 also ``build-output`` and
``build-fail`` keyed by ``ImportPath``, which a package's ``fail`` names in ``FailedBuild``.
Folding them is written here because it is all there is to it: the JUnit libraries for
Python model the XML, not Go's events, and gotestsum, which does both, is a Go program a
Python tool cannot import.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

CaseStatus = Literal["passed", "failed", "skipped"]
_COVERAGE = re.compile(r"coverage: (\d+(?:\.\d+)?)% of statements")
# Lines of a test's output that frame it rather than say what happened.
_FRAMING = ("=== RUN", "=== PAUSE", "=== CONT", "=== NAME", "--- PASS", "--- FAIL", "--- SKIP")


@dataclass(frozen=True)
class TestCase:
    __test__ = False  # not a pytest test class

    package: str
    name: str  # "TestParse", "TestParse/empty_input"
    status: CaseStatus
    seconds: float
    output: str
    finished: bool = True  # False: the test binary ended while it ran (a panic, a timeout)

    @property
    def message(self) -> str:
        """The first line the test itself wrote (its t.Error/t.Skip text), else a default."""
        for line in self.output.splitlines():
            if line.strip() and not line.startswith(_FRAMING):
                return line.strip()
        if not self.finished:
            return "did not finish: the test binary exited while the test ran"
        return {"failed": "Failed", "skipped": "Skipped", "passed": ""}[self.status]


@dataclass(frozen=True)
class PackageResult:
    name: str
    status: Literal["passed", "failed", "no tests"]
    seconds: float
    cases: tuple[TestCase, ...]
    output: str  # what the package printed outside any test ("FAIL", "coverage: ...")
    build_output: str = ""  # the compiler's messages when the package's tests did not build
    started: str = ""  # RFC 3339 time of its start event
    coverage: float | None = None  # percent, as go test printed it for the package

    @property
    def build_failed(self) -> bool:
        return bool(self.build_output) and self.status == "failed"


@dataclass(frozen=True)
class TestRun:
    __test__ = False

    packages: tuple[PackageResult, ...]
    stray_output: str = ""  # lines that were not JSON events

    @property
    def cases(self) -> tuple[TestCase, ...]:
        return tuple(case for package in self.packages for case in package.cases)

    def count(self, status: CaseStatus) -> int:
        return sum(1 for case in self.cases if case.status == status)

    @property
    def failed_packages(self) -> tuple[PackageResult, ...]:
        return tuple(package for package in self.packages if package.status == "failed")

    def failure_output(self) -> str:
        """The output of every failing test, and of every package that failed outside a test
        (a build error, a panic in init), in the order go test ran them."""
        parts: list[str] = []
        for package in self.packages:
            if package.status != "failed":
                continue
            failed = [case for case in package.cases if case.status == "failed"]
            parts += [case.output for case in failed]
            if package.build_output:
                parts.append(package.build_output)
            if not failed or package.build_output:
                parts.append(package.output)
            elif package.output.strip():
                # only the summary lines: the tests' own output is above
                parts.append("".join(line for line in package.output.splitlines(keepends=True)
                                     if line.startswith(("FAIL", "panic:", "coverage:"))))
        return "".join(part if part.endswith("\n") else part + "\n" for part in parts if part.strip())


@dataclass
class _Case:
    name: str
    output: list[str] = field(default_factory=list)
    status: CaseStatus | None = None
    seconds: float = 0.0


@dataclass
class _Package:
    name: str
    cases: dict[str, _Case] = field(default_factory=dict)
    output: list[str] = field(default_factory=list)
    status: str | None = None
    seconds: float = 0.0
    failed_build: str = ""
    started: str = ""


def read_events(lines: Iterable[str]) -> TestRun:
    """Fold the lines ``go test -json`` printed; lines that are not events are kept aside."""
    packages: dict[str, _Package] = {}
    builds: dict[str, list[str]] = {}
    stray: list[str] = []
    for line in lines:
        event = _event(line)
        if event is None:
            if line.strip():
                stray.append(line if line.endswith("\n") else line + "\n")
            continue
        action = str(event.get("Action", ""))
        if action in ("build-output", "build-fail"):
            output = builds.setdefault(str(event.get("ImportPath", "")), [])
            if action == "build-output":
                output.append(str(event.get("Output", "")))
            continue
        name = str(event.get("Package", ""))
        package = packages.setdefault(name, _Package(name))
        test = event.get("Test")
        if test:
            _case_event(package, str(test), action, event)
        else:
            _package_event(package, action, event)
    return TestRun(tuple(_finish(package, builds) for package in packages.values()), "".join(stray))


def _event(line: str) -> dict[str, Any] | None:
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        event = json.loads(text)
    except ValueError:
        return None
    return event if isinstance(event, dict) and "Action" in event else None


def _case_event(package: _Package, test: str, action: str, event: dict[str, Any]) -> None:
    case = package.cases.setdefault(test, _Case(test))
    if action == "output":
        case.output.append(str(event.get("Output", "")))
    elif action in ("pass", "bench"):
        case.status, case.seconds = "passed", _seconds(event)
    elif action == "fail":
        case.status, case.seconds = "failed", _seconds(event)
    elif action == "skip":
        case.status, case.seconds = "skipped", _seconds(event)


def _package_event(package: _Package, action: str, event: dict[str, Any]) -> None:
    if action == "start":
        package.started = str(event.get("Time", ""))
    elif action == "output":
        package.output.append(str(event.get("Output", "")))
    elif action in ("pass", "fail", "skip"):
        package.status, package.seconds = action, _seconds(event)
        package.failed_build = str(event.get("FailedBuild", ""))


def _seconds(event: dict[str, Any]) -> float:
    value = event.get("Elapsed", 0)
    return float(value) if isinstance(value, (int, float)) else 0.0


def _finish(package: _Package, builds: dict[str, list[str]]) -> PackageResult:
    failed = package.status == "fail"
    cases = []
    for case in package.cases.values():
        if case.status is None:  # the binary ended during the test: a panic, a timeout, os.Exit
            cases.append(TestCase(package.name, case.name, "failed", 0.0, "".join(case.output),
                                  finished=False))
        else:
            cases.append(TestCase(package.name, case.name, case.status, case.seconds, "".join(case.output)))
    output = "".join(package.output)
    found = _COVERAGE.findall(output)
    status: Literal["passed", "failed", "no tests"] = "failed" if failed or any(
        not case.finished for case in cases) else ("passed" if cases else "no tests")
    build_output = "".join(builds.get(package.failed_build, ())) if package.failed_build else ""
    return PackageResult(package.name, status, package.seconds, tuple(cases), output,
                         build_output=build_output, started=package.started,
                         coverage=float(found[-1]) if found else None)
