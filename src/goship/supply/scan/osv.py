"""One OSV entry (https://ossf.github.io/osv-schema/) as a ``Vulnerability``.

The Go vulnerability database serves OSV; so do OSV's bulk exports, which also carry
GitHub's advisories for Go modules. Only what matching and reports need is kept: the
``Go`` ecosystem's affected modules with their SEMVER ranges and explicit versions, the
packages with their GOOS/GOARCH filters and symbols (``ecosystem_specific.imports``), the
aliases, and a severity.

The Go database rates nothing; other sources do, so the severity is the first of: a CVSS v4,
v3 or v2 vector in ``severity`` (scored by the cvss library, and put in the CVSS bands: 9.0
critical, 7.0 high, 4.0 medium, below that low), GitHub's ``database_specific.severity``
(LOW, MODERATE, HIGH, CRITICAL), else unknown.

The schema is plain JSON and small; no maintained Python package reads it into typed values
with Go's ``ecosystem_specific`` part, so this module does, refusing what is not OSV.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from goship.supply.scan.interface import Affected, AffectedPackage, Severity, Vulnerability

ECOSYSTEM = "Go"
_EVENTS = ("introduced", "fixed", "last_affected", "limit")
_CVSS_ORDER = ("CVSS_V4", "CVSS_V3", "CVSS_V2")


def parse_entry(data: Any) -> Vulnerability:
    """The entry as a Vulnerability; ValueError saying what is wrong when it is not OSV."""
    if not isinstance(data, dict):
        raise ValueError("an OSV entry must be a JSON object")
    entry_id = _text(data, "id", required=True)
    modified = _text(data, "modified", required=True)
    details = _text(data, "details")
    summary = _text(data, "summary") or next(
        (line.strip() for line in details.splitlines() if line.strip()), "")
    affected_list = _list(data, "affected")
    affected = tuple(item for item in (_affected(entry, number)
                                       for number, entry in enumerate(affected_list))
                     if item is not None)
    severity, score, vector = _severity(data, affected_list)
    database_specific = data.get("database_specific")
    url = ""
    if isinstance(database_specific, dict) and isinstance(database_specific.get("url"), str):
        url = database_specific["url"]
    if not url:
        url = _advisory_url(data)
    return Vulnerability(
        id=entry_id,
        modified=modified,
        summary=summary,
        details=details,
        aliases=tuple(_strings(data, "aliases")),
        affected=affected,
        severity=severity,
        score=score,
        vector=vector,
        withdrawn=_text(data, "withdrawn"),
        published=_text(data, "published"),
        url=url,
    )


def _text(data: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise ValueError(f"'{key}' must be a string" if key in data else f"'{key}' is missing")
    return value


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"'{key}' must be a list")
    return value


def _strings(data: Mapping[str, Any], key: str) -> list[str]:
    values = _list(data, key)
    if not all(isinstance(value, str) for value in values):
        raise ValueError(f"'{key}' must be a list of strings")
    return values


def _affected(data: Any, number: int) -> Affected | None:
    """One affected element; None when it is of another ecosystem."""
    where = f"affected[{number}]"
    if not isinstance(data, dict):
        raise ValueError(f"{where} must be an object")
    package = data.get("package")
    if not isinstance(package, dict) or not isinstance(package.get("name"), str):
        raise ValueError(f"{where}.package.name is missing")
    if package.get("ecosystem") != ECOSYSTEM:
        return None
    ranges: list[tuple[tuple[str, str], ...]] = []
    for position, item in enumerate(_list(data, "ranges")):
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise ValueError(f"{where}.ranges[{position}] has no type")
        if item["type"] != "SEMVER":  # GIT ranges name commits, which a binary does not record
            continue
        events: list[tuple[str, str]] = []
        for event in _list(item, "events"):
            if not isinstance(event, dict) or len(event) != 1:
                raise ValueError(f"{where}.ranges[{position}] has an event that is not "
                                 "one of introduced, fixed, last_affected, limit")
            (kind, version), = event.items()
            if kind not in _EVENTS or not isinstance(version, str):
                raise ValueError(f"{where}.ranges[{position}] has an unknown event '{kind}'")
            events.append((kind, version))
        ranges.append(tuple(events))
    return Affected(
        module=package["name"],
        ranges=tuple(ranges),
        versions=tuple(_strings(data, "versions")),
        packages=_packages(data.get("ecosystem_specific"), where),
    )


def _packages(ecosystem_specific: Any, where: str) -> tuple[AffectedPackage, ...]:
    if not isinstance(ecosystem_specific, dict):
        return ()
    packages = []
    for position, item in enumerate(_list(ecosystem_specific, "imports")):
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            raise ValueError(f"{where}.ecosystem_specific.imports[{position}] has no path")
        try:
            packages.append(AffectedPackage(
                path=item["path"],
                goos=tuple(_strings(item, "goos")),
                goarch=tuple(_strings(item, "goarch")),
                symbols=tuple(_strings(item, "symbols")),
            ))
        except ValueError as exc:
            raise ValueError(f"{where}.ecosystem_specific.imports[{position}]: {exc}") from None
    return tuple(packages)


def _severity(data: Mapping[str, Any], affected: list[Any]) -> tuple[Severity, float | None, str]:
    """(severity, CVSS base score, vector) from the entry's ``severity`` (or, as OSV 1.5
    allows, an affected element's), else GitHub's rating; (UNKNOWN, None, "") without."""
    scores = [item for item in _list(data, "severity") if isinstance(item, dict)]
    for element in affected:
        if isinstance(element, dict) and isinstance(element.get("severity"), list):
            scores.extend(item for item in element["severity"] if isinstance(item, dict))
    for kind in _CVSS_ORDER:
        for item in scores:
            vector = item.get("score")
            if item.get("type") == kind and isinstance(vector, str):
                rated = _cvss(kind, vector)
                if rated is not None:
                    return rated[0], rated[1], vector
    for holder in (data, *(element for element in affected if isinstance(element, dict))):
        specific = holder.get("database_specific")
        if isinstance(specific, dict) and isinstance(specific.get("severity"), str):
            severity = Severity.from_name(specific["severity"])
            if severity is not Severity.UNKNOWN:
                return severity, None, ""
    return Severity.UNKNOWN, None, ""


def _cvss(kind: str, vector: str) -> tuple[Severity, float] | None:
    """The severity and base score of a vector; None when the cvss library cannot read it
    (a malformed vector rates nothing, rather than stopping the scan)."""
    import cvss

    try:
        if kind == "CVSS_V4":
            score = float(cvss.CVSS4(vector).base_score)
        elif kind == "CVSS_V3":
            score = float(cvss.CVSS3(vector).base_score)
        else:
            rated = cvss.CVSS2(vector)
            score = float(rated.base_score)
            # CVSS v2 has no "critical": its bands end with high at 7.0.
            return (Severity.HIGH if score >= 7.0 else Severity.from_score(score)), score
    except (cvss.CVSSError, ValueError, ArithmeticError):
        return None
    return Severity.from_score(score), score


def _advisory_url(data: Mapping[str, Any]) -> str:
    references = [item for item in _list(data, "references") if isinstance(item, dict)]
    for wanted in ("ADVISORY", "WEB", "REPORT"):
        for item in references:
            if item.get("type") == wanted and isinstance(item.get("url"), str):
                return str(item["url"])
    return ""
