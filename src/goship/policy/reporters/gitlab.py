"""Findings as a GitLab Code Quality report (the ``codequality`` artifact of a CI job).

GitLab shows them in merge requests: a list of issues with ``description``, ``check_name``,
``fingerprint`` (GitLab matches issues across pipelines by it, so it must not change while
the finding does not), ``severity`` (info, minor, major, critical, blocker) and
``location.path`` relative to the repository with ``location.lines.begin``. An image has no
file: its reference stands as the path, at line 1.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from goship.policy.interface import Finding, RuleInfo, Severity
from goship.policy.reporters.locations import is_image_finding, repository_path

_SEVERITY = {Severity.INFO: "info", Severity.WARNING: "major", Severity.ERROR: "critical"}


def fingerprint(rule: str, path: str, line: int, message: str) -> str:
    text = "\0".join((rule, path, str(line), message))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _issue(finding: Finding, rules: Mapping[str, RuleInfo], *, source_root: Path | None,
           working_dir: Path | None) -> dict[str, Any]:
    path = finding.location.path
    if not is_image_finding(finding, rules):
        path = repository_path(path, source_root=source_root, working_dir=working_dir) or \
            Path(path).as_posix()
    line = finding.location.line or 1
    issue: dict[str, Any] = {
        "type": "issue",
        "description": finding.message,
        "check_name": finding.rule,
        "fingerprint": fingerprint(finding.rule, path, line, finding.message),
        "severity": _SEVERITY[finding.severity],
        "location": {"path": path, "lines": {"begin": line}},
    }
    if finding.fix:
        issue["description"] += f" (fix: {finding.fix})"
    return issue


def render(findings: Sequence[Finding], rules: Mapping[str, RuleInfo], *,
           source_root: Path | None = None, working_dir: Path | None = None) -> str:
    issues = [_issue(finding, rules, source_root=source_root, working_dir=working_dir)
              for finding in findings]
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
