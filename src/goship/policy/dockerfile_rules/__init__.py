"""The Dockerfile half of the image standard: ``goship lint`` on Dockerfiles.

``lint_dockerfile`` reads a file, ``lint_text`` takes text; both parse it (goship.policy.
dockerfile), run every enabled rule, drop what inline ignores cover (goship.policy.ignores) and
apply the policy's overrides. Bad input never raises: it becomes GS001 findings and the rest of
the file is still checked. Only a file that cannot be read at all raises UsageError.

Rules by theme, one module each: meta (GS0xx), stages (GS1xx: FROM and stages), gobuild
(GS2xx), runtime (GS3xx: the final stage), packages and shellstyle (GS4xx: RUN), secrets and
sources (GS5xx: secrets and the build context).
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from pathlib import Path

from goship.errors import UsageError
from goship.policy import interface
from goship.policy.dockerfile import parse
from goship.policy.dockerfile_rules import (
    gobuild,
    meta,
    packages,
    runtime,
    secrets,
    shellstyle,
    sources,
    stages,
)
from goship.policy.dockerfile_rules.context import Check, LintContext
from goship.policy.ignores import Ignores, find_ignores
from goship.policy.interface import Finding, Location, PolicySettings, RuleInfo

CHECKS: tuple[Check, ...] = (*meta.CHECKS, *stages.CHECKS, *gobuild.CHECKS, *runtime.CHECKS,
                             *packages.CHECKS, *shellstyle.CHECKS, *secrets.CHECKS, *sources.CHECKS)
RULES: tuple[RuleInfo, ...] = tuple(sorted(
    (*(check.rule for check in CHECKS), meta.IGNORE_WITHOUT_REASON, meta.IGNORE_UNKNOWN_RULE),
    key=lambda rule: rule.id))
_RULE_IDS = frozenset(rule.id for rule in RULES)
_BY_HADOLINT: dict[str, frozenset[str]] = {
    code: frozenset(rule.id for rule in RULES if code in rule.hadolint)
    for code in sorted({code for rule in RULES for code in rule.hadolint})
}

__all__ = ["RULES", "lint_dockerfile", "lint_text"]


def lint_dockerfile(path: Path, settings: PolicySettings, *, display: str | None = None,
                    build_args: Mapping[str, str] | None = None,
                    context_dir: Path | None = None) -> list[Finding]:
    """The findings for the Dockerfile at ``path``, sorted, with the policy applied.

    ``display`` is the path findings show (default ``str(path)``); ``build_args`` override ARG
    defaults as ``--build-arg`` does; ``context_dir`` is the build context, where .dockerignore
    is looked for (default: the Dockerfile's directory)."""
    shown = display if display is not None else str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"linting {shown}: no such file",
                         "give the path of a Dockerfile (or a directory holding one)") from None
    except IsADirectoryError:
        raise UsageError(f"linting {shown}: it is a directory, not a Dockerfile",
                         f"give the file itself, e.g. {Path(shown) / 'Dockerfile'}") from None
    except OSError as error:
        raise UsageError(f"linting {shown}: cannot read it ({error.strerror or error})",
                         "check the path and its permissions") from None
    text, problem = _decode(data)
    extra = [Finding(meta.PARSE.id, meta.PARSE.severity, problem[1], Location(shown, problem[0]),
                     "save the file as UTF-8")] if problem else []
    return _lint(text, settings, display=shown, build_args=build_args,
                 context_dir=context_dir if context_dir is not None else path.parent,
                 dockerfile_path=path, extra=extra)


def lint_text(text: str, settings: PolicySettings, *, display: str,
              build_args: Mapping[str, str] | None = None,
              context_dir: Path | None = None) -> list[Finding]:
    """The findings for Dockerfile ``text``; .dockerignore is checked only with ``context_dir``."""
    return _lint(text.removeprefix("\ufeff"), settings, display=display, build_args=build_args,
                 context_dir=context_dir, dockerfile_path=None, extra=[])


def _decode(data: bytes) -> tuple[str, tuple[int, str] | None]:
    """UTF-8 text (a BOM is dropped); undecodable bytes become U+FFFD and one problem."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "", (1, "the file is UTF-16 (as PowerShell's '>' writes it); Docker reads UTF-8")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return data.decode("utf-8", errors="replace"), (
            line, f"not valid UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start})")


def _lint(text: str, settings: PolicySettings, *, display: str,
          build_args: Mapping[str, str] | None, context_dir: Path | None,
          dockerfile_path: Path | None, extra: list[Finding]) -> list[Finding]:
    dockerfile = parse(text, build_args) if text or not extra else None
    findings = list(extra)
    ignores = Ignores()
    if dockerfile is not None:
        context = LintContext(dockerfile, settings, display, dockerfile_path, context_dir)
        for check in CHECKS:
            if not settings.enabled(check.rule.id) or (check.needs_complete and not dockerfile.complete):
                continue
            findings.extend(check.run(context))
        ignores = find_ignores(dockerfile.comments, dockerfile.instructions, _RULE_IDS, _BY_HADOLINT)
        findings.extend(_ignore_findings(ignores, display))
    return interface.apply(ignores.filter(findings), settings)


def _ignore_findings(ignores: Ignores, display: str) -> list[Finding]:
    findings = []
    for problem in ignores.problems:
        where = Location(display, problem.line)
        if problem.missing_reason:
            rule = meta.IGNORE_WITHOUT_REASON
            findings.append(Finding(rule.id, rule.severity, "inline ignore without reason=...", where,
                                    "append reason=<why this is fine here>"))
        if problem.unknown_rules:
            rule = meta.IGNORE_UNKNOWN_RULE
            names = ", ".join(problem.unknown_rules)
            message = ("inline ignore names no rule" if problem.unknown_rules == ("(none)",)
                       else f"inline ignore names unknown rule {names}")
            findings.append(Finding(rule.id, rule.severity, message, where,
                                    "use IDs from docs/rules.md, e.g. ignore=GS405"))
    return findings
