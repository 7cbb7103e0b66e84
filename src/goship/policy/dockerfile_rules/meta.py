"""GS0xx: the file itself and the inline ignores in it."""

from __future__ import annotations

from collections.abc import Iterator

from goship.policy.dockerfile_rules.context import Check, LintContext, rule
from goship.policy.interface import Finding, Severity

PARSE = rule(
    "GS001", Severity.ERROR, "Dockerfile cannot be parsed",
    """Docker cannot read this part of the file, or reads it differently from how it looks:
    an unknown instruction or flag, a heredoc that is never closed, a continuation at the end
    of the file, an instruction in broken JSON form (which Docker silently runs as a shell
    command), an empty or binary file. goship checks the rest of the file all the same. Fix the
    line as the message says; `docker build` would fail on it or do something unintended.""",
    ("DL1000",),
)
IGNORE_WITHOUT_REASON = rule(
    "GS002", Severity.WARNING, "inline ignore gives no reason",
    """An inline ignore (`# goship ignore=GS101`) turns a rule off for the next instruction, or
    for the whole file with `ignore-file=`. Reviewers need to know why: add `reason=...` after
    the rule list, e.g. `# goship ignore=GS405 reason=vendor image pins its own packages`. The
    ignore still applies.""",
)
IGNORE_UNKNOWN_RULE = rule(
    "GS003", Severity.WARNING, "inline ignore names an unknown rule",
    """An inline ignore names a rule ID that no Dockerfile rule has (a typo, a rule that was
    renamed, or an image rule, which never reports on a Dockerfile), so it ignores nothing. Fix
    the ID; docs/rules.md lists them all.""",
)


def parse_problems(context: LintContext) -> Iterator[Finding]:
    for problem in context.dockerfile.problems:
        yield context.finding(PARSE, problem.line, problem.message, problem.hint)


CHECKS = (Check(PARSE, parse_problems),)
