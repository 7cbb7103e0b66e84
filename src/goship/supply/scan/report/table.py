"""A ScanResult for people: per image and platform, per binary, one row per finding.

    registry.example.com/api:v1  linux/amd64  sha256:3b1f…
      /app/api  go1.24.1  example.com/api
        ID            SEVERITY  MODULE               VERSION    FIXED IN   STATUS
        GO-2022-0229  unknown   golang.org/x/crypto  v0.0.0-…   v0.0.0-…   fails
                      CVE-2020-7919, GHSA-cjjc-xp8v-855w: On 32-bit architectures, a malformed…

then a summary: counts by severity, the waived and failing findings, expired and unused
waivers, and the database used.
"""

from __future__ import annotations

from collections.abc import Sequence

from goship.supply.scan.interface import BinaryReport, Finding, ScanResult, Severity, SubjectReport
from goship.supply.scan.report.options import ReportOptions

_HEADER = ("ID", "SEVERITY", "MODULE", "VERSION", "FIXED IN", "STATUS")


def _status(finding: Finding, fail_on: str) -> str:
    if finding.waiver is not None:
        return f"waived until {finding.waiver.expires.isoformat()}: {finding.waiver.reason}"
    status = "fails" if finding.fails(fail_on) else "reported"
    if finding.expired_waiver is not None:
        status += f" (waiver expired {finding.expired_waiver.expires.isoformat()})"
    return status


def _rows(findings: Sequence[Finding], fail_on: str) -> list[str]:
    rows = [_HEADER] + [(finding.id, finding.severity.label, finding.module, finding.version,
                         finding.fixed or "none", _status(finding, fail_on)) for finding in findings]
    widths = [max(len(row[column]) for row in rows) for column in range(len(_HEADER) - 1)]
    lines = []
    for number, row in enumerate(rows):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("    " + "  ".join([*cells, row[-1]]).rstrip())
        if number == 0:
            continue
        finding = findings[number - 1]
        about = finding.vulnerability.summary
        if finding.vulnerability.aliases:
            about = ", ".join(finding.vulnerability.aliases) + (f": {about}" if about else "")
        if finding.replaced:
            about += f" (replaces {finding.replaced})"
        if about:
            lines.append("    " + " " * (widths[0] + 2) + about)
    return lines


def _subject_header(report: SubjectReport) -> str:
    subject = report.subject
    parts = [subject.source]
    if subject.platform:
        parts.append(subject.platform)
    if subject.digest:
        parts.append(subject.digest)
    return "  ".join(parts)


def _binary_lines(report: BinaryReport, fail_on: str) -> list[str]:
    info = report.binary.info
    heading = f"  {report.binary.path}  {info.go_version}"
    if info.main is not None and info.main.path:
        heading += f"  {info.main.path}"
    lines = [heading]
    if report.findings:
        lines.extend(_rows(report.findings, fail_on))
    else:
        lines.append("    no known vulnerabilities")
    lines.extend(f"    not checked: {item.module} {item.version}: {item.reason}"
                 for item in report.unchecked)
    return lines


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _summary(result: ScanResult, fail_on: str) -> list[str]:
    findings = result.findings
    counted = [finding for finding in findings if not finding.waived]
    affected = sum(1 for subject in result.subjects for binary in subject.binaries
                   if any(not finding.waived for finding in binary.findings))
    line = (f"{_count(len(counted), 'vulnerability', 'vulnerabilities')} in {affected} of "
            f"{_count(result.binaries, 'binary', 'binaries')}")
    if counted:
        counts = [f"{number} {severity.label}" for severity in sorted(Severity, reverse=True)
                  if (number := sum(1 for finding in counted if finding.severity is severity))]
        line += " (" + ", ".join(counts) + (" severity" if counts[-1].endswith("unknown") else "") + ")"
    waived = len(findings) - len(counted)
    if waived:
        line += f"; {waived} waived"
    if fail_on == "never":
        line += "; nothing fails --fail-on never"
    else:
        line += f"; {len(result.failing(fail_on))} fail --fail-on {fail_on}"
    lines = [line]
    for waiver in result.expired_waivers:
        lines.append(f"expired waiver: {waiver.id} ({waiver.location or 'goship.toml'}, expired "
                     f"{waiver.expires.isoformat()}): {waiver.reason}")
    for waiver in result.unused_waivers:
        lines.append(f"unused waiver: {waiver.id} ({waiver.location or 'goship.toml'}) matched nothing")
    database = result.database
    described = f"database: {database.location}"
    if database.modified:
        described += f" (modified {database.modified})"
    if database.cache:
        described += f", the copy cached in {database.cache}"
    lines.append(described)
    if database.warning:
        lines.append(f"warning: {database.warning}")
    return lines


def render(result: ScanResult, options: ReportOptions) -> str:
    lines: list[str] = []
    for report in result.subjects:
        lines.append(_subject_header(report))
        for binary in report.binaries:
            lines.extend(_binary_lines(binary, options.fail_on))
        lines.extend(f"  {item.path}: skipped ({item.reason})" for item in report.subject.skipped)
        lines.append("")
    lines.extend(_summary(result, options.fail_on))
    return "\n".join(lines) + "\n"
