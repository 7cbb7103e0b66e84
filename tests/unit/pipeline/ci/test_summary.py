"""The job summary of a test run: what a reader of the CI page needs first (did it pass,
which packages failed, why), from the JUnit report goship.pipeline writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from goship.errors import UsageError
from goship.pipeline.ci.summary import MAX_OUTPUT_LINES, junit_summary
from goship.pipeline.junit import junit_xml
from goship.pipeline.testevents import PackageResult, TestCase, TestRun


def report(tmp_path: Path, run: TestRun) -> Path:
    path = tmp_path / "junit.xml"
    path.write_bytes(junit_xml(run, go_version="go1.22.10"))
    return path


def test_the_report_goship_writes_is_summed_up_by_package(tmp_path: Path) -> None:
    run = TestRun(packages=(
        PackageResult("example.com/shop/cart", "passed", 1.25, (
            TestCase("example.com/shop/cart", "TestAdd", "passed", 0.5, ""),
            TestCase("example.com/shop/cart", "TestLimit", "skipped", 0.0, "needs a database\n")),
            output="ok\n", coverage=81.5),
        PackageResult("example.com/shop/pay", "failed", 0.75, (
            TestCase("example.com/shop/pay", "TestRefund", "failed", 0.25,
                     "pay_test.go:12: refund = 3, want 2 | <b>\n"),), "FAIL\n"),
    ))

    text = junit_summary(report(tmp_path, run))

    assert text.startswith("### Go tests failed\n\n3 tests: 1 passed, 1 failed, 1 skipped (2.0 s)\n")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[2] == "| ❌ example.com/shop/pay | 1 | 1 | 0 |  | 0.8 s |"
    assert rows[3] == "| example.com/shop/cart | 2 | 0 | 1 | 81.5% | 1.2 s |"
    assert "<details><summary>example.com/shop/pay: TestRefund</summary>" in text
    assert "pay_test.go:12: refund = 3, want 2 | <b>" in text  # in a code block: left as it is


def test_a_package_that_did_not_build_counts_as_failed(tmp_path: Path) -> None:
    run = TestRun(packages=(PackageResult("example.com/shop/pay", "failed", 0.0, (), "FAIL\n",
                                          build_output="pay.go:3:1: syntax error\n"),))

    text = junit_summary(report(tmp_path, run))

    assert "1 tests: 0 passed, 1 failed" in text
    assert "syntax error" in text


def test_long_output_keeps_its_end_and_fences_hold(tmp_path: Path) -> None:
    output = "".join(f"line {number}\n" for number in range(200)) + "```\n"
    case = TestCase("p", "TestX", "failed", 1.0, output)
    run = TestRun(packages=(PackageResult("p", "failed", 1.0, (case,), "FAIL\n"),))

    text = junit_summary(report(tmp_path, run))

    assert "line 199" in text and "line 10\n" not in text
    assert f"… {201 - MAX_OUTPUT_LINES} lines before" in text
    assert "\n````\n" in text  # a longer fence than the output's own


def test_all_passed(tmp_path: Path) -> None:
    run = TestRun(packages=(PackageResult("p", "passed", 0.1, (TestCase("p", "TestX", "passed", 0.1, ""),),
                                          "ok\n"),))

    text = junit_summary(report(tmp_path, run))

    assert text.startswith("### Go tests passed\n\n1 tests: 1 passed, 0 failed")


def test_a_file_that_is_not_junit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text("not xml")

    with pytest.raises(UsageError, match="is not a JUnit XML report"):
        junit_summary(path)
