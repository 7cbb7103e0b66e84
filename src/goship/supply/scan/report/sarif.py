"""A ScanResult as SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

One run; its rules are the vulnerabilities found (ID, summary, details, link, and GitHub's
``security-severity``: the CVSS score, else the lower bound of the rated band; nothing when
the severity is unknown). Each finding is a result located at the binary: in an image, the
binary's path there as a relative URI (an image has no source tree), with the image and
platform as a logical location; a binary on disk, as the path given. Waived findings carry
an accepted external suppression with the waiver's reason.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from goship.policy.reporters.sarif import SCHEMA_URI
from goship.supply.scan.interface import Finding, ScanResult, Severity, Vulnerability
from goship.supply.scan.report.options import ReportOptions

INFORMATION_URI = "https://go.dev/security/vuln/"
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
         Severity.LOW: "note", Severity.UNKNOWN: "warning"}
_BAND_FLOOR = {Severity.CRITICAL: 9.0, Severity.HIGH: 7.0, Severity.MEDIUM: 4.0, Severity.LOW: 0.1}


def _sentence(text: str) -> str:
    # SARIF asks for messages that are whole sentences.
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else text + "."


def _rule(vulnerability: Vulnerability) -> dict[str, Any]:
    summary = vulnerability.summary or vulnerability.id
    details = vulnerability.details or summary
    if vulnerability.aliases:
        details += f"\n\nAliases: {', '.join(vulnerability.aliases)}"
    properties: dict[str, Any] = {"tags": ["security", "vulnerability", "go"]}
    if vulnerability.severity is not Severity.UNKNOWN:
        score = vulnerability.score
        if score is None:
            score = _BAND_FLOOR[vulnerability.severity]
        properties["security-severity"] = f"{score:.1f}"
    rule: dict[str, Any] = {
        "id": vulnerability.id,
        "shortDescription": {"text": _sentence(summary)},
        "fullDescription": {"text": _sentence(details)},
        "help": {"text": _sentence(details) + (f" See {vulnerability.url}" if vulnerability.url else "")},
        "defaultConfiguration": {"level": LEVEL[vulnerability.severity]},
        "properties": properties,
    }
    if vulnerability.url.startswith(("https://", "http://")):
        rule["helpUri"] = vulnerability.url
    return rule


def _uri(path: str, in_image: bool) -> str:
    if in_image:
        return quote(PurePosixPath(path).as_posix().lstrip("/"), safe="/")
    local = Path(path)
    return local.absolute().as_uri() if local.is_absolute() else quote(local.as_posix(), safe="/")


def _message(finding: Finding) -> str:
    vulnerability = finding.vulnerability
    names = vulnerability.id + (f" ({', '.join(vulnerability.aliases)})" if vulnerability.aliases else "")
    text = f"{finding.module} {finding.version} in {finding.binary} is affected by {names}"
    if vulnerability.summary:
        text += f": {_sentence(vulnerability.summary)}"
    else:
        text += "."
    text += f" Fixed in {finding.fixed}." if finding.fixed else " No fixed version is known."
    if finding.waiver is not None:
        text += f" Waived until {finding.waiver.expires.isoformat()}: {_sentence(finding.waiver.reason)}"
    return text


def _result(finding: Finding, rule_index: int, in_image: bool, digest: str | None) -> dict[str, Any]:
    where = f"{finding.source} ({finding.platform})" if finding.platform else finding.source
    fingerprint = hashlib.sha256("\n".join((finding.source, finding.platform, finding.binary,
                                            finding.module, finding.id)).encode()).hexdigest()
    properties: dict[str, Any] = {"module": finding.module, "version": finding.version,
                                  "fixedVersion": finding.fixed, "severity": finding.severity.label,
                                  "source": finding.source, "platform": finding.platform}
    if digest:
        properties["digest"] = digest
    result: dict[str, Any] = {
        "ruleId": finding.id,
        "ruleIndex": rule_index,
        "level": LEVEL[finding.severity],
        "message": {"text": _message(finding)},
        "locations": [{
            "physicalLocation": {"artifactLocation": {"uri": _uri(finding.binary, in_image)}},
            "logicalLocations": [{"name": finding.binary,
                                  "fullyQualifiedName": f"{where}:{finding.binary}",
                                  "kind": "resource"}],
        }],
        "partialFingerprints": {"goshipVulnerability/v1": fingerprint[:32]},
        "properties": properties,
    }
    if finding.waiver is not None:
        result["suppressions"] = [{
            "kind": "external", "status": "accepted",
            "justification": (f"{finding.waiver.reason} (waived until {finding.waiver.expires.isoformat()}"
                              + (f", {finding.waiver.location}" if finding.waiver.location else "") + ")"),
        }]
    return result


def to_sarif(result: ScanResult, options: ReportOptions) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results = []
    for subject_report in result.subjects:
        subject = subject_report.subject
        for binary in subject_report.binaries:
            for finding in binary.findings:
                if finding.id not in index:
                    index[finding.id] = len(rules)
                    rules.append(_rule(finding.vulnerability))
                results.append(_result(finding, index[finding.id], subject.digest is not None,
                                       subject.digest))
    driver: dict[str, Any] = {"name": "goship", "informationUri": INFORMATION_URI}
    if options.tool_version:
        driver["version"] = options.tool_version
        driver["semanticVersion"] = options.tool_version
    driver["rules"] = rules
    database: dict[str, Any] = {"location": result.database.location, "kind": result.database.kind}
    if result.database.modified:
        database["modified"] = result.database.modified
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {"vulnerabilityDatabase": database, "failOn": options.fail_on},
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(result: ScanResult, options: ReportOptions) -> str:
    return json.dumps(to_sarif(result, options), indent=2, ensure_ascii=False) + "\n"
