"""Findings as text for people, and as JSON, SARIF 2.1.0 or GitLab Code Quality for machines.

One module per format, each with ``render(findings, rules, **options) -> str`` taking the
keyword options it understands; ``render`` here picks a format by name and hands it its share
of one ReportOptions, so the CLI treats every format alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from goship.policy.interface import Finding, RuleInfo

FORMATS = ("text", "json", "sarif", "gitlab")


@dataclass(frozen=True)
class ReportOptions:
    color: bool = False  # ANSI colours in text; the CLI decides (a terminal, NO_COLOR unset)
    tool_version: str = ""  # SARIF tool.driver.version
    information_uri: str = ""  # SARIF tool.driver.informationUri; empty: left out
    source_root: Path | None = None  # SARIF URIs and GitLab paths are relative to it (the repo root)
    working_dir: Path | None = None  # what relative finding paths are relative to
    files: int | None = None  # Dockerfiles linted, for the text summary (None: those with findings)
    images: int | None = None  # images linted, likewise


def render(format_name: str, findings: Sequence[Finding], rules: Mapping[str, RuleInfo],
           options: ReportOptions | None = None) -> str:
    """The findings in one of FORMATS; ValueError for another name."""
    given = options or ReportOptions()
    if format_name == "text":
        from goship.policy.reporters import text

        return text.render(findings, rules, color=given.color, files=given.files,
                           images=given.images, working_dir=given.working_dir)
    if format_name == "json":
        from goship.policy.reporters import json

        return json.render(findings, rules)
    if format_name == "sarif":
        from goship.policy.reporters import sarif

        return sarif.render(findings, rules, tool_version=given.tool_version,
                            information_uri=given.information_uri, source_root=given.source_root,
                            working_dir=given.working_dir)
    if format_name == "gitlab":
        from goship.policy.reporters import gitlab

        return gitlab.render(findings, rules, source_root=given.source_root,
                             working_dir=given.working_dir)
    raise ValueError(f"unknown report format '{format_name}': use {', '.join(FORMATS)}")
