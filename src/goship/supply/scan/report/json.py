"""A ScanResult as one JSON document, for scripts and dashboards (docs/scan.md describes it).

Keys are stable within ``schema_version`` 1: new keys may appear, none change meaning or go
away. Subjects, binaries and findings keep the order of the scan (findings: most severe
first, then by ID), so the same scan gives the same bytes.
"""

from __future__ import annotations

import json
from typing import Any

from goship.supply.scan.interface import BinaryReport, Finding, ScanResult, Severity, Waiver
from goship.supply.scan.report.options import ReportOptions

SCHEMA_VERSION = 1


def waiver_json(waiver: Waiver) -> dict[str, Any]:
    return {"id": waiver.id, "reason": waiver.reason, "expires": waiver.expires.isoformat(),
            "module": waiver.module, "image": waiver.image, "location": waiver.location}


def finding_json(finding: Finding, fail_on: str) -> dict[str, Any]:
    vulnerability = finding.vulnerability
    return {
        "id": finding.id,
        "aliases": list(vulnerability.aliases),
        "summary": vulnerability.summary,
        "severity": finding.severity.label,
        "cvss_score": vulnerability.score,
        "cvss_vector": vulnerability.vector or None,
        "module": finding.module,
        "version": finding.version,
        "fixed_version": finding.fixed,
        "replaces": finding.replaced or None,
        "packages": [{"path": package.path, "symbols": list(package.symbols),
                      "goos": list(package.goos), "goarch": list(package.goarch)}
                     for package in finding.packages],
        "url": vulnerability.url or None,
        "published": vulnerability.published or None,
        "modified": vulnerability.modified,
        "waiver": waiver_json(finding.waiver) if finding.waiver is not None else None,
        "expired_waiver": (waiver_json(finding.expired_waiver)
                           if finding.expired_waiver is not None else None),
        "fails": finding.fails(fail_on),
    }


def _binary(report: BinaryReport, fail_on: str) -> dict[str, Any]:
    info = report.binary.info
    return {
        "path": report.binary.path,
        "sha256": report.binary.sha256,
        "size": report.binary.size,
        "go_version": info.go_version,
        "main_module": info.main.path if info.main is not None else None,
        "goos": info.setting("GOOS"),
        "goarch": info.setting("GOARCH"),
        "findings": [finding_json(finding, fail_on) for finding in report.findings],
        "unchecked": [{"module": item.module, "version": item.version, "reason": item.reason}
                      for item in report.unchecked],
    }


def to_json(result: ScanResult, options: ReportOptions) -> dict[str, Any]:
    findings = result.findings
    counted = [finding for finding in findings if not finding.waived]
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "goship", "version": options.tool_version or None},
        "scanned_on": result.today.isoformat(),
        "fail_on": options.fail_on,
        "database": {"location": result.database.location, "kind": result.database.kind,
                     "modified": result.database.modified or None,
                     "warning": result.database.warning or None,
                     "cache": result.database.cache or None},
        "subjects": [{
            "source": report.subject.source,
            "platform": report.subject.platform,
            "digest": report.subject.digest,
            "index_digest": report.subject.index_digest,
            "binaries": [_binary(binary, options.fail_on) for binary in report.binaries],
            "skipped": [{"path": item.path, "reason": item.reason} for item in report.subject.skipped],
        } for report in result.subjects],
        "waivers": {"expired": [waiver_json(waiver) for waiver in result.expired_waivers],
                    "unused": [waiver_json(waiver) for waiver in result.unused_waivers]},
        "summary": {
            "binaries": result.binaries,
            "findings": len(findings),
            "waived": len(findings) - len(counted),
            "failing": len(result.failing(options.fail_on)),
            "by_severity": {severity.label: sum(1 for finding in counted if finding.severity is severity)
                            for severity in sorted(Severity, reverse=True)},
        },
    }


def render(result: ScanResult, options: ReportOptions) -> str:
    return json.dumps(to_json(result, options), indent=2, ensure_ascii=False) + "\n"
