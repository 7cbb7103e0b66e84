"""Every Dockerfile rule, by example: each rule flags exactly the lines its failing examples
name and stays silent on its passing ones. A rule without both kinds of example fails the
last test, so a new rule cannot land untested."""

from __future__ import annotations

from pathlib import Path

import pytest

from goship.policy.dockerfile_rules import RULES

from .dockerfile_cases import GOOD, Case, lint
from .dockerfile_examples_build import CASES as BUILD_CASES
from .dockerfile_examples_run import CASES as RUN_CASES
from .dockerfile_examples_runtime import CASES as RUNTIME_CASES

CASES: list[Case] = [*BUILD_CASES, *RUNTIME_CASES, *RUN_CASES]


def test_the_reference_dockerfile_meets_every_rule() -> None:
    assert lint(GOOD) == []


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_rule_example(case: Case, tmp_path: Path) -> None:
    assert case.flagged(tmp_path) == list(case.lines)


def test_every_rule_has_a_failing_and_a_passing_example() -> None:
    failing = {case.rule for case in CASES if case.lines}
    passing = {case.rule for case in CASES if not case.lines}
    rules = {rule.id for rule in RULES}

    assert sorted(rules - failing) == []
    assert sorted(rules - passing) == []
    assert sorted((failing | passing) - rules) == []  # no example for a rule that does not exist


def test_example_ids_are_unique() -> None:
    ids = [case.id for case in CASES]
    assert sorted(id for id in ids if ids.count(id) > 1) == []
