"""docs/rules.md documents every rule as the catalog has it."""

from __future__ import annotations

from pathlib import Path

from goship.policy.catalog import all_rules
from goship.policy.docs import render

DOC = Path(__file__).resolve().parents[3] / "docs" / "rules.md"


def test_docs_rules_md_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render(all_rules()), \
        "docs/rules.md is out of date: run .venv/bin/python -m goship.policy.docs docs/rules.md"


def test_every_rule_has_an_explanation_with_a_fix_and_a_section() -> None:
    text = DOC.read_text(encoding="utf-8")
    for rule in all_rules().values():
        assert f"### {rule.id}" in text
        assert len(rule.explanation) > 80, f"{rule.id}'s explanation is too short to say how to fix it"
