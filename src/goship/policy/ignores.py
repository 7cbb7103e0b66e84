"""Inline ignores in a Dockerfile's comments.

    # goship ignore=GS405,GS402 reason=vendor image, pins come from its lock file
    RUN apt-get install -y curl

``ignore=`` applies to the next instruction (or, when the comment sits inside a multi-line
instruction, to that instruction); ``ignore-file=`` anywhere applies to the whole file. The
reason is required: an ignore without one still works but is reported (GS002), so that every
exception is explained where it is made. A rule ID no Dockerfile rule has is reported (GS003)
and ignores nothing.

hadolint's own pragmas (``# hadolint ignore=DL3008``, ``# hadolint global ignore=...``) are
honoured for the goship rules that check the same thing (RuleInfo.hadolint), so that a
Dockerfile already tuned for hadolint does not need its exceptions written twice.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from goship.policy.dockerfile import Comment, Instruction
from goship.policy.interface import Finding

_GOSHIP = re.compile(r"^goship\s+(ignore|ignore-file)\s*=\s*([^\s]*(?:\s*,\s*[^\s,]+)*)\s*(.*)$",
                     re.IGNORECASE)
_HADOLINT = re.compile(r"^hadolint\s+(global\s+)?ignore\s*=\s*([A-Za-z0-9,\s]+?)\s*$", re.IGNORECASE)
_REASON = re.compile(r"^reason\s*=\s*(.*)$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Ignore:
    rules: frozenset[str]
    line: int  # of the comment
    reason: str
    span: tuple[int, int] | None  # lines of the instruction it covers; None: the whole file

    def covers(self, finding: Finding) -> bool:
        if finding.rule not in self.rules:
            return False
        if self.span is None:
            return True
        line = finding.location.line or 0
        return self.span[0] <= line <= self.span[1]


@dataclass(frozen=True)
class IgnoreProblem:
    line: int
    missing_reason: bool = False
    unknown_rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ignores:
    entries: tuple[Ignore, ...] = ()
    problems: tuple[IgnoreProblem, ...] = ()

    def filter(self, findings: Iterable[Finding]) -> list[Finding]:
        """``findings`` without those an ignore covers."""
        if not self.entries:
            return list(findings)
        return [finding for finding in findings
                if not any(entry.covers(finding) for entry in self.entries)]


def find_ignores(comments: Iterable[Comment], instructions: Sequence[Instruction],
                 known_rules: Collection[str],
                 hadolint_rules: Mapping[str, frozenset[str]]) -> Ignores:
    """The ignores in ``comments``. ``known_rules`` are the valid goship IDs;
    ``hadolint_rules`` maps a hadolint code to the goship rules that check the same thing."""
    entries: list[Ignore] = []
    problems: list[IgnoreProblem] = []
    for comment in comments:
        text = comment.text
        lowered = text[:9].lower()
        if lowered.startswith("goship"):
            match = _GOSHIP.match(text)
            if match is None:
                continue
            kind, listed, rest = match.groups()
            ids = [item.strip().upper() for item in listed.split(",") if item.strip()]
            unknown = tuple(item for item in ids if item not in known_rules)
            reason_match = _REASON.match(rest.strip())
            reason = reason_match.group(1).strip().strip("\"'") if reason_match else ""
            if unknown or not ids or not reason:
                problems.append(IgnoreProblem(comment.line, missing_reason=not reason,
                                              unknown_rules=unknown if ids else ("(none)",)))
            rules = frozenset(item for item in ids if item in known_rules)
            span = None if kind.lower() == "ignore-file" else _span(comment.line, instructions)
            if rules and (span is not None or kind.lower() == "ignore-file"):
                entries.append(Ignore(rules, comment.line, reason, span))
        elif lowered.startswith("hadolint"):
            match = _HADOLINT.match(text)
            if match is None:
                continue
            codes = [item.strip().upper() for item in match.group(2).split(",") if item.strip()]
            rules = frozenset(rule for code in codes for rule in hadolint_rules.get(code, ()))
            span = None if match.group(1) else _span(comment.line, instructions)
            if rules and (span is not None or match.group(1)):
                entries.append(Ignore(rules, comment.line, "hadolint pragma", span))
    return Ignores(tuple(entries), tuple(problems))


def _span(line: int, instructions: Sequence[Instruction]) -> tuple[int, int] | None:
    """The lines of the instruction a comment on ``line`` applies to: the one it is inside,
    else the next one."""
    for instruction in instructions:
        if instruction.start_line <= line <= instruction.end_line or instruction.start_line > line:
            return instruction.start_line, instruction.end_line
    return None
