"""Inline ignores: which findings they drop, and the findings they cause themselves."""

from __future__ import annotations

from .dockerfile_cases import dockerfile, lines_of, lint

# Two findings to play with: GS103 (latest) on line N and GS302 (root) on the USER line.
BODY = "FROM alpine:latest\nUSER root\nENTRYPOINT [\"/app\"]\n"


def rules_and_lines(text: str) -> set[tuple[str, int]]:
    return {(finding.rule, finding.location.line or 0) for finding in lint(text)}


def test_without_ignores_both_findings_are_there() -> None:
    assert {("GS103", 1), ("GS302", 2)} <= rules_and_lines(BODY)


def test_ignore_applies_to_the_next_instruction_only() -> None:
    text = dockerfile("""
        # goship ignore=GS103 reason=the nightly image on purpose
        FROM alpine:latest AS nightly
        FROM alpine:latest
        USER 1
        """)
    findings = lint(text)

    assert lines_of(findings, "GS103") == [3]
    assert not lines_of(findings, "GS002")


def test_ignore_covers_several_rules_and_skips_blank_lines() -> None:
    text = "# goship ignore=GS103, GS104,GS302 reason=\"legacy image\"\n\nFROM alpine:latest\nUSER root\n"
    found = rules_and_lines(text)

    assert ("GS103", 3) not in found
    assert ("GS302", 4) in found  # a different instruction


def test_ignore_inside_a_multi_line_instruction_covers_it() -> None:
    text = dockerfile("""
        FROM debian:12-slim
        RUN apt-get update \\
            # goship ignore=GS404 reason=lists are needed by the entrypoint
            && apt-get install -y --no-install-recommends curl=7.88.1-10
        USER 1
        """)

    assert lines_of(lint(text), "GS404") == []


def test_ignore_file_applies_everywhere() -> None:
    text = ("FROM alpine:latest AS a\nFROM alpine:latest\n"
            "# goship ignore-file=GS103 reason=demo image\nUSER 1\n")

    assert lines_of(lint(text), "GS103") == []


def test_stage_findings_are_ignored_before_the_from() -> None:
    text = "# goship ignore=GS301 reason=needs root for port 80\nFROM nginx:1.27-alpine\n"

    assert lines_of(lint(text), "GS301") == []
    assert lines_of(lint(text.split("\n", 1)[1]), "GS301") == [1]


def test_an_ignore_without_reason_still_works_but_is_reported() -> None:
    findings = lint("# goship ignore=GS103\n" + BODY)

    assert lines_of(findings, "GS103") == []
    assert lines_of(findings, "GS002") == [1]
    assert lines_of(lint("# goship ignore=GS103 reason=\n" + BODY), "GS002") == [1]


def test_an_unknown_rule_is_reported_and_the_known_ones_still_apply() -> None:
    findings = lint("# goship ignore=GS103,GS9999 reason=typo in the second\n" + BODY)

    assert lines_of(findings, "GS103") == []
    assert lines_of(findings, "GS003") == [1]
    assert "GS9999" in next(finding.message for finding in findings if finding.rule == "GS003")


def test_an_ignore_naming_nothing_is_reported() -> None:
    findings = lint("# goship ignore= reason=forgot the ids\n" + BODY)

    assert lines_of(findings, "GS003") == [1]
    assert lines_of(findings, "GS103") == [2]


def test_ignore_findings_can_be_ignored_file_wide() -> None:
    text = "# goship ignore-file=GS002 reason=migration in progress\n# goship ignore=GS103\n" + BODY

    assert lines_of(lint(text), "GS002") == []


def test_ordinary_comments_and_other_tools_are_left_alone() -> None:
    text = "# goship is great\n# ignore=GS103\n# goship ignored nothing\n" + BODY
    found = rules_and_lines(text)

    assert ("GS103", 4) in found
    assert not {rule for rule, _ in found} & {"GS002", "GS003"}


def test_hadolint_pragmas_ignore_the_matching_goship_rules() -> None:
    text = dockerfile("""
        # hadolint global ignore=DL3007
        FROM alpine:latest AS a
        FROM alpine:latest
        # hadolint ignore=DL3002,DL9999
        USER root
        """)
    findings = lint(text)

    assert lines_of(findings, "GS103") == []  # DL3007, file-wide
    assert lines_of(findings, "GS302") == []  # DL3002, on the next instruction
    assert not lines_of(findings, "GS003")  # hadolint's codes are not goship's business
    without = lint(text.replace("# hadolint ignore=DL3002,DL9999", "# (no pragma)"))
    assert lines_of(without, "GS302") == [5]


def test_a_trailing_ignore_with_nothing_after_it_ignores_nothing() -> None:
    findings = lint(BODY + "# goship ignore=GS302 reason=nothing follows\n")

    assert lines_of(findings, "GS302") == [2]
