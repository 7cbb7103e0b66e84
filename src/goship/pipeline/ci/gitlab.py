"""The pipeline as GitLab CI/CD configuration, .gitlab-ci.yml.

Secrets are CI/CD variables (Settings > CI/CD > Variables), mapped to the names goship
reads only in the jobs that need them; file secrets are variables of type File, whose value
GitLab gives as a path. Production waits for `when: manual` in the `production` environment
(a protected environment adds approval rules). JUnit is an `artifacts:reports:junit` report
and the SBOMs a `cyclonedx` report. The SARIF reports are kept as plain artifacts: GitLab's
own `sarif` report type is new and behind a feature flag, and older GitLab refuses a
configuration that names it.

GitLab caches only inside the project directory: the caches live in .goship/ci-cache, kept
out of `git status` by .goship/.gitignore, which the jobs write first when the checkout has
none (an untracked file would mark every build modified).
"""

from __future__ import annotations

from goship.pipeline.ci.model import (
    CACHE_DIR,
    CACHE_DIRECTORIES,
    JUNIT_REPORT,
    PYTHON_VERSION,
    REPORTS_DIR,
    SBOM_REPORTS,
    CIPipeline,
    Job,
    Trigger,
    header,
    tag_regex,
)
from goship.pipeline.ci.yamltext import Node, SpacedMapping, document

PATH = ".gitlab-ci.yml"
IMAGE = f"python:{PYTHON_VERSION}"
_STAGES = {"verify": "verify", "publish": "publish", "release": "publish", "staging": "deploy",
           "production": "deploy"}


def render(pipeline: CIPipeline) -> str:
    files = [secret.name for secret in pipeline.secrets if secret.is_file]
    of_type_file = f"; {' and '.join(files)} of type File" if files else ""
    comments = header(pipeline, system="gitlab", title="goship's CI/CD pipeline for GitLab",
                      store=f"Settings > CI/CD > Variables{of_type_file}; mark them Protected, "
                                   "and protect the default branch and the release tags",
                      approval=f"The production job waits for someone to run it; a protected "
                               f"{pipeline.approved_environment} environment (Settings > CI/CD > "
                               "Protected environments) decides who may.")
    used = {_STAGES[job.name] for job in pipeline.jobs}
    stages = [stage for stage in ("verify", "publish", "deploy") if stage in used]
    config = SpacedMapping({
        # One pipeline per change: a merge request's, else the branch's or the tag's.
        "workflow": {"rules": [
            {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'},
            {"if": "$CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS", "when": "never"},
            {"if": "$CI_COMMIT_BRANCH"},
            {"if": "$CI_COMMIT_TAG"},
        ]},
        "stages": stages,
        "variables": _variables(pipeline),
        ".goship": _template(pipeline),
    })
    for job in pipeline.jobs:
        config[job.name] = _job(pipeline, job)
    return document(config, comments=comments)


def _variables(pipeline: CIPipeline) -> dict[str, Node]:
    variables: dict[str, Node] = {
        "GOSHIP_VERSION": pipeline.goship_version,
        "GO_VERSION": pipeline.go.install,
        "GOTOOLCHAIN": "local",
        # The module cache is read-only as Go writes it; the runner could not clean it up.
        "GOFLAGS": "-modcacherw",
        "GIT_DEPTH": "0",  # versions come from the tags: the whole history
        "PIP_ROOT_USER_ACTION": "ignore",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    for variable, name in CACHE_DIRECTORIES:
        variables[variable] = f"$CI_PROJECT_DIR/{CACHE_DIR}/{name}"
    return variables


def _template(pipeline: CIPipeline) -> dict[str, Node]:
    before = [
        "mkdir -p .goship && { [ -e .goship/.gitignore ] || printf '*\\n' > .goship/.gitignore; }",
        'python -m pip install --quiet "goship==$GOSHIP_VERSION"',
        'goship go install "$GO_VERSION"',
        'goship go use "$GO_VERSION"',
        'export PATH="$GOSHIP_HOME/go/current/bin:$PATH"',
    ]
    if pipeline.workdir != ".":
        before.append(f"cd {pipeline.workdir}")
    template: dict[str, Node] = {
        "image": IMAGE,
        "cache": {"key": {"files": list(pipeline.key_files), "prefix": f"goship-go{pipeline.go.install}"},
                  "paths": [f"{CACHE_DIR}/"]},
        "before_script": before,
        "artifacts": {
            "when": "always",
            "expire_in": "30 days",
            "paths": [pipeline.in_repository(REPORTS_DIR) + "/"],
            "reports": {"junit": pipeline.in_repository(JUNIT_REPORT),
                        "cyclonedx": [pipeline.in_repository(SBOM_REPORTS)]},
        },
    }
    if pipeline.matrix:
        template["parallel"] = {"matrix": [{"SERVICE": service.name, "PACKAGE": service.package}
                                           for service in pipeline.services]}
    return template


def _rule(pipeline: CIPipeline, job: Job) -> dict[str, Node]:
    if job.trigger is Trigger.CHANGE:
        return {"if": '$CI_PIPELINE_SOURCE == "merge_request_event" || '
                      "($CI_COMMIT_BRANCH && $CI_COMMIT_BRANCH != $CI_DEFAULT_BRANCH)"}
    if job.trigger is Trigger.DEFAULT_BRANCH:
        return {"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}
    final = job.trigger is Trigger.FINAL_TAG
    rule: dict[str, Node] = {"if": f"$CI_COMMIT_TAG =~ /{tag_regex(pipeline.tag_prefix, final=final)}/"}
    if job.manual:
        rule["when"] = "manual"  # in rules, a manual job blocks the pipeline until it is run
    return rule


def _job(pipeline: CIPipeline, job: Job) -> dict[str, Node]:
    body: dict[str, Node] = {"extends": ".goship", "stage": _STAGES[job.name],
                             "rules": [_rule(pipeline, job)]}
    if job.deploys and job.environment:
        body["environment"] = {"name": job.environment,
                               "deployment_tier": "production" if job.trigger is Trigger.FINAL_TAG
                               else "staging"}
        body["resource_group"] = job.environment  # one deployment at a time
    # A variable of type File (KUBECONFIG) is already the path goship reads.
    variables = {secret.variable: f"${secret.name}" for secret in job.secrets
                 if secret.variable and secret.variable != secret.name}
    if variables:
        body["variables"] = variables
    # The signing key goes where [pipeline.sign] key names it.
    script = [f'if [ -n "${secret.name}" ]; then install -m 600 "${secret.name}" '
              f'"$CI_PROJECT_DIR/{secret.path}"; fi' for secret in job.secrets if secret.path]
    script.append(pipeline.command(job, '"$PACKAGE"' if pipeline.matrix else None))
    body["script"] = script
    return body
