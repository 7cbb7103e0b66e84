"""Matching the modules of Go binaries against vulnerability entries, as govulncheck's
binary mode does at the module level.

Each binary is checked for: every dependency (a replaced module as its replacement; one
replaced by a local directory has no version and is listed as unchecked), the main module
when it carries a real version (not ``(devel)``), and its Go version as the modules
``stdlib`` and ``toolchain``. A version is affected when an OSV SEMVER range of the module
holds it (introduced, fixed, last_affected and limit events; ``"0"`` is the very start) or
OSV's explicit version list names it, and, when the entry lists packages with GOOS/GOARCH,
at least one of them applies to the binary's own GOOS/GOARCH build settings. Withdrawn
entries are skipped. The same advisory under two IDs (a GO- entry and GitHub's GHSA- entry
from an OSV export) becomes one finding, with the aliases and the severity of both.

Written here: the maintained matchers are govulncheck (Go) and OSV's own service; no Python
library evaluates OSV ranges offline against the build information of a Go binary. Version
precedence itself is the semver library's (goship.supply.scan.versions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import semver

from goship.gobinary.subject import GoBinary, Subject
from goship.supply.scan.database import Database
from goship.supply.scan.interface import (
    STDLIB,
    TOOLCHAIN,
    Affected,
    AffectedPackage,
    BinaryReport,
    Finding,
    NoGoBinariesError,
    ScanResult,
    ScanSettings,
    SubjectReport,
    Unchecked,
    Vulnerability,
    Waiver,
)
from goship.supply.scan.versions import (
    event_version,
    go_to_semver,
    parse_semver,
    semver_to_go,
    semver_to_module,
)
from goship.supply.scan.waivers import apply_waivers


@dataclass(frozen=True)
class _Check:
    """One module version of a binary to look up."""

    module: str  # as the database names it
    version: str  # as the binary records it
    parsed: semver.Version
    replaced: str = ""


def scan_subjects(subjects: Sequence[Subject], database: Database, settings: ScanSettings,
                  today: date) -> ScanResult:
    """The findings of every Go binary of ``subjects``, waived by ``settings.waivers`` as of
    ``today``. NoGoBinariesError when there is no Go binary at all."""
    if not any(subject.binaries for subject in subjects):
        raise _no_binaries(subjects)
    plans = [[(binary, *_checks(binary)) for binary in subject.binaries] for subject in subjects]
    wanted: dict[str, list[semver.Version]] = {}
    for plan in plans:
        for _, checks, _ in plan:
            for check in checks:
                wanted.setdefault(check.module, []).append(check.parsed)
    entries = database.vulnerabilities(wanted) if wanted else []
    by_module: dict[str, list[tuple[Vulnerability, Affected]]] = {}
    for vulnerability in entries:
        if vulnerability.withdrawn:
            continue
        for affected in vulnerability.affected:
            by_module.setdefault(affected.module, []).append((vulnerability, affected))
    used: set[Waiver] = set()
    reports = []
    for subject, plan in zip(subjects, plans, strict=True):
        binaries = []
        for binary, checks, unchecked in plan:
            findings = [finding for check in checks
                        for finding in _match(subject, binary, check, by_module.get(check.module, ()))]
            waived = [apply_waivers(finding, settings.waivers, today, used) for finding in _merge(findings)]
            waived.sort(key=lambda item: (-item.severity, item.id, item.module))
            binaries.append(BinaryReport(binary, tuple(waived), tuple(unchecked)))
        reports.append(SubjectReport(subject, tuple(binaries)))
    return ScanResult(
        subjects=tuple(reports),
        database=database.info,
        today=today,
        expired_waivers=tuple(waiver for waiver in settings.waivers if waiver.expired(today)),
        unused_waivers=tuple(waiver for waiver in settings.waivers
                             if not waiver.expired(today) and waiver not in used),
        vulnerabilities_checked=len(entries),
    )


def _no_binaries(subjects: Sequence[Subject]) -> NoGoBinariesError:
    sources = ", ".join(dict.fromkeys(subject.source for subject in subjects)) or "the source"
    skipped = [f"{item.path}: {item.reason}" for subject in subjects for item in subject.skipped]
    detail = f" ({'; '.join(skipped[:5])}{'; ...' if len(skipped) > 5 else ''})" if skipped else ""
    return NoGoBinariesError(f"no Go program to scan in {sources}{detail}",
                             "scan an image or a file that holds a Go binary built with module "
                             "support (Go 1.13 or later; `go version -m FILE` shows its modules)")


def _checks(binary: GoBinary) -> tuple[list[_Check], list[Unchecked]]:
    info = binary.info
    checks: list[_Check] = []
    unchecked: list[Unchecked] = []
    for dependency in info.deps:
        target = dependency.replace or dependency
        replaced = f"{dependency.path} {dependency.version}" if dependency.replace else ""
        if dependency.replace is not None and not dependency.replace.version:
            unchecked.append(Unchecked(dependency.path, dependency.version,
                                       f"replaced by the directory {dependency.replace.path}, "
                                       "which has no version to match"))
            continue
        parsed = parse_semver(target.version)
        if parsed is None:
            unchecked.append(Unchecked(target.path, target.version, "not a SemVer version"))
            continue
        checks.append(_Check(target.path, target.version, parsed, replaced))
    main = info.main
    if main is not None and main.version not in ("", "(devel)"):
        parsed = parse_semver(main.version)
        if parsed is not None:
            checks.append(_Check(main.path, main.version, parsed))
    go_version = info.go_version.split()[0] if info.go_version.split() else ""
    go = go_to_semver(info.go_version)
    if go is None:
        unchecked.append(Unchecked(STDLIB, info.go_version or "(none)",
                                   "not a Go release, so the standard library and the toolchain "
                                   "cannot be matched"))
    else:
        checks.append(_Check(STDLIB, go_version, go))
        checks.append(_Check(TOOLCHAIN, go_version, go))
    return checks, unchecked


def _platform(binary: GoBinary, subject: Subject) -> tuple[str | None, str | None]:
    goos, goarch = binary.info.setting("GOOS"), binary.info.setting("GOARCH")
    if goos and goarch:
        return goos, goarch
    parts = subject.platform.split("/")
    if len(parts) >= 2 and parts[0] and parts[1]:
        return goos or parts[0], goarch or parts[1]
    return goos, goarch  # unknown: every GOOS/GOARCH filter counts as matching


def _match(subject: Subject, binary: GoBinary, check: _Check,
           candidates: Sequence[tuple[Vulnerability, Affected]]) -> list[Finding]:
    goos, goarch = _platform(binary, subject)
    findings: dict[str, Finding] = {}
    for vulnerability, affected in candidates:
        if vulnerability.id in findings:
            continue
        hit, fixed = affects(affected, check.parsed)
        if not hit:
            continue
        packages: tuple[AffectedPackage, ...] = ()
        if affected.packages:
            packages = tuple(package for package in affected.packages
                             if package.applies_to(goos, goarch))
            if not packages:
                continue  # every affected package is of another platform
        if fixed is not None:
            fixed = semver_to_go(fixed) if check.module in (STDLIB, TOOLCHAIN) else semver_to_module(fixed)
        findings[vulnerability.id] = Finding(
            vulnerability=vulnerability, module=check.module, version=check.version, fixed=fixed,
            packages=packages, source=subject.source, platform=subject.platform or binary.platform,
            binary=binary.path, replaced=check.replaced)
    return list(findings.values())


def affects(affected: Affected, version: semver.Version) -> tuple[bool, str | None]:
    """Whether ``affected`` holds ``version``, and then the smallest fixed version above it
    in the range that holds it (as the entry writes it; None when there is no fix)."""
    for events in affected.ranges:
        hit, fixed = _in_range(events, version)
        if hit:
            return True, fixed
    for text in affected.versions:
        if parse_semver(text) == version:
            return True, None
    return False, None


_ORDER = {"introduced": 0, "last_affected": 1, "fixed": 2, "limit": 3}


def _in_range(events: Sequence[tuple[str, str]], version: semver.Version) -> tuple[bool, str | None]:
    """OSV's evaluation of one SEMVER range: walk the events in version order; an
    ``introduced`` at or below the version opens it, a ``fixed`` at or below (or a
    ``last_affected`` below) closes it. Unreadable versions are skipped."""
    parsed = []
    for kind, text in events:
        at = event_version(text)
        if at is not None:
            parsed.append((at, _ORDER[kind], kind, text))
    parsed.sort(key=lambda item: (item[0], item[1]))
    affected = False
    for at, _, kind, _ in parsed:
        if kind == "introduced" and version >= at:
            affected = True
        elif (kind == "fixed" and version >= at) or (kind == "last_affected" and version > at):
            affected = False
    limits = [at for at, _, kind, _ in parsed if kind == "limit"]
    if not affected or (limits and version >= min(limits)):
        return False, None
    fixes = [(at, text) for at, _, kind, text in parsed if kind == "fixed" and at > version]
    return True, (min(fixes, key=lambda item: item[0])[1] if fixes else None)


def _merge(findings: list[Finding]) -> list[Finding]:
    """One finding per advisory and module: entries naming each other (GO-… and GHSA-…)
    are joined, keeping the GO- entry (else the first by ID) with every alias, the highest
    known severity and a fixed version if any of them has one."""
    groups: list[list[Finding]] = []
    for finding in sorted(findings, key=lambda item: (not item.id.startswith("GO-"), item.id)):
        for group in groups:
            first = group[0]
            if first.module == finding.module and _same_advisory(first.vulnerability, finding.vulnerability):
                group.append(finding)
                break
        else:
            groups.append([finding])
    merged = []
    for group in groups:
        keep = group[0]
        if len(group) > 1:
            names = [name for item in group for name in item.vulnerability.names()]
            aliases = tuple(sorted(set(names) - {keep.id}))
            rated = max(group, key=lambda item: (item.severity, item is keep))
            vulnerability = replace(keep.vulnerability, aliases=aliases, severity=rated.severity,
                                    score=rated.vulnerability.score, vector=rated.vulnerability.vector)
            fixed = keep.fixed or next((item.fixed for item in group if item.fixed), None)
            keep = replace(keep, vulnerability=vulnerability, fixed=fixed)
        merged.append(keep)
    return merged


def _same_advisory(first: Vulnerability, second: Vulnerability) -> bool:
    return first.id in second.aliases or second.id in first.aliases
