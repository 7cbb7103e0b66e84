"""A JUnit XML report as Markdown, for a CI job's summary page (`goship ci summary FILE`,
appended to GitHub's $GITHUB_STEP_SUMMARY): the totals, a row per package (tests, failures,
skips, coverage, time), and the output of each failed test, folded.

Hand-written because the job is small and goship's own: the report is the one
goship.pipeline.junit writes (coverage is a property of each suite), GitHub renders the
Markdown, and the published actions that do this are third-party code a workflow would have
to trust with its token.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

from goship.errors import UsageError

MAX_FAILURES = 30  # failed tests shown with their output
MAX_OUTPUT_LINES = 60  # lines of each failed test's output (its last ones: where it failed)


@dataclass(frozen=True)
class _Suite:
    name: str
    tests: int
    failures: int
    skipped: int
    seconds: float
    coverage: str


@dataclass(frozen=True)
class _Failure:
    package: str
    test: str
    output: str


def junit_summary(path: Path) -> str:
    """The Markdown summary of the JUnit report at ``path``."""
    try:
        # The report comes from this job's own `goship pipeline`; expat resolves no external
        # entities, and the file is not input from elsewhere.
        root = ElementTree.parse(path).getroot()  # noqa: S314
    except FileNotFoundError:
        raise UsageError(f"no JUnit report at {path}", "run `goship pipeline` first; it writes "
                         ".goship/reports/junit.xml when the test stage runs") from None
    except (ElementTree.ParseError, OSError) as exc:
        raise UsageError(f"{path} is not a JUnit XML report: {exc}",
                         "give the junit.xml `goship pipeline` writes") from None
    suites_elements = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    suites = [_suite(element) for element in suites_elements]
    failures = [failure for element in suites_elements for failure in _failures(element)]
    return _render(suites, failures)


def _number(element: ElementTree.Element, key: str) -> int:
    try:
        return int(element.get(key, "0") or 0)
    except ValueError:
        return 0


def _suite(element: ElementTree.Element) -> _Suite:
    coverage = next((prop.get("value", "") for prop in element.iter("property")
                     if prop.get("name") == "coverage"), "")
    try:
        seconds = float(element.get("time", "0") or 0)
    except ValueError:
        seconds = 0.0
    return _Suite(element.get("name", ""), _number(element, "tests"),
                  _number(element, "failures") + _number(element, "errors"), _number(element, "skipped"),
                  seconds, coverage)


def _failures(suite: ElementTree.Element) -> list[_Failure]:
    found = []
    for case in suite.iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None:
            text = problem.text or problem.get("message") or ""
            found.append(_Failure(case.get("classname", suite.get("name", "")), case.get("name", ""), text))
    return found


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _fenced(text: str) -> list[str]:
    lines = text.rstrip("\n").splitlines()
    if len(lines) > MAX_OUTPUT_LINES:
        lines = [f"… {len(lines) - MAX_OUTPUT_LINES} lines before", *lines[-MAX_OUTPUT_LINES:]]
    fence = "```"
    while any(line.lstrip().startswith(fence) for line in lines):
        fence += "`"
    return [fence, *lines, fence]


def _render(suites: list[_Suite], failures: list[_Failure]) -> str:
    tests = sum(suite.tests for suite in suites)
    failed = sum(suite.failures for suite in suites)
    skipped = sum(suite.skipped for suite in suites)
    seconds = sum(suite.seconds for suite in suites)
    verdict = "failed" if failed else "passed"
    lines = [f"### Go tests {verdict}", "",
             f"{tests} tests: {tests - failed - skipped} passed, {failed} failed, {skipped} skipped "
             f"({seconds:.1f} s)", ""]
    if suites:
        lines += ["| package | tests | failed | skipped | coverage | time |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for suite in sorted(suites, key=lambda item: (-item.failures, item.name)):
            coverage = f"{suite.coverage}%" if suite.coverage else ""
            mark = "❌ " if suite.failures else ""
            lines.append(f"| {mark}{_cell(suite.name)} | {suite.tests} | {suite.failures} | {suite.skipped} "
                         f"| {coverage} | {suite.seconds:.1f} s |")
        lines.append("")
    for failure in failures[:MAX_FAILURES]:
        lines += [f"<details><summary>{_html(failure.package)}: {_html(failure.test)}</summary>", "",
                  *_fenced(failure.output), "", "</details>", ""]
    if len(failures) > MAX_FAILURES:
        lines += [f"… and {len(failures) - MAX_FAILURES} more failed tests: see the JUnit report.", ""]
    return "\n".join(lines)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
