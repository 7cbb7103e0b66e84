"""A JUnit XML report of a ``go test`` run, as CI systems read it (GitLab's test reports,
GitHub actions that publish test results, Jenkins, Drone plugins).

The shape is the one gotestsum writes and these systems accept: ``<testsuites>`` with one
``<testsuite>`` per package (its Go version and coverage as properties), one ``<testcase>``
per test and subtest with ``classname`` the package, a ``<failure>`` or ``<skipped>`` holding
the test's output, and a package whose tests did not build as one testcase with an
``<error>`` holding the compiler's messages. The XML is written with ElementTree: the work is
in folding the events (goship.pipeline.testevents); adding a library for a dozen elements
would buy nothing. Characters XML 1.0 cannot hold (terminal colour escapes in test output)
are written as ``\\x1b`` and the like, so the file always parses.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime

from goship.pipeline.testevents import PackageResult, TestCase, TestRun

BUILD_CASE = "(build)"  # the testcase standing for a package whose tests did not compile
PACKAGE_CASE = "(package)"  # ... for a package that failed outside any test (init, TestMain)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str) -> str:
    """``text`` with what XML 1.0 cannot hold written as an escape (``\\x1b``)."""
    return _NOT_XML.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _timestamp(text: str) -> str:
    """An RFC 3339 time as JUnit's timestamp (UTC, seconds, no zone); "" when unreadable."""
    if not text:
        return ""
    try:
        # Go writes up to nine fraction digits; fromisoformat (3.10) takes exactly six
        fixed = re.sub(r"\.(\d+)", lambda match: "." + (match.group(1) + "000000")[:6], text)
        moment = datetime.fromisoformat(fixed.replace("Z", "+00:00"))
    except ValueError:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _case(suite: ElementTree.Element, case: TestCase) -> None:
    element = ElementTree.SubElement(suite, "testcase", classname=case.package, name=clean(case.name),
                                     time=_seconds(case.seconds))
    if case.status == "failed":
        failure = ElementTree.SubElement(element, "failure", message=clean(case.message), type="")
        failure.text = clean(case.output)
    elif case.status == "skipped":
        ElementTree.SubElement(element, "skipped", message=clean(case.message))


def _extra_case(package: PackageResult) -> TestCase | None:
    """A testcase for a failure no test case shows: a build error, a package-level failure."""
    if package.build_failed:
        return TestCase(package.name, BUILD_CASE, "failed", 0.0, package.build_output)
    if package.status == "failed" and not any(case.status == "failed" for case in package.cases):
        return TestCase(package.name, PACKAGE_CASE, "failed", package.seconds, package.output)
    return None


def _suite(parent: ElementTree.Element, package: PackageResult, go_version: str) -> tuple[int, int, int, int]:
    extra = _extra_case(package)
    cases = list(package.cases)
    failures = sum(1 for case in cases if case.status == "failed")
    skipped = sum(1 for case in cases if case.status == "skipped")
    errors = 1 if extra is not None and extra.name == BUILD_CASE else 0
    failures += 1 if extra is not None and extra.name == PACKAGE_CASE else 0
    tests = len(cases) + (1 if extra is not None else 0)
    suite = ElementTree.SubElement(parent, "testsuite", name=package.name, tests=str(tests),
                                   failures=str(failures), errors=str(errors), skipped=str(skipped),
                                   time=_seconds(package.seconds))
    stamp = _timestamp(package.started)
    if stamp:
        suite.set("timestamp", stamp)
    properties = ElementTree.SubElement(suite, "properties")
    if go_version:
        ElementTree.SubElement(properties, "property", name="go.version", value=go_version)
    if package.coverage is not None:
        ElementTree.SubElement(properties, "property", name="coverage", value=f"{package.coverage:.1f}")
    for case in cases:
        _case(suite, case)
    if extra is not None:
        element = ElementTree.SubElement(suite, "testcase", classname=package.name, name=extra.name,
                                         time=_seconds(extra.seconds))
        kind = "error" if extra.name == BUILD_CASE else "failure"
        message = "the tests did not build" if kind == "error" else "the package failed outside its tests"
        problem = ElementTree.SubElement(element, kind, message=message, type="")
        problem.text = clean(extra.output)
    if package.status == "failed" and package.output.strip():
        ElementTree.SubElement(suite, "system-out").text = clean(package.output)
    if not len(properties):
        suite.remove(properties)
    return tests, failures, errors, skipped


def junit_xml(run: TestRun, *, go_version: str = "", name: str = "go test") -> bytes:
    """The JUnit XML document of ``run``, UTF-8 with an XML declaration."""
    root = ElementTree.Element("testsuites", name=name)
    totals = [0, 0, 0, 0]
    seconds = 0.0
    for package in sorted(run.packages, key=lambda item: item.name):
        counts = _suite(root, package, go_version)
        totals = [total + count for total, count in zip(totals, counts, strict=True)]
        seconds += package.seconds
    for key, value in zip(("tests", "failures", "errors", "skipped"), totals, strict=True):
        root.set(key, str(value))
    root.set("time", _seconds(seconds))
    ElementTree.indent(root)
    document: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"
