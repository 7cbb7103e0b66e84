"""`goship lint` as a user runs it: exit codes, report formats, --output, --fail-on and the
policy files it finds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import Goship, Result, git
from tests.fixtures import sarif as sarif_tools

pytestmark = pytest.mark.integration

OK, USAGE, CONFIG, POLICY = 0, 2, 3, 9

# A final stage on a base outside the default allowed-bases, with a moving tag, run as root:
# the image standard has errors to report here whatever its exact rules.
BAD = """\
FROM golang:1.22 AS build
WORKDIR /src
COPY . .
RUN go build -o /app .

FROM ubuntu:latest
RUN apt-get update && apt-get install -y curl
COPY --from=build /app /app
USER root
ENTRYPOINT ["/app"]
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git work tree (so that the policy search stops here) holding the bad Dockerfile."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    (root / "Dockerfile").write_text(BAD)
    return root


def findings_of(goship: Goship, cwd: Path, *args: str) -> tuple[Result, list[dict[str, Any]]]:
    result = goship("lint", "--format", "json", *args, cwd=cwd)
    assert result.code in (OK, POLICY), result.output
    return result, json.loads(result.stdout)


def test_errors_exit_9_and_are_reported_like_a_compiler(goship: Goship, repo: Path) -> None:
    result = goship("lint", cwd=repo)
    assert result.code == POLICY, result.output
    assert "Traceback" not in result.output
    lines = result.stdout.splitlines()
    assert any(line.startswith("Dockerfile:6:") and " error GS" in line for line in lines), result.stdout
    assert lines[-1].endswith(" in 1 file"), lines[-1]
    assert "\x1b[" not in result.stdout  # not a terminal: no colour
    assert "at or above error" in result.stderr


def test_json_lists_findings_with_their_rules(goship: Goship, repo: Path) -> None:
    result, findings = findings_of(goship, repo, "--fail-on", "never")
    assert result.code == OK
    assert findings and {"error"} <= {finding["severity"] for finding in findings}
    for finding in findings:
        assert finding["file"] == "Dockerfile"
        assert finding["rule"].startswith("GS") and finding["title"]
        assert isinstance(finding["line"], int)


@pytest.mark.parametrize(("fail_on", "severities", "code"), [
    ("error", {"warning"}, OK),
    ("warning", {"warning"}, POLICY),
    ("warning", {"info"}, OK),
    ("info", {"info"}, POLICY),
    ("never", {"error"}, OK),
    ("error", {"error"}, POLICY),
])
def test_fail_on_thresholds(goship: Goship, repo: Path, fail_on: str, severities: set[str],
                            code: int) -> None:
    """Every rule that fires is set to one severity by .goship-policy.toml; --fail-on
    decides whether that fails."""
    _, findings = findings_of(goship, repo, "--fail-on", "never")
    (severity,) = severities
    table = "\n".join(f'{rule} = "{severity}"' for rule in sorted({f["rule"] for f in findings}))
    (repo / ".goship-policy.toml").write_text(f"[severity]\n{table}\n")
    result = goship("lint", "--format", "json", "--fail-on", fail_on, cwd=repo)
    assert result.code == code, result.output
    assert {finding["severity"] for finding in json.loads(result.stdout)} == severities


def test_disabling_every_rule_that_fires_passes(goship: Goship, repo: Path) -> None:
    _, findings = findings_of(goship, repo)
    rules = sorted({finding["rule"] for finding in findings})
    (repo / ".goship-policy.toml").write_text(f"disable = {json.dumps(rules)}\n")
    result = goship("lint", cwd=repo)
    assert result.code == OK, result.output
    assert result.stdout.splitlines()[-1] == "0 errors, 0 warnings, 0 infos in 1 file"


def test_policy_file_in_a_parent_directory_is_found(goship: Goship, repo: Path) -> None:
    _, findings = findings_of(goship, repo)
    service = repo / "services" / "api"
    service.mkdir(parents=True)
    (service / "Dockerfile").write_text(BAD)
    rules = sorted({finding["rule"] for finding in findings})
    (repo / ".goship-policy.toml").write_text(f"disable = {json.dumps(rules)}\n")
    assert goship("lint", cwd=service).code == OK


def test_goship_toml_policy_table_is_used(goship: Goship, repo: Path) -> None:
    _, findings = findings_of(goship, repo)
    table = "\n".join(f'{rule} = "info"' for rule in sorted({f["rule"] for f in findings}))
    (repo / "goship.toml").write_text(f"[policy.severity]\n{table}\n")
    result = goship("lint", cwd=repo)
    assert result.code == OK, result.output
    assert " error " not in result.stdout


def test_policy_file_flag_overrides_the_file_found(goship: Goship, repo: Path, tmp_path: Path) -> None:
    _, findings = findings_of(goship, repo)
    rules = sorted({finding["rule"] for finding in findings})
    (repo / ".goship-policy.toml").write_text(f"disable = {json.dumps(rules)}\n")
    strict = tmp_path / "strict.toml"
    strict.write_text("# the defaults\n")
    assert goship("lint", cwd=repo).code == OK
    assert goship("lint", "--policy-file", str(strict), cwd=repo).code == POLICY


def test_allowed_bases_setting_takes_effect(goship: Goship, repo: Path) -> None:
    _, before = findings_of(goship, repo)
    (repo / ".goship-policy.toml").write_text('allowed-bases = ["ubuntu:*", "docker.io/library/ubuntu:*"]\n')
    _, after = findings_of(goship, repo)
    assert len(after) < len(before), (before, after)


def test_sarif_report_is_valid(goship: Goship, repo: Path) -> None:
    result = goship("lint", "--format", "sarif", cwd=repo)
    assert result.code == POLICY, result.output
    document = json.loads(result.stdout)
    run = document["runs"][0]
    assert run["tool"]["driver"]["name"] == "goship"
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris == {"Dockerfile"}
    assert sarif_tools.schema_errors(document) == []


def test_gitlab_report_paths_are_relative_to_the_repository(goship: Goship, repo: Path) -> None:
    service = repo / "svc"
    service.mkdir()
    (service / "Dockerfile").write_text(BAD)
    result = goship("lint", "--format", "gitlab", "Dockerfile", cwd=service)
    assert result.code == POLICY, result.output
    issues = json.loads(result.stdout)
    assert issues and {issue["location"]["path"] for issue in issues} == {"svc/Dockerfile"}
    assert {issue["severity"] for issue in issues} <= {"info", "major", "critical"}


def test_output_file_is_written_and_stdout_stays_empty(goship: Goship, repo: Path) -> None:
    report = repo / "reports" / "lint.json"
    report.parent.mkdir()
    report.write_text("old report")
    result = goship("lint", "--format", "json", "--output", str(report), cwd=repo)
    assert result.code == POLICY, result.output
    assert result.stdout == ""
    assert isinstance(json.loads(report.read_text()), list)
    assert [path.name for path in report.parent.iterdir()] == ["lint.json"]  # no temp file left
    assert f"to {report}" in result.stderr


def test_output_into_a_missing_directory_is_an_output_error(goship: Goship, repo: Path) -> None:
    result = goship("lint", "--output", str(repo / "no" / "such" / "dir" / "r.txt"), cwd=repo)
    assert result.code == 8, result.output
    assert "hint: " in result.stderr and "Traceback" not in result.output


def test_several_dockerfiles_in_one_run(goship: Goship, repo: Path) -> None:
    (repo / "Dockerfile.worker").write_text(BAD)
    result = goship("lint", "Dockerfile", "Dockerfile.worker", cwd=repo)
    assert result.code == POLICY, result.output
    assert result.stdout.splitlines()[-1].endswith(" in 2 files")
    assert any(line.startswith("Dockerfile.worker:") for line in result.stdout.splitlines())


def test_build_args_reach_from_lines(goship: Goship, repo: Path) -> None:
    # An ARG that FROM uses is declared before the first FROM, as docker build needs it.
    with_arg = "ARG BASE=ubuntu:latest\n" + BAD.replace("FROM ubuntu:latest", "FROM ${BASE}")
    (repo / "Dockerfile").write_text(with_arg)
    (repo / ".goship-policy.toml").write_text('allowed-bases = ["gcr.io/distroless/*"]\n')
    _, unset = findings_of(goship, repo)
    _, allowed = findings_of(goship, repo, "--build-arg", "BASE=gcr.io/distroless/static-debian12")
    assert len(allowed) < len(unset), (unset, allowed)


def usage_failure(result: Result, *needles: str) -> None:
    assert result.code == USAGE, result.output
    assert "Traceback" not in result.output
    assert "hint: " in result.stderr
    for needle in needles:
        assert needle in result.stderr


def test_nothing_to_lint_is_a_usage_error(goship: Goship, tmp_path: Path) -> None:
    usage_failure(goship("lint", cwd=tmp_path), "no Dockerfile", "--image")


def test_missing_dockerfile_is_a_usage_error(goship: Goship, repo: Path) -> None:
    usage_failure(goship("lint", "nope/Dockerfile", cwd=repo), "nope/Dockerfile")


def test_missing_policy_file_is_a_usage_error(goship: Goship, repo: Path) -> None:
    usage_failure(goship("lint", "--policy-file", "missing.toml", cwd=repo), "missing.toml")


def test_bad_build_arg_is_a_usage_error(goship: Goship, repo: Path) -> None:
    usage_failure(goship("lint", "--build-arg", "=x", cwd=repo), "--build-arg")


def test_unknown_format_is_a_usage_error(goship: Goship, repo: Path) -> None:
    assert goship("lint", "--format", "xml", cwd=repo).code == USAGE


def test_bad_policy_file_is_a_config_error(goship: Goship, repo: Path) -> None:
    (repo / ".goship-policy.toml").write_text('allow-shell = true\nsize-budget = "lots"\n')
    result = goship("lint", cwd=repo)
    assert result.code == CONFIG, result.output
    assert f"{repo / '.goship-policy.toml'}:2: 'size-budget' is 'lots'" in result.stderr
    assert result.stdout == ""
