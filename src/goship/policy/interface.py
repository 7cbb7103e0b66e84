"""The types every rule, source and reporter of the image standard shares.

A rule is described once by a RuleInfo (ID, default severity, one-line title, the longer
explanation with the fix, and the hadolint/dockle rules it matches) and reports Findings.
PolicySettings is the resolved ``[policy]`` table (goship.toml or .goship-policy.toml): it
changes which rules run, their severity and their parameters; ``apply`` puts the overrides
and disabled rules onto a list of findings so that every rule family is treated alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import IntEnum


class Severity(IntEnum):
    """Ordered, so that ``--fail-on warning`` means warning or worse."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def from_name(cls, name: str) -> Severity:
        """``error``, ``warning`` (or ``warn``), ``info``; ValueError otherwise."""
        cleaned = name.strip().lower()
        cleaned = {"warn": "warning", "err": "error", "note": "info"}.get(cleaned, cleaned)
        try:
            return cls[cleaned.upper()]
        except KeyError:
            raise ValueError(f"unknown severity '{name}': use error, warning or info") from None


@dataclass(frozen=True)
class RuleInfo:
    """What a rule checks, as docs/rules.md and the SARIF ``rules`` array show it."""

    id: str  # "GS101"
    severity: Severity  # the default; PolicySettings.severity_overrides may change it
    title: str  # one line, shown with every finding
    explanation: str  # a paragraph: why the rule exists and how to fix a finding
    target: str  # "dockerfile" or "image"
    hadolint: tuple[str, ...] = ()  # the hadolint rules that check the same thing ("DL3006")
    dockle: tuple[str, ...] = ()  # the dockle checkpoints that check the same thing ("CIS-DI-0001")


@dataclass(frozen=True)
class Location:
    """Where a finding is: a file and 1-based line/column, or an image reference (no line)."""

    path: str  # the Dockerfile as given on the command line, or the image ("oci:DIR@sha256:…")
    line: int | None = None
    column: int | None = None  # 1-based; None means the whole line
    end_line: int | None = None


@dataclass(frozen=True)
class Finding:
    rule: str  # RuleInfo.id
    severity: Severity
    message: str  # specific to this finding ("FROM ubuntu:latest uses the latest tag")
    location: Location
    fix: str = ""  # optional one-line fix for this very finding

    def with_severity(self, severity: Severity) -> Finding:
        return replace(self, severity=severity)


DEFAULT_ALLOWED_BASES = (
    "scratch",
    "gcr.io/distroless/*",
    "docker.io/library/alpine:*",
    "alpine:*",
    "registry.access.redhat.com/ubi*/*",
    "mcr.microsoft.com/windows/nanoserver:ltsc*",
    "mcr.microsoft.com/windows/servercore:ltsc*",
    "goship/static",  # goship's own offline static base
)
DEFAULT_BUILDER_IMAGES = ("golang:*", "docker.io/library/golang:*")
DEFAULT_REQUIRED_LABELS = (
    "org.opencontainers.image.created",
    "org.opencontainers.image.version",
    "org.opencontainers.image.source",
    "org.opencontainers.image.revision",
)


@dataclass(frozen=True)
class PolicySettings:
    """The resolved ``[policy]`` table. Globs use fnmatch syntax and match the image reference
    as written (after ARG expansion) and also its normalised form (docker.io/library/...)."""

    allowed_registries: tuple[str, ...] = ()  # empty: any registry (bases are still checked)
    allowed_bases: tuple[str, ...] = DEFAULT_ALLOWED_BASES  # final-stage bases
    builder_images: tuple[str, ...] = DEFAULT_BUILDER_IMAGES  # stages that compile Go
    required_labels: tuple[str, ...] = DEFAULT_REQUIRED_LABELS
    severity_overrides: Mapping[str, Severity] = field(default_factory=dict)  # rule id -> severity
    disabled_rules: frozenset[str] = frozenset()
    size_budget: int | None = None  # bytes of compressed layers per platform image; None: no budget
    required_platforms: tuple[str, ...] = ()  # "linux/amd64", ... that an index must hold
    allow_shell: bool = False  # a shell (/bin/sh, bash, cmd.exe, powershell) in the final image
    allow_package_manager: bool = False  # apk, apt, dnf, yum, microdnf in the final image
    source: str = ""  # the file the settings came from, for messages ("goship.toml [policy]")

    def severity_of(self, rule: RuleInfo) -> Severity:
        return self.severity_overrides.get(rule.id, rule.severity)

    def enabled(self, rule_id: str) -> bool:
        return rule_id not in self.disabled_rules


def apply(findings: Iterable[Finding], settings: PolicySettings) -> list[Finding]:
    """The findings with disabled rules dropped and severity overrides applied, in a stable
    order: by location (path, line, column), then rule id."""
    kept = [
        finding.with_severity(settings.severity_overrides[finding.rule])
        if finding.rule in settings.severity_overrides else finding
        for finding in findings if settings.enabled(finding.rule)
    ]
    return sorted(kept, key=lambda item: (item.location.path, item.location.line or 0,
                                          item.location.column or 0, item.rule))


def worst(findings: Iterable[Finding]) -> Severity | None:
    return max((finding.severity for finding in findings), default=None)
