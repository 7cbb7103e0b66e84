"""docs/rules.md, written from the rule catalog so that the two never disagree.

    python -m goship.policy.docs docs/rules.md     # rewrite the file
    python -m goship.policy.docs --check docs/rules.md

The test suite runs the check, so a rule changed without its documentation fails CI.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from goship.policy.interface import RuleInfo

_GROUPS = (
    ("GS0", "Linting itself"),
    ("GS1", "Dockerfile: FROM and stages"),
    ("GS2", "Dockerfile: the Go build"),
    ("GS3", "Dockerfile: the final stage's runtime settings"),
    ("GS4", "Dockerfile: RUN and packages"),
    ("GS5", "Dockerfile: secrets and the build context"),
    ("GS6", "Built images"),
)


def render(rules: Mapping[str, RuleInfo]) -> str:
    lines = [
        "# The image standard: rules",
        "",
        "<!-- Written by `python -m goship.policy.docs docs/rules.md` from the rule catalog; edit the",
        "     rules in src/goship/policy/, not this file. -->",
        "",
        "`goship lint` checks Dockerfiles (GS0xx-GS5xx) and built images (GS6xx); `goship build` checks",
        "its own images with the GS6xx rules before it publishes them. Severities are the defaults:",
        "`[policy]` in goship.toml or a `.goship-policy.toml` can change them (`severity`), turn rules",
        "off (`disable`) and set their parameters (see docs/configuration.md). In a Dockerfile,",
        "`# goship ignore=GS102 reason=...` skips the next instruction and",
        "`# goship ignore-file=GS102 reason=...` the whole file.",
        "",
        "The hadolint and dockle columns name the rules of those tools that check the same thing;",
        "bench/bench_lint.py measures how often goship and hadolint agree on them.",
        "",
        "| rule | severity | checks | hadolint | dockle |",
        "|---|---|---|---|---|",
    ]
    for rule in rules.values():
        lines.append(f"| [{rule.id}](#{rule.id.lower()}) | {rule.severity.label} | {rule.title} | "
                     f"{', '.join(rule.hadolint) or '-'} | {', '.join(rule.dockle) or '-'} |")
    for prefix, heading in _GROUPS:
        members = [rule for rule in rules.values() if rule.id.startswith(prefix)]
        if not members:
            continue
        lines += ["", f"## {heading}"]
        for rule in members:
            summary = f"**{rule.title}** ({rule.severity.label}, {rule.target})"
            lines += ["", f"### {rule.id}", "", summary, "", rule.explanation]
            peers = [f"hadolint {', '.join(rule.hadolint)}"] if rule.hadolint else []
            peers += [f"dockle {', '.join(rule.dockle)}"] if rule.dockle else []
            if peers:
                lines += ["", "Same check in: " + "; ".join(peers) + "."]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str]) -> int:
    from goship.policy.catalog import all_rules

    check = "--check" in argv
    paths = [item for item in argv if item != "--check"]
    if len(paths) != 1:
        print("usage: python -m goship.policy.docs [--check] docs/rules.md", file=sys.stderr)
        return 2
    path = Path(paths[0])
    text = render(all_rules())
    if check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{path} is out of date: run python -m goship.policy.docs {path}", file=sys.stderr)
            return 1
        return 0
    path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
