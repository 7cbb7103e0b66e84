"""Findings as SARIF 2.1.0, the format GitHub code scanning and IDE viewers read.

One run whose driver is goship, with every rule of the catalog (title, explanation, default
level), and one result per finding. Files are named relative to the repository root with
the ``%SRCROOT%`` base, so that code scanning puts the alert on the right line. An image has
no file: its result carries the reference as a logical location, and also as a relative
artifact URI (percent-encoded), because code scanning refuses a result without one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from goship.policy.interface import Finding, RuleInfo, Severity
from goship.policy.reporters.locations import absolute_path, is_image_finding, repository_path

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SOURCE_ROOT = "%SRCROOT%"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _sentence(text: str) -> str:
    # SARIF asks for messages that are whole sentences.
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _descriptor(rule: RuleInfo) -> dict[str, Any]:
    properties: dict[str, Any] = {"tags": [rule.target]}
    if rule.hadolint:
        properties["hadolint"] = list(rule.hadolint)
    if rule.dockle:
        properties["dockle"] = list(rule.dockle)
    return {
        "id": rule.id,
        "shortDescription": {"text": _sentence(rule.title)},
        "fullDescription": {"text": _sentence(rule.explanation)},
        "help": {"text": _sentence(rule.explanation)},
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": properties,
    }


def _file_location(finding: Finding, *, source_root: Path | None,
                   working_dir: Path | None) -> dict[str, Any]:
    relative = repository_path(finding.location.path, source_root=source_root, working_dir=working_dir)
    artifact: dict[str, Any]
    if relative is not None:
        artifact = {"uri": quote(relative), "uriBaseId": SOURCE_ROOT}
    else:
        artifact = {"uri": absolute_path(finding.location.path, working_dir).as_uri()}
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if finding.location.line is not None:
        region: dict[str, Any] = {"startLine": finding.location.line}
        if finding.location.column is not None:
            region["startColumn"] = finding.location.column
        if finding.location.end_line is not None and finding.location.end_line > finding.location.line:
            region["endLine"] = finding.location.end_line
        physical["region"] = region
    return {"physicalLocation": physical}


def _image_location(finding: Finding) -> dict[str, Any]:
    reference = finding.location.path
    return {
        # Every ":" is encoded: one in the first segment would read as a URI scheme.
        "physicalLocation": {"artifactLocation": {"uri": quote(reference, safe="/@")}},
        "logicalLocations": [{"name": reference, "fullyQualifiedName": reference,
                              "kind": "resource"}],
    }


def to_sarif(findings: Sequence[Finding], rules: Mapping[str, RuleInfo], *, tool_version: str = "",
             information_uri: str = "", source_root: Path | None = None,
             working_dir: Path | None = None) -> dict[str, Any]:
    descriptors = [_descriptor(rule) for rule in rules.values()]
    index = {rule_id: number for number, rule_id in enumerate(rules)}
    for finding in findings:
        if finding.rule not in index:  # not in the catalog: still give ruleIndex something to name
            index[finding.rule] = len(descriptors)
            descriptors.append({"id": finding.rule})
    results = []
    for finding in findings:
        text = _sentence(finding.message) + (f" Fix: {_sentence(finding.fix)}" if finding.fix else "")
        location = (_image_location(finding) if is_image_finding(finding, rules) else
                    _file_location(finding, source_root=source_root, working_dir=working_dir))
        results.append({
            "ruleId": finding.rule,
            "ruleIndex": index[finding.rule],
            "level": LEVEL[finding.severity],
            "message": {"text": text},
            "locations": [location],
        })
    driver: dict[str, Any] = {"name": "goship"}
    if tool_version:
        driver["version"] = tool_version
        driver["semanticVersion"] = tool_version
    if information_uri:
        driver["informationUri"] = information_uri
    driver["rules"] = descriptors
    run: dict[str, Any] = {"tool": {"driver": driver}}
    if source_root is not None:
        root_uri = Path(source_root).absolute().as_uri().rstrip("/") + "/"
        run["originalUriBaseIds"] = {SOURCE_ROOT: {"uri": root_uri}}
    run["results"] = results
    run["columnKind"] = "unicodeCodePoints"
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(findings: Sequence[Finding], rules: Mapping[str, RuleInfo], *, tool_version: str = "",
           information_uri: str = "", source_root: Path | None = None,
           working_dir: Path | None = None) -> str:
    document = to_sarif(findings, rules, tool_version=tool_version, information_uri=information_uri,
                        source_root=source_root, working_dir=working_dir)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
