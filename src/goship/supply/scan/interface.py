"""The types the vulnerability scan shares: database entries, findings, waivers, results.

A ``Vulnerability`` is one OSV entry of the Go vulnerability database (or of an OSV export),
reduced to what matching and reports need. ``scan_subjects`` (goship.supply.scan.match)
turns the Go binaries of an image into findings, one per vulnerability and module of a
binary, and gathers them in a ``ScanResult``; ``ScanResult.failed`` is the gate a build, a
release or `goship scan` applies. Modules that could not be checked (a replacement by a
local directory, a development build) are data too (``Unchecked``), never exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from typing import TYPE_CHECKING

from goship.errors import ExitCode, GoshipError

if TYPE_CHECKING:
    from goship.gobinary.subject import GoBinary, Subject

# --fail-on values, least to most permissive: "any" also fails on findings of unknown severity.
FAIL_ON = ("any", "low", "medium", "high", "critical", "never")
DEFAULT_FAIL_ON = "any"
STDLIB = "stdlib"  # the database's module name for Go's standard library
TOOLCHAIN = "toolchain"  # ... and for the go command and the rest of the toolchain


class ScanError(GoshipError):
    """Base of the vulnerability scan's errors."""

    exit_code = ExitCode.CONFIG


class DatabaseError(ScanError):
    """A database file on disk (``--db``, or goship's cached copy) is not the Go vulnerability
    database's format: not JSON, not OSV, or an index naming an entry that is not there."""

    exit_code = ExitCode.CONFIG


class DatabaseUnavailableError(ScanError):
    """The database server could not be reached or answered something else, and the cache
    cannot stand in (nothing cached, or ``--offline`` with an entry missing from it)."""

    exit_code = ExitCode.REGISTRY


class NoGoBinariesError(ScanError):
    """The source holds no Go program to scan (a C binary, a shell script, an empty image)."""

    exit_code = ExitCode.IMAGE


class Severity(IntEnum):
    """Ordered, so that ``--fail-on high`` means high or critical. UNKNOWN is below LOW:
    it fails only ``--fail-on any``."""

    UNKNOWN = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def from_score(cls, score: float) -> Severity:
        """The CVSS v3/v4 qualitative band of a base score (0.0, "none", counts as low)."""
        if score >= 9.0:
            return cls.CRITICAL
        if score >= 7.0:
            return cls.HIGH
        if score >= 4.0:
            return cls.MEDIUM
        return cls.LOW

    @classmethod
    def from_name(cls, name: str) -> Severity:
        """``low``, ``medium`` (or GitHub's ``moderate``), ``high``, ``critical``; else UNKNOWN."""
        cleaned = name.strip().lower()
        cleaned = {"moderate": "medium"}.get(cleaned, cleaned)
        return cls.__members__.get(cleaned.upper(), cls.UNKNOWN)


@dataclass(frozen=True)
class AffectedPackage:
    """A package of the module the entry names, with the symbols and platforms concerned
    (OSV ``ecosystem_specific.imports``). Empty ``goos``/``goarch``: every platform."""

    path: str
    goos: tuple[str, ...] = ()
    goarch: tuple[str, ...] = ()
    symbols: tuple[str, ...] = ()

    def applies_to(self, goos: str | None, goarch: str | None) -> bool:
        """Whether the package is affected on this platform (an unknown one counts as any)."""
        return ((not self.goos or goos is None or goos in self.goos)
                and (not self.goarch or goarch is None or goarch in self.goarch))


@dataclass(frozen=True)
class Affected:
    """One ``affected`` element: a module and the versions of it that are vulnerable.

    ``ranges`` hold the events of each SEMVER range in the file's notation without the
    ``v`` ("0", "1.2.3", "0.0.0-2020…"): ``("introduced", "0"), ("fixed", "1.16.5")``."""

    module: str
    ranges: tuple[tuple[tuple[str, str], ...], ...] = ()
    versions: tuple[str, ...] = ()  # OSV's explicit list of affected versions
    packages: tuple[AffectedPackage, ...] = ()


@dataclass(frozen=True)
class Vulnerability:
    id: str  # "GO-2022-0229"
    modified: str  # RFC 3339, as the entry has it
    summary: str  # the entry's summary, else the first line of its details
    details: str = ""
    aliases: tuple[str, ...] = ()  # "CVE-2020-7919", "GHSA-cjjc-xp8v-855w"
    affected: tuple[Affected, ...] = ()
    severity: Severity = Severity.UNKNOWN
    score: float | None = None  # the CVSS base score the severity comes from, if any
    vector: str = ""  # that CVSS vector
    withdrawn: str = ""  # when the entry was withdrawn ("" when it stands)
    published: str = ""
    url: str = ""  # a page about it (pkg.go.dev/vuln/ID, an advisory)

    def names(self) -> frozenset[str]:
        return frozenset((self.id, *self.aliases))


@dataclass(frozen=True)
class Waiver:
    """A ``[[scan.waiver]]`` of goship.toml: accept one vulnerability until a date."""

    id: str  # the vulnerability's ID or one of its aliases (a CVE, a GHSA)
    reason: str
    expires: date  # the last day the waiver holds
    module: str | None = None  # only findings in this module (the path the database names)
    image: str | None = None  # only in sources matching this glob ("registry.example.com/api:*")
    location: str = ""  # "goship.toml:12", for messages

    def expired(self, today: date) -> bool:
        return today > self.expires


@dataclass(frozen=True)
class ScanSettings:
    """The resolved ``[scan]`` table of goship.toml (with flags and variables over it)."""

    fail_on: str = DEFAULT_FAIL_ON  # one of FAIL_ON
    database: str | None = None  # a URL, a directory or a .zip; None: the official database
    offline: bool = False  # use goship's cached copy only
    waivers: tuple[Waiver, ...] = ()
    source: str = ""  # the file the settings came from ("" for the defaults)


@dataclass(frozen=True)
class DatabaseInfo:
    location: str  # the URL or the path
    kind: str  # "Go vulnerability database API", "v1 directory", "OSV directory", "OSV zip"
    modified: str = ""  # db.json's "modified", when the database has one
    warning: str = ""  # e.g. the server was unreachable and a cached copy was used
    cache: str = ""  # the cached copy the entries came from, when the server was not asked


@dataclass(frozen=True)
class Finding:
    """A vulnerability that affects one module version of one binary."""

    vulnerability: Vulnerability
    module: str  # as the database names it: a replacement's path, "stdlib" or "toolchain"
    version: str  # as the binary records it: "v0.0.0-2019…", "go1.16.4"
    fixed: str | None  # the smallest fixed version above it, in the same notation; None: no fix
    packages: tuple[AffectedPackage, ...]  # the affected packages on the binary's platform
    source: str  # the scanned source as the user gave it
    platform: str  # "linux/amd64"
    binary: str  # the binary's path in the image, or the file as given
    replaced: str = ""  # "github.com/astaxie/beego v1.12.3" when the module replaces it
    waiver: Waiver | None = None  # the unexpired waiver that covers it
    expired_waiver: Waiver | None = None  # an expired waiver that would have covered it

    @property
    def id(self) -> str:
        return self.vulnerability.id

    @property
    def severity(self) -> Severity:
        return self.vulnerability.severity

    @property
    def waived(self) -> bool:
        return self.waiver is not None

    def fails(self, fail_on: str) -> bool:
        """Whether this finding alone fails ``--fail-on fail_on``."""
        if self.waived or fail_on == "never":
            return False
        if fail_on == "any":
            return True
        threshold = Severity.from_name(fail_on)
        return self.severity is not Severity.UNKNOWN and self.severity >= threshold


@dataclass(frozen=True)
class Unchecked:
    """A module of a binary that could not be matched, and why."""

    module: str
    version: str
    reason: str


@dataclass(frozen=True)
class BinaryReport:
    binary: GoBinary
    findings: tuple[Finding, ...] = ()
    unchecked: tuple[Unchecked, ...] = ()


@dataclass(frozen=True)
class SubjectReport:
    subject: Subject
    binaries: tuple[BinaryReport, ...] = ()


@dataclass(frozen=True)
class ScanResult:
    subjects: tuple[SubjectReport, ...]
    database: DatabaseInfo
    today: date
    expired_waivers: tuple[Waiver, ...] = ()  # configured waivers past their date
    unused_waivers: tuple[Waiver, ...] = ()  # unexpired waivers that matched no finding
    vulnerabilities_checked: int = 0  # database entries looked at

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(finding for subject in self.subjects for binary in subject.binaries
                     for finding in binary.findings)

    @property
    def binaries(self) -> int:
        return sum(len(subject.binaries) for subject in self.subjects)

    def failing(self, fail_on: str) -> tuple[Finding, ...]:
        """The findings that fail ``--fail-on fail_on`` (waived ones never do)."""
        check_fail_on(fail_on)
        return tuple(finding for finding in self.findings if finding.fails(fail_on))

    def failed(self, fail_on: str) -> bool:
        """Whether a build, a release or `goship scan` must stop: an unwaived finding at or
        above ``fail_on`` ("any": any unwaived finding, also of unknown severity; "never": no)."""
        return bool(self.failing(fail_on))

    def warnings(self) -> tuple[str, ...]:
        """What a user is told beside the report: the database's warning (a cached copy was
        used, ...) and each configured waiver that has expired and no longer counts."""
        database = (self.database.warning,) if self.database.warning else ()
        return database + tuple(f"the waiver for {waiver.id} ({waiver.location}) expired on "
                                f"{waiver.expires.isoformat()} and no longer counts"
                                for waiver in self.expired_waivers)


def check_fail_on(fail_on: str) -> None:
    if fail_on not in FAIL_ON:
        raise ValueError(f"unknown --fail-on value '{fail_on}': use {', '.join(FAIL_ON)}")


def describe_fail_on(fail_on: str) -> str:
    """``fail_on`` as messages say it: "of any severity", "at or above high"."""
    return "of any severity" if fail_on == "any" else f"at or above {fail_on}"
