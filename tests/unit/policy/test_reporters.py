"""Findings rendered as text, JSON, SARIF 2.1.0 and GitLab Code Quality, as their readers need them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from tests.fixtures import sarif as sarif_tools

from goship.policy.interface import Finding, Location, RuleInfo, Severity
from goship.policy.reporters import FORMATS, ReportOptions, render
from goship.policy.reporters import gitlab as gitlab_format
from goship.policy.reporters import text as text_format

RULES = {
    "GS101": RuleInfo("GS101", Severity.ERROR, "Base images are pinned",
                      "A tag like latest moves; pin the base by version or digest so builds repeat.",
                      "dockerfile", hadolint=("DL3006", "DL3007")),
    "GS102": RuleInfo("GS102", Severity.WARNING, "Package caches are cleaned",
                      "apt-get install leaves its lists behind; remove /var/lib/apt/lists.",
                      "dockerfile"),
    "GS201": RuleInfo("GS201", Severity.INFO, "Images carry the OCI labels",
                      "Labels say where an image came from; add org.opencontainers.image.source.",
                      "image", dockle=("CIS-DI-0001",)),
}
DOCKERFILE = "FROM ubuntu:latest\n\tRUN apt-get update && apt-get install -y curl\nUSER root\n"
IMAGE = "localhost:5000/team/app:v1@sha256:" + "ab" * 32


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "Dockerfile").write_text(DOCKERFILE)
    return tmp_path


def findings(path: str = "build/Dockerfile") -> list[Finding]:
    return [
        Finding("GS101", Severity.ERROR, "FROM ubuntu:latest uses the latest tag",
                Location(path, 1, 6), fix="use ubuntu:24.04 or a digest"),
        Finding("GS102", Severity.WARNING, "apt-get install without removing /var/lib/apt/lists",
                Location(path, 2, 6, end_line=3)),
        Finding("GS201", Severity.INFO, "label org.opencontainers.image.source is missing",
                Location(IMAGE)),
    ]


def options(project: Path, **changes: object) -> ReportOptions:
    values: dict[str, object] = {"source_root": project, "working_dir": project, "tool_version": "0.1.0"}
    values.update(changes)
    return ReportOptions(**values)  # type: ignore[arg-type]


# --- text --------------------------------------------------------------------------------


def caret_column(source_line: str, caret_line: str) -> int:
    """The 1-based column of the source line that the caret stands under (tabs count as one
    character in both lines, as a terminal draws them to the same stop)."""
    source = source_line.split(" | ", 1)[1]
    marks = caret_line.split(" | ", 1)[1]
    assert set(marks[:-1]) <= {" ", "\t"} and marks.endswith("^"), caret_line
    for position, (mark, char) in enumerate(zip(marks[:-1], source, strict=False)):
        assert (mark == "\t") == (char == "\t"), f"tab mismatch at {position}"
    return len(marks)


def test_text_puts_a_caret_under_the_column_like_a_compiler(project: Path) -> None:
    output = render("text", findings(), RULES, options(project, files=1, images=1))
    lines = output.splitlines()
    assert lines[0] == "build/Dockerfile:1:6: error GS101 FROM ubuntu:latest uses the latest tag"
    assert lines[1].endswith(" | FROM ubuntu:latest")
    assert caret_column(lines[1], lines[2]) == 6
    assert lines[1][lines[2].index("^")] == "u"  # the caret is under the "u" of ubuntu
    assert lines[3].strip() == "= fix: use ubuntu:24.04 or a digest"
    assert lines[4].startswith("build/Dockerfile:2:6: warning GS102 ")
    # The second line starts with a tab: the caret line keeps it, so the caret stays under
    # the "a" of apt-get however wide the terminal draws the tab.
    assert lines[5].endswith(" | \tRUN apt-get update && apt-get install -y curl")
    assert caret_column(lines[5], lines[6]) == 6
    assert lines[6].split(" | ", 1)[1] == "\t    ^"


def test_text_shows_image_findings_without_source_or_caret(project: Path) -> None:
    lines = render("text", findings(), RULES, options(project)).splitlines()
    image_line = next(index for index, line in enumerate(lines) if "GS201" in line)
    assert lines[image_line] == f"{IMAGE}: info GS201 label org.opencontainers.image.source is missing"
    assert " | " not in lines[image_line + 1]


def test_text_summary_counts_severities_and_targets(project: Path) -> None:
    output = render("text", findings(), RULES, options(project, files=4, images=None))
    assert output.splitlines()[-1] == "1 error, 1 warning, 1 info in 4 files and 1 image"
    many = findings() * 2
    summary = render("text", many, RULES, options(project, files=1, images=0)).splitlines()[-1]
    assert summary == "2 errors, 2 warnings, 2 infos in 1 file"
    assert render("text", [], RULES, options(project, files=2, images=0)) == \
        "0 errors, 0 warnings, 0 infos in 2 files\n"


def test_text_is_plain_unless_colour_is_asked_for(project: Path) -> None:
    plain = render("text", findings(), RULES, options(project))
    coloured = render("text", findings(), RULES, options(project, color=True))
    assert "\x1b[" not in plain
    assert "\x1b[1;31merror\x1b[0m" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_text_without_the_file_still_names_the_place(project: Path) -> None:
    gone = [Finding("GS101", Severity.ERROR, "FROM x", Location("missing/Dockerfile", 3, 1)),
            Finding("GS101", Severity.ERROR, "FROM y", Location("build/Dockerfile", 99, 1))]
    assert render("text", gone, RULES, options(project)).splitlines()[:2] == [
        "missing/Dockerfile:3:1: error GS101 FROM x",
        "build/Dockerfile:99:1: error GS101 FROM y",
    ]


def test_text_reads_relative_paths_from_the_working_dir(project: Path) -> None:
    text = text_format.render(findings()[:1], RULES, working_dir=project)
    assert " | FROM ubuntu:latest" in text


# --- json --------------------------------------------------------------------------------


def test_json_is_a_list_of_findings_with_rule_titles(project: Path) -> None:
    document = json.loads(render("json", findings(), RULES, options(project)))
    assert isinstance(document, list) and len(document) == 3
    first, _, image = document
    assert first == {
        "rule": "GS101", "title": "Base images are pinned", "severity": "error",
        "target": "dockerfile", "file": "build/Dockerfile", "line": 1, "column": 6, "end_line": None,
        "message": "FROM ubuntu:latest uses the latest tag", "fix": "use ubuntu:24.04 or a digest",
    }
    assert (image["file"], image["line"], image["column"], image["target"]) == (IMAGE, None, None, "image")


# --- gitlab ------------------------------------------------------------------------------


def test_gitlab_code_quality_has_the_fields_gitlab_reads(project: Path) -> None:
    issues = json.loads(render("gitlab", findings(), RULES, options(project)))
    assert [issue["severity"] for issue in issues] == ["critical", "major", "info"]
    for issue in issues:
        assert {"description", "check_name", "fingerprint", "severity", "location"} <= set(issue)
        assert isinstance(issue["location"]["path"], str)
        assert isinstance(issue["location"]["lines"]["begin"], int)
        assert re.fullmatch(r"[0-9a-f]{64}", issue["fingerprint"])
    assert issues[0]["check_name"] == "GS101"
    assert issues[0]["location"] == {"path": "build/Dockerfile", "lines": {"begin": 1}}
    assert issues[2]["location"] == {"path": IMAGE, "lines": {"begin": 1}}
    assert len({issue["fingerprint"] for issue in issues}) == 3


def test_gitlab_paths_are_relative_to_the_repository_root(project: Path) -> None:
    # Run from build/ with the Dockerfile named "Dockerfile": GitLab still needs build/Dockerfile.
    issues = json.loads(render("gitlab", findings("Dockerfile")[:1], RULES,
                               options(project, working_dir=project / "build")))
    assert issues[0]["location"]["path"] == "build/Dockerfile"
    absolute = json.loads(render("gitlab", findings(str(project / "build" / "Dockerfile"))[:1],
                                 RULES, options(project)))
    assert absolute[0]["location"]["path"] == "build/Dockerfile"


def test_gitlab_fingerprints_are_stable_and_follow_rule_path_line_message() -> None:
    base = gitlab_format.fingerprint("GS101", "Dockerfile", 1, "FROM ubuntu:latest")
    assert base == gitlab_format.fingerprint("GS101", "Dockerfile", 1, "FROM ubuntu:latest")
    others = {gitlab_format.fingerprint("GS102", "Dockerfile", 1, "FROM ubuntu:latest"),
              gitlab_format.fingerprint("GS101", "other/Dockerfile", 1, "FROM ubuntu:latest"),
              gitlab_format.fingerprint("GS101", "Dockerfile", 2, "FROM ubuntu:latest"),
              gitlab_format.fingerprint("GS101", "Dockerfile", 1, "FROM ubuntu:22.04")}
    assert base not in others and len(others) == 4


# --- sarif -------------------------------------------------------------------------------


def sarif(project: Path, items: list[Finding] | None = None, **changes: object) -> Any:
    return json.loads(
        render("sarif", findings() if items is None else items, RULES, options(project, **changes)))


def test_sarif_is_valid_against_the_official_schema(project: Path) -> None:
    document = sarif(project, information_uri="https://example.com/goship")
    assert sarif_tools.schema_errors(document) == []
    # The schema is strict enough to notice a broken document: the check can fail.
    broken = json.loads(json.dumps(document))
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert sarif_tools.schema_errors(broken) != []


def test_sarif_passes_the_multitool_with_github_rules(project: Path, tmp_path: Path) -> None:
    report = tmp_path / "goship.sarif"
    report.write_text(render("sarif", findings(), RULES, options(project)))
    assert sarif_tools.multitool_errors(report, tmp_path) == []
    # And the multitool does report errors: a result whose ruleIndex names no rule.
    broken = json.loads(report.read_text())
    broken["runs"][0]["results"][0]["ruleIndex"] = 99
    report.write_text(json.dumps(broken))
    assert sarif_tools.multitool_errors(report, tmp_path) != []


def test_sarif_describes_goship_and_every_catalog_rule(project: Path) -> None:
    run = sarif(project)["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "goship" and driver["version"] == "0.1.0"
    assert [rule["id"] for rule in driver["rules"]] == ["GS101", "GS102", "GS201"]
    first = driver["rules"][0]
    assert first["shortDescription"]["text"] == "Base images are pinned."
    assert first["fullDescription"]["text"].startswith("A tag like latest moves")
    assert first["help"]["text"] == first["fullDescription"]["text"]
    assert [rule["defaultConfiguration"]["level"] for rule in driver["rules"]] == ["error", "warning", "note"]
    assert first["properties"]["hadolint"] == ["DL3006", "DL3007"]


def test_sarif_results_point_at_the_rule_the_file_and_the_column(project: Path) -> None:
    run = sarif(project)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert [result["level"] for result in results] == ["error", "warning", "note"]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    first = results[0]
    assert first["message"]["text"] == \
        "FROM ubuntu:latest uses the latest tag. Fix: use ubuntu:24.04 or a digest."
    physical = first["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "build/Dockerfile", "uriBaseId": "%SRCROOT%"}
    assert physical["region"] == {"startLine": 1, "startColumn": 6}
    assert results[1]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 2, "startColumn": 6, "endLine": 3}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.as_uri() + "/"
    assert run["columnKind"] == "unicodeCodePoints"


def test_sarif_image_findings_name_the_image(project: Path) -> None:
    result = sarif(project)["runs"][0]["results"][2]
    location = result["locations"][0]
    assert location["logicalLocations"] == [{"name": IMAGE, "fullyQualifiedName": IMAGE, "kind": "resource"}]
    uri = location["physicalLocation"]["artifactLocation"]["uri"]
    # Code scanning needs an artifact; the reference's colons must not read as a URI scheme.
    assert ":" not in uri and uri.startswith("localhost%3A5000/team/app%3Av1@sha256%3A")
    assert "region" not in location["physicalLocation"]


def test_sarif_paths_use_forward_slashes_from_the_repository_root(project: Path, tmp_path: Path) -> None:
    from_build = sarif(project, findings("Dockerfile")[:1], working_dir=project / "build")
    artifact = from_build["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "build/Dockerfile", "uriBaseId": "%SRCROOT%"}
    outside = tmp_path.parent / "elsewhere" / "Dockerfile"
    elsewhere = sarif(project, findings(str(outside))[:1])
    artifact = elsewhere["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": outside.as_uri()}
    assert sarif_tools.schema_errors(elsewhere) == []


def test_sarif_keeps_rule_index_valid_for_a_rule_outside_the_catalog(project: Path) -> None:
    stray = [Finding("GS999", Severity.WARNING, "made up", Location("build/Dockerfile", 1, 1))]
    run = sarif(project, stray)["runs"][0]
    assert run["tool"]["driver"]["rules"][run["results"][0]["ruleIndex"]]["id"] == "GS999"
    assert sarif_tools.schema_errors(sarif(project, stray)) == []


def test_every_format_renders_no_findings(project: Path) -> None:
    for name in FORMATS:
        assert render(name, [], RULES, options(project)).endswith("\n")
    assert json.loads(render("sarif", [], RULES, options(project)))["runs"][0]["results"] == []
    with pytest.raises(ValueError, match="unknown report format"):
        render("xml", [], RULES)
