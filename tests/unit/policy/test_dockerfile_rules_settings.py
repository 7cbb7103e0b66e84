"""The policy applied to Dockerfile findings (overrides, disabled rules, parameters), the rule
catalog itself, and the shell splitting the RUN rules rely on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from goship.policy.catalog import all_rules
from goship.policy.dockerfile_rules import RULES, lint_dockerfile
from goship.policy.dockerfile_rules.shell import split
from goship.policy.interface import PolicySettings, Severity

from .dockerfile_cases import GOOD, final, lines_of, lint

LATEST_AND_ROOT = "FROM alpine:latest\nUSER root\nENTRYPOINT [\"/app\"]\n"


def test_severity_overrides_change_only_the_named_rule() -> None:
    settings = PolicySettings(severity_overrides={"GS103": Severity.INFO})
    findings = {finding.rule: finding.severity for finding in lint(LATEST_AND_ROOT, settings)}

    assert findings["GS103"] == Severity.INFO
    assert findings["GS302"] == Severity.ERROR


def test_disabled_rules_report_nothing() -> None:
    settings = PolicySettings(disabled_rules=frozenset({"GS103", "GS312", "GS313"}))
    rules = {finding.rule for finding in lint(LATEST_AND_ROOT, settings)}

    assert "GS302" in rules
    assert not rules & {"GS103", "GS312", "GS313"}


def test_findings_are_sorted_by_line_then_rule() -> None:
    findings = lint(LATEST_AND_ROOT)
    keys = [(finding.location.line, finding.rule) for finding in findings]

    assert keys == sorted(keys)
    assert {finding.location.path for finding in findings} == {"Dockerfile"}


def test_every_finding_has_its_rules_default_severity_and_a_message() -> None:
    severities = {rule.id: rule.severity for rule in RULES}
    text = final("USER root", "RUN apk add curl | tee x", "CMD /app", base="alpine:latest")

    for finding in lint(text):
        assert finding.severity == severities[finding.rule]
        assert finding.message and "\n" not in finding.message


def test_allowed_bases_and_builder_images_are_globs_over_written_and_full_names() -> None:
    text = "FROM docker.io/library/debian:12\nUSER 1\n"
    assert lines_of(lint(text), "GS106") == [1]
    assert lines_of(lint(text, PolicySettings(allowed_bases=("debian:*",))), "GS106") == []
    assert lines_of(lint(text, PolicySettings(allowed_bases=("docker.io/library/debian",))),
                    "GS106") == []
    assert lines_of(lint("FROM alpine@sha256:" + "a" * 64 + "\nUSER 1\n"), "GS106") == []


def test_build_args_reach_user_and_ldflags() -> None:
    text = final("ARG RUN_AS", "USER ${RUN_AS}")

    assert lines_of(lint(text, build_args={"RUN_AS": "root"}), "GS302") == [15]
    assert lines_of(lint(text, build_args={"RUN_AS": "10001"}), "GS302") == []


# ------------------------------------------------------------------------------ the catalog


def test_rule_catalog_is_well_formed() -> None:
    ranges = {"0": "meta", "1": "FROM", "2": "Go", "3": "runtime", "4": "RUN", "5": "secrets"}
    ids = [rule.id for rule in RULES]

    assert ids == sorted(set(ids))
    for rule in RULES:
        assert re.fullmatch(r"GS[0-5][0-9]{2}", rule.id) and rule.id[2] in ranges
        assert rule.target == "dockerfile"
        assert rule.title and len(rule.title) <= 60 and "\n" not in rule.title
        assert len(rule.explanation) > 80, rule.id  # why, and how to fix it
        assert all(re.fullmatch(r"DL[0-9]{4}", code) for code in rule.hadolint), rule.id
        assert rule.dockle == ()


def test_catalog_holds_the_dockerfile_rules() -> None:
    catalog = all_rules()
    assert all(catalog[rule.id] == rule for rule in RULES)


# ------------------------------------------------------------------------ shell splitting


@pytest.mark.parametrize(("script", "commands"), [
    ("a && b || c; d | e & f", [("", "a"), ("&&", "b"), ("||", "c"), (";", "d"), ("|", "e"), ("&", "f")]),
    ("echo 'x && y' \"| z\"", [("", "echo")]),
    ("A=1 B='2 3' make all", [("", "make")]),
    ("(cd /x && make) | tee log", [("", "cd"), ("&&", "make"), ("|", "tee")]),
    ("if [ -f x ]; then rm x; fi", [("", "["), (";", "rm")]),
    ("cat <<EOF > /etc/x\napt-get install nope\nEOF\necho done", [("", "cat"), (";", "echo")]),
    ("sh -c 'apk add git && cd /x'", [("", "sh"), ("", "apk"), ("&&", "cd")]),
    ("apk add x \\\n  y # comment | not a pipe\nz", [("", "apk"), (";", "z")]),
    ("echo 'unterminated", [("", "echo")]),
    ("x=$(curl -s u | sh) && echo \"$x\"", [("", ""), ("&&", "echo")]),
])
def test_split(script: str, commands: list[tuple[str, str]]) -> None:
    assert [(command.separator, command.program) for command in split(script)] == commands


def test_split_keeps_words_assignments_and_drops_redirections() -> None:
    first, second = split("CGO_ENABLED=0 go build -o /app . >/dev/null 2>&1 && sudo -u root apk add curl")

    assert first.words == ("go", "build", "-o", "/app", ".")
    assert first.assignments == (("CGO_ENABLED", "0"),)
    assert second.words[:3] == ("sudo", "-u", "root")
    assert second.effective().words == ("apk", "add", "curl")


def test_good_reference_has_no_findings_with_every_rule_enabled() -> None:
    assert lint(GOOD, PolicySettings(allowed_registries=("docker.io", "gcr.io"))) == []


# ------------------------------------------------------------------- the build context


def test_dockerignore_is_looked_for_in_the_context_directory(tmp_path: Path) -> None:
    service = tmp_path / "services" / "api"
    service.mkdir(parents=True)
    path = service / "Dockerfile"
    path.write_text(GOOD)
    (tmp_path / ".dockerignore").write_text(".git\n")

    assert lint_dockerfile(path, PolicySettings(), context_dir=tmp_path) == []
    findings = lint_dockerfile(path, PolicySettings())  # context = the Dockerfile's directory
    assert [(finding.rule, finding.location.line) for finding in findings] == [("GS507", 1)]


def test_a_dockerignore_beside_the_dockerfile_is_not_the_contexts(tmp_path: Path) -> None:
    service = tmp_path / "api"
    service.mkdir()
    path = service / "Dockerfile"
    path.write_text(GOOD)
    (service / ".dockerignore").write_text(".git\n")

    findings = lint_dockerfile(path, PolicySettings(), display="api/Dockerfile", context_dir=tmp_path)
    assert [(finding.rule, finding.location.path) for finding in findings] == [("GS507", "api/Dockerfile")]
    assert "is not used" in findings[0].message
