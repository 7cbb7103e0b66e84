"""Binaries, subjects and OSV entries for the scan's unit tests.

Build information is written as Go records it (``go version -m``'s fields), so matching is
tested on the values a real binary carries; tests/integration/supply/scan builds real ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from goship.gobinary.moduleinfo import BuildInfo, Module
from goship.gobinary.subject import GoBinary, Skipped, Subject
from goship.supply.scan.database import open_location
from goship.supply.scan.interface import ScanResult, ScanSettings, Waiver
from goship.supply.scan.match import scan_subjects

TESTDB = Path(__file__).parent / "govulndb"
TODAY = date(2025, 6, 1)


def binary(*deps: Module, go: str = "go1.25.5", goos: str | None = "linux", goarch: str | None = "amd64",
           main: Module | None = None, path: str = "/app/server") -> GoBinary:
    settings = [("-trimpath", "true")]
    if goos is not None:
        settings.append(("GOOS", goos))
    if goarch is not None:
        settings.append(("GOARCH", goarch))
    info = BuildInfo(go, "example.com/app", main or Module("example.com/app", "(devel)"), tuple(deps),
                     tuple(settings))
    return GoBinary(path, info, "0" * 64, 1000)


def subject(*binaries: GoBinary, source: str = "registry.example.com/app:v1",
            platform: str = "linux/amd64", skipped: Sequence[Skipped] = ()) -> Subject:
    return Subject(source, platform, "sha256:" + "1" * 64, None, tuple(binaries), tuple(skipped))


def scan(*subjects: Subject, db: Path | str = TESTDB, waivers: Iterable[Waiver] = (),
         today: date = TODAY) -> ScanResult:
    database = open_location(str(db), cache_dir=Path("/nonexistent-cache"))
    return scan_subjects(list(subjects), database, ScanSettings(waivers=tuple(waivers)), today)


def found(result: ScanResult) -> set[tuple[str, str, str | None]]:
    """(id, module, fixed version) of every finding."""
    return {(finding.id, finding.module, finding.fixed) for finding in result.findings}


def osv(entry_id: str, module: str, events: Sequence[tuple[str, str]], **extra: Any) -> dict[str, Any]:
    """An OSV entry for one module with one SEMVER range."""
    affected: dict[str, Any] = {
        "package": {"name": module, "ecosystem": "Go"},
        "ranges": [{"type": "SEMVER", "events": [{kind: version} for kind, version in events]}],
    }
    if "imports" in extra:
        affected["ecosystem_specific"] = {"imports": extra.pop("imports")}
    if "versions" in extra:
        affected["versions"] = extra.pop("versions")
    return {"schema_version": "1.3.1", "id": entry_id, "modified": "2024-01-01T00:00:00Z",
            "summary": f"summary of {entry_id}", "affected": [affected], **extra}


def osv_dir(directory: Path, entries: Iterable[dict[str, Any]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for entry in entries:
        (directory / f"{entry['id']}.json").write_text(json.dumps(entry))
    return directory
