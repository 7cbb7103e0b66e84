"""Findings for people, the way compilers show them.

    Dockerfile:1:6: error GS101 FROM ubuntu:latest uses the latest tag
        1 | FROM ubuntu:latest
          |      ^

and a summary line at the end ("3 errors, 1 warning, 2 infos in 4 files"). Image findings
have no source line to show. Colours are ANSI escapes, used only when the caller says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from goship.policy.interface import Finding, RuleInfo, Severity
from goship.policy.reporters.locations import absolute_path, is_image_finding

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_CARET = "\x1b[1;32m"
_SEVERITY_COLOR = {Severity.ERROR: "\x1b[1;31m", Severity.WARNING: "\x1b[1;35m",
                   Severity.INFO: "\x1b[1;36m"}


class _Sources:
    """Each linted file read at most once, however many findings it has."""

    def __init__(self, working_dir: Path | None) -> None:
        self._working_dir = working_dir
        self._lines: dict[str, list[str] | None] = {}

    def line(self, path: str, number: int) -> str | None:
        if path not in self._lines:
            try:
                text = absolute_path(path, self._working_dir).read_text(encoding="utf-8",
                                                                        errors="replace")
                self._lines[path] = text.splitlines()
            except OSError:
                self._lines[path] = None  # the header line alone still says where
        lines = self._lines[path]
        if lines is None or not 1 <= number <= len(lines):
            return None
        return lines[number - 1]


def _paint(text: str, style: str, color: bool) -> str:
    return f"{style}{text}{_RESET}" if color else text


def _header(finding: Finding, color: bool) -> str:
    where = finding.location.path
    if finding.location.line is not None:
        where += f":{finding.location.line}"
        if finding.location.column is not None:
            where += f":{finding.location.column}"
    severity = _paint(finding.severity.label, _SEVERITY_COLOR[finding.severity], color)
    return f"{_paint(where + ':', _BOLD, color)} {severity} {finding.rule} {finding.message}"


def _snippet(finding: Finding, sources: _Sources, color: bool) -> list[str]:
    number = finding.location.line
    if number is None:
        return []
    source = sources.line(finding.location.path, number)
    if source is None:
        return []
    gutter = f"{number:>5} | "
    lines = [gutter + source]
    column = finding.location.column
    if column is not None and column >= 1:
        # Keep the source's tabs in front of the caret, so that it lines up however wide
        # the terminal draws a tab.
        lead = "".join("\t" if char == "\t" else " " for char in source[:column - 1])
        lines.append(" " * (len(gutter) - 2) + "| " + lead + _paint("^", _CARET, color))
    return lines


def _count(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def summary(findings: Sequence[Finding], rules: Mapping[str, RuleInfo], *,
            files: int | None = None, images: int | None = None) -> str:
    """``3 errors, 1 warning, 2 infos in 4 files`` (and ``and 1 image`` when images were
    linted); without counts, the files and images that have findings are counted."""
    by_severity = {severity: 0 for severity in Severity}
    for finding in findings:
        by_severity[finding.severity] += 1
    if files is None:
        files = len({f.location.path for f in findings if not is_image_finding(f, rules)})
    if images is None:
        images = len({f.location.path for f in findings if is_image_finding(f, rules)})
    targets = [_count(files, "file")] if files or not images else []
    if images:
        targets.append(_count(images, "image"))
    counts = ", ".join(_count(by_severity[severity], severity.label)
                       for severity in sorted(Severity, reverse=True))
    return f"{counts} in {' and '.join(targets)}"


def render(findings: Sequence[Finding], rules: Mapping[str, RuleInfo], *, color: bool = False,
           files: int | None = None, images: int | None = None,
           working_dir: Path | None = None) -> str:
    sources = _Sources(working_dir)
    lines: list[str] = []
    for finding in findings:
        lines.append(_header(finding, color))
        if not is_image_finding(finding, rules):
            lines.extend(_snippet(finding, sources, color))
        if finding.fix:
            lines.append(f"{'':>5} = fix: {finding.fix}")
    lines.append(_paint(summary(findings, rules, files=files, images=images), _BOLD, color))
    return "\n".join(lines) + "\n"
