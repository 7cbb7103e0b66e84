"""`go test -json` events folded per test and written as JUnit XML that CI systems parse.

The events are what Go 1.25 printed for a small module (tests that pass, fail, skip, fail in
a subtest, panic, and a package whose tests do not compile), trimmed to the fields used.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree

from goship.pipeline.junit import BUILD_CASE, PACKAGE_CASE, junit_xml
from goship.pipeline.testevents import read_events


def event(action: str, package: str = "example.com/app/calc", test: str | None = None,
          output: str | None = None, elapsed: float | None = None, **extra: str) -> str:
    fields: dict[str, object] = {"Time": "2024-10-01T12:00:00.123456789Z", "Action": action}
    if package:
        fields["Package"] = package
    if test is not None:
        fields["Test"] = test
    if output is not None:
        fields["Output"] = output
    if elapsed is not None:
        fields["Elapsed"] = elapsed
    fields.update(extra)
    return json.dumps(fields) + "\n"


CALC = [
    event("start"),
    event("run", test="TestAdd"),
    event("output", test="TestAdd", output="=== RUN   TestAdd\n"),
    event("output", test="TestAdd", output="--- PASS: TestAdd (0.00s)\n"),
    event("pass", test="TestAdd", elapsed=0.01),
    event("run", test="TestDivide"),
    event("output", test="TestDivide", output="=== RUN   TestDivide\n"),
    event("output", test="TestDivide",
          output="    calc_test.go:14: Divide(1, 0) = 0, want an error <&>\x1b[31m\n"),
    event("output", test="TestDivide", output="--- FAIL: TestDivide (0.00s)\n"),
    event("fail", test="TestDivide", elapsed=0.02),
    event("run", test="TestSlow"),
    event("output", test="TestSlow", output="    calc_test.go:20: slow; run without -short\n"),
    event("skip", test="TestSlow", elapsed=0),
    event("run", test="TestTable"),
    event("run", test="TestTable/zero"),
    event("pass", test="TestTable/zero", elapsed=0),
    event("run", test="TestTable/negative"),
    event("output", test="TestTable/negative", output="    calc_test.go:31: got 2, want -2\n"),
    event("fail", test="TestTable/negative", elapsed=0),
    event("fail", test="TestTable", elapsed=0),
    event("output", output="FAIL\n"),
    event("output", output="coverage: 62.5% of statements\n"),
    event("output", output="FAIL\texample.com/app/calc\t0.004s\n"),
    event("fail", elapsed=0.004),
]
BROKEN = [
    json.dumps({"ImportPath": "example.com/app/store [example.com/app/store.test]",
                "Action": "build-output", "Output": "# example.com/app/store\n"}) + "\n",
    json.dumps({"ImportPath": "example.com/app/store [example.com/app/store.test]",
                "Action": "build-output", "Output": "store/store.go:3:9: undefined: missing\n"}) + "\n",
    json.dumps({"ImportPath": "example.com/app/store [example.com/app/store.test]",
                "Action": "build-fail"}) + "\n",
    event("start", package="example.com/app/store"),
    event("output", package="example.com/app/store", output="FAIL\texample.com/app/store [build failed]\n"),
    event("fail", package="example.com/app/store", elapsed=0,
          FailedBuild="example.com/app/store [example.com/app/store.test]"),
]
PANIC = [
    event("start", package="example.com/app/server"),
    event("run", package="example.com/app/server", test="TestServe"),
    event("output", package="example.com/app/server", test="TestServe",
          output="panic: runtime error: invalid memory address\n"),
    event("output", package="example.com/app/server", output="FAIL\texample.com/app/server\t0.01s\n"),
    event("fail", package="example.com/app/server", elapsed=0.01),
]
QUIET = [
    event("start", package="example.com/app/cmd/app"),
    event("output", package="example.com/app/cmd/app",
          output="?   \texample.com/app/cmd/app\t[no test files]\n"),
    event("skip", package="example.com/app/cmd/app", elapsed=0),
]


def suites(document: bytes) -> dict[str, ElementTree.Element]:
    root = ElementTree.fromstring(document)
    assert root.tag == "testsuites"
    return {suite.get("name", ""): suite for suite in root.findall("testsuite")}


def cases(suite: ElementTree.Element) -> dict[str, ElementTree.Element]:
    return {case.get("name", ""): case for case in suite.findall("testcase")}


def test_every_test_and_subtest_is_a_testcase_with_its_result() -> None:
    run = read_events(CALC)

    calc = suites(junit_xml(run, go_version="go1.25.5"))["example.com/app/calc"]
    found = cases(calc)

    assert list(found) == ["TestAdd", "TestDivide", "TestSlow", "TestTable", "TestTable/zero",
                           "TestTable/negative"]
    assert {name for name, case in found.items() if case.find("failure") is not None} == {
        "TestDivide", "TestTable", "TestTable/negative"}
    assert found["TestSlow"].find("skipped") is not None
    assert found["TestAdd"].find("failure") is None and found["TestAdd"].get("time") == "0.010"
    assert all(case.get("classname") == "example.com/app/calc" for case in found.values())
    assert [calc.get(key) for key in ("tests", "failures", "errors", "skipped")] == ["6", "3", "0", "1"]
    properties = {item.get("name"): item.get("value") for item in calc.iter("property")}
    assert properties == {"go.version": "go1.25.5", "coverage": "62.5"}
    assert calc.get("timestamp") == "2024-10-01T12:00:00"


def test_a_failure_holds_the_tests_own_message_and_output_even_with_terminal_escapes() -> None:
    document = junit_xml(read_events(CALC))

    failure = cases(suites(document)["example.com/app/calc"])["TestDivide"].find("failure")

    assert failure is not None
    assert failure.get("message") == r"calc_test.go:14: Divide(1, 0) = 0, want an error <&>\x1b[31m"
    assert "--- FAIL: TestDivide" in (failure.text or "")
    assert b"\x1b" not in document  # XML 1.0 cannot hold it: written as \x1b


def test_a_package_whose_tests_do_not_compile_is_an_error_with_the_compiler_output() -> None:
    run = read_events(BROKEN + CALC)

    store = suites(junit_xml(run))["example.com/app/store"]
    [case] = store.findall("testcase")

    assert case.get("name") == BUILD_CASE
    error = case.find("error")
    assert error is not None and "undefined: missing" in (error.text or "")
    assert store.get("errors") == "1"
    assert [package.name for package in run.failed_packages] == ["example.com/app/store",
                                                                  "example.com/app/calc"]
    assert "store/store.go:3:9: undefined: missing" in run.failure_output()


def test_a_test_that_never_finished_counts_as_failed() -> None:
    run = read_events(PANIC)

    [case] = run.cases

    assert case.status == "failed" and not case.finished
    assert case.message == "panic: runtime error: invalid memory address"
    server = suites(junit_xml(run))["example.com/app/server"]
    assert server.get("failures") == "1"


def test_a_package_that_fails_outside_its_tests_gets_a_testcase_saying_so() -> None:
    events = [event("start", package="example.com/app/db"),
              event("output", package="example.com/app/db", output="TestMain: no database\n"),
              event("output", package="example.com/app/db", output="FAIL\texample.com/app/db\t0.01s\n"),
              event("fail", package="example.com/app/db", elapsed=0.01)]

    db = suites(junit_xml(read_events(events)))["example.com/app/db"]

    assert [case.get("name") for case in db.findall("testcase")] == [PACKAGE_CASE]
    assert db.get("failures") == "1"


def test_totals_add_up_over_packages_and_a_package_without_tests_is_listed() -> None:
    run = read_events(CALC + BROKEN + QUIET)

    root = ElementTree.fromstring(junit_xml(run))

    assert [root.get(key) for key in ("tests", "failures", "errors", "skipped")] == ["7", "3", "1", "1"]
    assert [suite.get("name") for suite in root.findall("testsuite")] == [
        "example.com/app/calc", "example.com/app/cmd/app", "example.com/app/store"]
    assert run.packages[-1].status == "no tests"


def test_the_failure_output_shows_only_what_failed() -> None:
    text = read_events(CALC).failure_output()

    assert "Divide(1, 0) = 0, want an error" in text
    assert "got 2, want -2" in text
    assert "TestAdd" not in text and "slow; run without -short" not in text
    assert "FAIL\texample.com/app/calc" in text


def test_lines_that_are_not_events_are_kept_apart() -> None:
    run = read_events(["go: downloading example.com/dep v1.0.0\n", *QUIET])

    assert run.stray_output == "go: downloading example.com/dep v1.0.0\n"
    assert [package.name for package in run.packages] == ["example.com/app/cmd/app"]
