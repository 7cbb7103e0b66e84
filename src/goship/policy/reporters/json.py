"""Findings as a JSON list, one object per finding, for scripts and dashboards.

Each object holds the rule ID and title, the severity after the policy's overrides, where
(file, line, column; for an image the file is its reference and line/column are null), the
message and the suggested fix ("" when there is none).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from goship.policy.interface import Finding, RuleInfo
from goship.policy.reporters.locations import is_image_finding


def to_json(finding: Finding, rules: Mapping[str, RuleInfo]) -> dict[str, Any]:
    rule = rules.get(finding.rule)
    return {
        "rule": finding.rule,
        "title": rule.title if rule is not None else "",
        "severity": finding.severity.label,
        "target": "image" if is_image_finding(finding, rules) else "dockerfile",
        "file": finding.location.path,
        "line": finding.location.line,
        "column": finding.location.column,
        "end_line": finding.location.end_line,
        "message": finding.message,
        "fix": finding.fix,
    }


def render(findings: Sequence[Finding], rules: Mapping[str, RuleInfo]) -> str:
    return json.dumps([to_json(finding, rules) for finding in findings], indent=2,
                      ensure_ascii=False) + "\n"
