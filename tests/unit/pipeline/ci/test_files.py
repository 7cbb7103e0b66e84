"""What each CI system does with the file goship writes, read back as the system reads it:
which job runs for which event, what it runs, which secrets it sees, what it caches under
which key, where production waits for approval and which reports are uploaded."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.unit.pipeline.ci.projects import make_project, pipeline_of

from goship.pipeline.ci import drone, github, gitlab, render_file
from goship.pipeline.ci.model import CIPipeline, tag_filter, tag_glob, tag_regex

TAGS = {"v1.2.3": "final", "v10.0.12": "final", "v1.2.3-rc.1": "pre", "v1.2": None, "x1.2.3": None,
        "latest": None}


@pytest.fixture
def single(tmp_path: Path) -> CIPipeline:
    return pipeline_of(make_project(tmp_path / "single"), version="2.0.1")


@pytest.fixture
def matrix(tmp_path: Path) -> CIPipeline:
    return pipeline_of(make_project(tmp_path / "matrix", services=("api", "worker")), version="2.0.1")


def load(system: str, pipeline: CIPipeline) -> Any:
    documents = list(yaml.safe_load_all(render_file(system, pipeline)[1]))
    return documents if system == "drone" else documents[0]


def pipeline_step(job: dict[str, Any]) -> dict[str, Any]:
    step: dict[str, Any] = next(step for step in job["steps"]
                                if step.get("name", "").startswith("goship pipeline"))
    return step


def steps_text(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in job["steps"])


# ---------------------------------------------------------------------------------------
# GitHub Actions

def test_github_jobs_run_for_their_events(single: CIPipeline) -> None:
    workflow = load("github", single)
    jobs = workflow["jobs"]

    assert workflow["on"] == {"push": {"branches": ["main"], "tags": ["v[0-9]+.[0-9]+.[0-9]+*"]},
                              "pull_request": None}
    assert jobs["verify"]["if"] == "github.event_name == 'pull_request'"
    assert jobs["staging"]["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert jobs["release"]["if"] == "github.ref_type == 'tag'"
    assert jobs["production"]["if"] == "github.ref_type == 'tag' && !contains(github.ref_name, '-')"
    commands = {name: pipeline_step(job)["run"] for name, job in jobs.items()}
    assert commands == {"verify": "goship pipeline --until scan",
                        "staging": "goship pipeline --until deploy --env staging",
                        "release": "goship pipeline --until push --env production",
                        "production": "goship pipeline --until deploy --env production"}


def test_github_production_waits_for_the_environment_after_the_release(single: CIPipeline) -> None:
    production = load("github", single)["jobs"]["production"]

    assert production["environment"] == {"name": "production"}
    assert production["needs"] == "release"
    assert production["concurrency"] == {"group": "deploy-production", "cancel-in-progress": False}


def test_github_installs_this_goship_and_the_pinned_go_and_caches_by_go_sum(single: CIPipeline) -> None:
    workflow = load("github", single)
    job = workflow["jobs"]["verify"]
    cache = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/cache@"))

    assert workflow["env"] == {"GOSHIP_VERSION": "2.0.1", "GO_VERSION": "1.22.10", "GOTOOLCHAIN": "local"}
    assert 'pip install --disable-pip-version-check "goship==$GOSHIP_VERSION"' in steps_text(job)
    assert 'goship go install "$GO_VERSION"' in steps_text(job)
    assert cache["with"]["key"] == \
        "goship-${{ runner.os }}-go${{ env.GO_VERSION }}-${{ hashFiles('go.sum') }}"
    assert cache["with"]["path"] == "~/.cache/goship-ci"
    for variable in ("GOMODCACHE", "GOCACHE", "GOSHIP_CACHE", "GOSHIP_HOME"):
        assert f'echo "{variable}=$HOME/.cache/goship-ci/' in steps_text(job)
    assert job["steps"][0] == {"uses": github.CHECKOUT, "with": {"fetch-depth": 0}}


def test_github_secrets_reach_only_the_jobs_that_push(single: CIPipeline) -> None:
    text = render_file("github", single)[1]
    jobs = load("github", single)["jobs"]
    verify = yaml.safe_dump(jobs["verify"])
    release_run = pipeline_step(jobs["release"])

    assert "secrets." not in verify
    assert release_run["env"] == {"GOSHIP_REGISTRY_USERNAME": "${{ secrets.REGISTRY_USERNAME }}",
                                  "GOSHIP_REGISTRY_PASSWORD": "${{ secrets.REGISTRY_PASSWORD }}",
                                  "GOSHIP_PASSWORD": "${{ secrets.COSIGN_PASSWORD }}"}
    assert '> "$GITHUB_WORKSPACE/cosign.key"' in steps_text(jobs["release"])
    assert "KUBECONFIG" not in yaml.safe_dump(jobs["release"])
    assert 'echo "KUBECONFIG=$RUNNER_TEMP/kubeconfig" >> "$GITHUB_ENV"' in steps_text(jobs["staging"])
    assert set(re.findall(r"secrets\.(\w+)", text)) == {"REGISTRY_USERNAME", "REGISTRY_PASSWORD",
                                                         "COSIGN_KEY", "COSIGN_PASSWORD", "KUBECONFIG"}


def test_github_uses_only_its_own_actions_at_current_majors(matrix: CIPipeline) -> None:
    uses = set(re.findall(r"uses: (\S+)", render_file("github", matrix)[1]))

    assert uses == {"actions/checkout@v7", "actions/setup-python@v7", "actions/cache@v6",
                    "actions/upload-artifact@v7", "github/codeql-action/upload-sarif@v4"}


def test_github_uploads_junit_and_each_sarif_report_in_its_own_category(matrix: CIPipeline) -> None:
    steps = load("github", matrix)["jobs"]["staging"]["steps"]
    sarif = [step for step in steps if step.get("uses", "").startswith("github/codeql-action/upload-sarif")]
    artifact = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact"))
    summary = next(step for step in steps if step.get("name") == "Test summary")

    assert [step["with"] for step in sarif] == [
        {"sarif_file": ".goship/reports/lint.sarif", "category": "goship-lint-${{ matrix.service }}"},
        {"sarif_file": ".goship/reports/scan.sarif", "category": "goship-scan-${{ matrix.service }}"}]
    assert all(step["if"].startswith("always() && hashFiles(") for step in sarif)
    assert artifact["if"] == "always()"
    assert artifact["with"]["name"] == "goship-reports-staging-${{ matrix.service }}"
    assert summary["run"] == 'goship ci summary .goship/reports/junit.xml >> "$GITHUB_STEP_SUMMARY"'


def test_github_builds_each_service_in_its_own_job(matrix: CIPipeline) -> None:
    jobs = load("github", matrix)["jobs"]

    for name, job in jobs.items():
        assert job["strategy"] == {"fail-fast": False, "matrix": {"include": [
            {"service": "api", "package": "./cmd/api"}, {"service": "worker", "package": "./cmd/worker"}]}}
        assert job["name"] == f"{name} (${{{{ matrix.service }}}})"
    assert pipeline_step(jobs["staging"])["run"] == \
        "goship pipeline ${{ matrix.package }} --until deploy --env staging"
    assert jobs["staging"]["concurrency"]["group"] == "deploy-staging-${{ matrix.service }}"


def test_github_tag_filter_takes_release_tags_only() -> None:
    pattern = tag_filter("v")
    regex = "^" + re.sub(r"\\\.|\.", r"\\.", pattern).replace("*", "[^/]*") + "$"  # GitHub's filter syntax

    assert {tag for tag in TAGS if re.match(regex, tag)} == {tag for tag, kind in TAGS.items() if kind}
    assert tag_filter("api/v+") == r"api/v\+[0-9]+.[0-9]+.[0-9]+*"


# ---------------------------------------------------------------------------------------
# GitLab CI/CD

def test_gitlab_jobs_run_for_their_events(single: CIPipeline) -> None:
    config = load("gitlab", single)

    assert config["stages"] == ["verify", "publish", "deploy"]
    assert config["staging"]["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]
    assert config["verify"]["script"] == ["goship pipeline --until scan"]
    assert config["release"]["script"][-1] == "goship pipeline --until push --env production"
    assert config["production"]["rules"] == [{"if": r"$CI_COMMIT_TAG =~ /^v[0-9]+\.[0-9]+\.[0-9]+$/",
                                              "when": "manual"}]
    assert config["production"]["environment"] == {"name": "production", "deployment_tier": "production"}
    assert config["production"]["stage"] == "deploy" and config["release"]["stage"] == "publish"


def test_gitlab_tag_rules_match_release_tags(single: CIPipeline) -> None:
    config = load("gitlab", single)

    def matching(job: str) -> set[str]:
        rule = config[job]["rules"][0]["if"]
        regex = rule.split("=~ /", 1)[1].rsplit("/", 1)[0].replace(r"\/", "/")
        return {tag for tag in TAGS if re.search(regex, tag)}

    assert matching("release") == {"v1.2.3", "v10.0.12", "v1.2.3-rc.1"}
    assert matching("production") == {"v1.2.3", "v10.0.12"}
    assert tag_regex("api/v", final=True) == r"^api\/v[0-9]+\.[0-9]+\.[0-9]+$"


def test_gitlab_reports_caches_and_setup(matrix: CIPipeline) -> None:
    template = load("gitlab", matrix)[".goship"]

    assert template["artifacts"]["when"] == "always"
    assert template["artifacts"]["reports"] == {"junit": ".goship/reports/junit.xml",
                                                "cyclonedx": [".goship/reports/sbom-*.cdx.json"]}
    assert template["artifacts"]["paths"] == [".goship/reports/"]  # the SARIF files among them
    assert template["cache"] == {"key": {"files": ["go.sum"], "prefix": "goship-go1.22.10"},
                                 "paths": [".goship/ci-cache/"]}
    assert template["before_script"][0].startswith("mkdir -p .goship && { [ -e .goship/.gitignore ]")
    assert template["parallel"] == {"matrix": [{"SERVICE": "api", "PACKAGE": "./cmd/api"},
                                               {"SERVICE": "worker", "PACKAGE": "./cmd/worker"}]}
    assert load("gitlab", matrix)["verify"]["script"] == ['goship pipeline "$PACKAGE" --until scan']


def test_gitlab_secrets_are_variables_of_the_jobs_that_need_them(single: CIPipeline) -> None:
    config = load("gitlab", single)

    assert "variables" not in config["verify"]
    assert config["release"]["variables"] == {"GOSHIP_REGISTRY_USERNAME": "$REGISTRY_USERNAME",
                                              "GOSHIP_REGISTRY_PASSWORD": "$REGISTRY_PASSWORD",
                                              "GOSHIP_PASSWORD": "$COSIGN_PASSWORD"}
    assert config["release"]["script"][0] == ('if [ -n "$COSIGN_KEY" ]; then install -m 600 "$COSIGN_KEY" '
                                              '"$CI_PROJECT_DIR/cosign.key"; fi')
    assert config["variables"]["GOSHIP_HOME"] == "$CI_PROJECT_DIR/.goship/ci-cache/home"


# ---------------------------------------------------------------------------------------
# Drone

def test_drone_has_a_pipeline_per_service_and_a_promotion_for_production(matrix: CIPipeline) -> None:
    pipelines = {document["name"]: document for document in load("drone", matrix)}

    assert set(pipelines) == {"api", "worker", "api-production", "worker-production"}
    assert pipelines["api-production"]["trigger"] == {
        "event": ["promote"], "target": ["production"],
        "ref": {"include": ["refs/tags/v[0-9]*"], "exclude": ["refs/tags/v[0-9]*-*"]}}
    steps = {step["name"]: step for step in pipelines["worker"]["steps"]}
    assert list(steps) == ["restore-cache", "setup", "verify", "staging", "release", "rebuild-cache"]
    assert steps["verify"]["when"] == {"event": ["pull_request"]}
    assert steps["staging"]["when"] == {"event": ["push"], "branch": ["main"]}
    assert steps["staging"]["commands"][-1] == "goship pipeline ./cmd/worker --until deploy --env staging"
    production = pipelines["worker-production"]["steps"][-1]
    assert production["commands"][-1] == "goship pipeline ./cmd/worker --until deploy --env production"


def test_drone_secrets_come_from_secret_and_only_where_needed(single: CIPipeline) -> None:
    steps = {step["name"]: step for step in load("drone", single)[0]["steps"]}

    assert "environment" not in steps["verify"]
    assert steps["release"]["environment"] == {
        "GOSHIP_REGISTRY_USERNAME": {"from_secret": "REGISTRY_USERNAME"},
        "GOSHIP_REGISTRY_PASSWORD": {"from_secret": "REGISTRY_PASSWORD"},
        "COSIGN_KEY_CONTENT": {"from_secret": "COSIGN_KEY"},
        "GOSHIP_PASSWORD": {"from_secret": "COSIGN_PASSWORD"}}


def test_drone_escapes_every_shell_dollar_from_its_substitution(single: CIPipeline) -> None:
    text = render_file("drone", single)[1]
    commands = [command for document in yaml.safe_load_all(text) for step in document["steps"]
                for command in step.get("commands", [])]

    assert commands
    assert all(re.search(r"(?<!\$)\$(?!\$)", command) is None for command in commands), commands


def test_drone_caches_by_go_version_and_go_sum(single: CIPipeline) -> None:
    steps = {step["name"]: step for step in load("drone", single)[0]["steps"]}

    assert steps["restore-cache"]["settings"]["cache_key"] == 'goship-go1.22.10-{{ checksum "go.sum" }}'
    assert steps["restore-cache"]["settings"]["mount"] == [".goship/ci-cache"]
    assert steps["rebuild-cache"]["settings"]["rebuild"] is True
    assert load("drone", single)[0]["environment"]["GOMODCACHE"] == "/drone/src/.goship/ci-cache/go-mod"


def test_drone_ref_globs_match_release_tags() -> None:
    glob = tag_glob("v")

    assert {tag for tag in TAGS if fnmatch.fnmatchcase(f"refs/tags/{tag}", glob)} == \
        {"v1.2.3", "v10.0.12", "v1.2.3-rc.1", "v1.2"}  # v1.2 has no release job: it is no SemVer tag
    assert not fnmatch.fnmatchcase("refs/tags/v1.2.3-rc.1", glob) or \
        fnmatch.fnmatchcase("refs/tags/v1.2.3-rc.1", f"{glob}-*")  # excluded from production


# ---------------------------------------------------------------------------------------
# every system

@pytest.mark.parametrize("system", ["github", "gitlab", "drone"])
def test_a_module_in_a_subdirectory_works_there(tmp_path: Path, system: str) -> None:
    pipeline = pipeline_of(make_project(tmp_path, module="services/shop"))
    text = render_file(system, pipeline)[1]

    if system == "github":
        assert load(system, pipeline)["defaults"]["run"]["working-directory"] == "services/shop"
        assert "hashFiles('services/shop/go.sum')" in text
        assert "path: services/shop/.goship/reports/" in text
    elif system == "gitlab":
        assert "cd services/shop" in load(system, pipeline)[".goship"]["before_script"]
        assert load(system, pipeline)[".goship"]["artifacts"]["reports"]["junit"] == \
            "services/shop/.goship/reports/junit.xml"
    else:
        assert "cd services/shop" in load(system, pipeline)[0]["steps"][2]["commands"]
        assert '{{ checksum "services/shop/go.sum" }}' in text
    assert "/drone/src/services/shop/cosign.key" in text or system != "drone"


@pytest.mark.parametrize("module", [github, gitlab, drone])
def test_the_header_names_the_command_the_secrets_and_the_pin(single: CIPipeline, module: Any) -> None:
    text = module.render(single)
    system = module.__name__.rsplit(".", 1)[1]

    assert f"`goship ci init --{system}` (goship 2.0.1)" in text.replace("\n# ", " ")
    assert "the Go version of .go-version" in text.replace("\n# ", " ")
    for secret in ("REGISTRY_USERNAME", "REGISTRY_PASSWORD", "COSIGN_KEY", "COSIGN_PASSWORD", "KUBECONFIG"):
        assert f"#   {secret} " in text
