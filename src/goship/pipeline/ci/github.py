"""The pipeline as a GitHub Actions workflow, .github/workflows/goship.yml.

Only GitHub's own actions are used (actions/*, github/*), at their current major versions.
Secrets come from ``secrets.*`` and reach only the jobs that need them: a pull request's
verify job gets none. The production job names the ``production`` environment, whose
protection rules (required reviewers) are GitHub's approval. JUnit goes up as an artifact
and as the job summary (`goship ci summary`); each SARIF report goes to code scanning in its
own category, as code scanning takes one run per tool and category.
"""

from __future__ import annotations

from goship.pipeline.ci.model import (
    CACHE_DIRECTORIES,
    JUNIT_REPORT,
    PYTHON_VERSION,
    REPORTS_DIR,
    SARIF_REPORTS,
    CIPipeline,
    Job,
    Secret,
    Trigger,
    header,
    tag_filter,
)
from goship.pipeline.ci.yamltext import Flow, Node, SpacedMapping, document

PATH = ".github/workflows/goship.yml"
CHECKOUT = "actions/checkout@v7"
SETUP_PYTHON = "actions/setup-python@v7"
CACHE = "actions/cache@v6"
UPLOAD_ARTIFACT = "actions/upload-artifact@v7"
UPLOAD_SARIF = "github/codeql-action/upload-sarif@v4"
RUNNER = "ubuntu-latest"
CACHE_ROOT = "~/.cache/goship-ci"

_CONDITIONS = {
    Trigger.CHANGE: "github.event_name == 'pull_request'",
    Trigger.RELEASE_TAG: "github.ref_type == 'tag'",
    Trigger.FINAL_TAG: "github.ref_type == 'tag' && !contains(github.ref_name, '-')",
}
# A fork's pull request gets a read-only token: code scanning would refuse its upload.
_SAME_REPOSITORY = ("(github.event_name != 'pull_request' || "
                    "github.event.pull_request.head.repo.full_name == github.repository)")


def render(pipeline: CIPipeline) -> str:
    comments = header(pipeline, system="github", title="goship's CI/CD pipeline for GitHub Actions",
                      store="Settings > Secrets and variables > Actions",
                      approval=f"Give the {pipeline.approved_environment} environment required "
                               "reviewers (Settings > Environments): its deploy job waits for their "
                               "approval.")
    workflow = SpacedMapping({
        "name": "goship",
        "on": {
            "push": {"branches": Flow([pipeline.default_branch]),
                     "tags": Flow([tag_filter(pipeline.tag_prefix)])},
            "pull_request": None,
        },
        "permissions": {"contents": "read"},
        "concurrency": {"group": "goship-${{ github.ref }}",
                        "cancel-in-progress": "${{ github.event_name == 'pull_request' }}"},
        "env": {"GOSHIP_VERSION": pipeline.goship_version, "GO_VERSION": pipeline.go.install,
                "GOTOOLCHAIN": "local"},
        "defaults": {"run": {"shell": "bash",
                             **({"working-directory": pipeline.workdir} if pipeline.workdir != "." else {})}},
        "jobs": SpacedMapping({job.name: _job(pipeline, job) for job in pipeline.jobs}),
    })
    return document(workflow, comments=comments)


def _condition(pipeline: CIPipeline, job: Job) -> str:
    if job.trigger is Trigger.DEFAULT_BRANCH:
        return f"github.event_name == 'push' && github.ref == 'refs/heads/{pipeline.default_branch}'"
    return _CONDITIONS[job.trigger]


def _job(pipeline: CIPipeline, job: Job) -> dict[str, Node]:
    suffix = " (${{ matrix.service }})" if pipeline.matrix else ""
    body: dict[str, Node] = {"name": job.name + suffix}
    if job.after:
        body["needs"] = job.after
    body["if"] = _condition(pipeline, job)
    body["runs-on"] = RUNNER
    body["permissions"] = {"contents": "read", "security-events": "write", "actions": "read"}
    if job.deploys and job.environment:
        body["environment"] = {"name": job.environment}
        # One deployment at a time per environment (and service): GitHub keeps one waiting.
        group = f"deploy-{job.environment}" + ("-${{ matrix.service }}" if pipeline.matrix else "")
        body["concurrency"] = {"group": group, "cancel-in-progress": False}
    if pipeline.matrix:
        body["strategy"] = {"fail-fast": False, "matrix": {"include": [
            {"service": service.name, "package": service.package} for service in pipeline.services]}}
    body["steps"] = _steps(pipeline, job)
    return body


def _steps(pipeline: CIPipeline, job: Job) -> list[Node]:
    key = (f"goship-${{{{ runner.os }}}}-go${{{{ env.GO_VERSION }}}}-"
           f"${{{{ hashFiles({', '.join(repr(path) for path in pipeline.key_files)}) }}}}")
    directories = "\n".join(f'  echo "{variable}=$HOME/.cache/goship-ci/{name}"'
                            for variable, name in CACHE_DIRECTORIES)
    steps: list[Node] = [
        {"uses": CHECKOUT, "with": {"fetch-depth": 0}},  # versions come from the tags
        {"uses": SETUP_PYTHON, "with": {"python-version": PYTHON_VERSION}},
        {"name": "Put the caches under ~/.cache/goship-ci",
         "run": f"{{\n{directories}\n}} >> \"$GITHUB_ENV\"\n"},
        {"uses": CACHE, "with": {"path": CACHE_ROOT, "key": key,
                                 "restore-keys": "goship-${{ runner.os }}-go${{ env.GO_VERSION }}-"}},
        {"name": "Install goship and Go ${{ env.GO_VERSION }}",
         "run": 'python -m pip install --disable-pip-version-check "goship==$GOSHIP_VERSION"\n'
                'goship go install "$GO_VERSION"\n'
                'goship go use "$GO_VERSION"\n'
                'echo "$GOSHIP_HOME/go/current/bin" >> "$GITHUB_PATH"\n'},
    ]
    files = [secret for secret in job.secrets if secret.is_file]
    if files:
        steps.append({"name": "Write " + " and ".join(secret.name for secret in files),
                      "env": {f"{secret.name}_CONTENT": f"${{{{ secrets.{secret.name} }}}}"
                              for secret in files},
                      "run": _write_files(files)})
    package = "${{ matrix.package }}" if pipeline.matrix else None
    run: dict[str, Node] = {"name": pipeline.command(job)}
    values = {secret.variable: f"${{{{ secrets.{secret.name} }}}}" for secret in job.secrets
              if not secret.is_file}
    if values:
        run["env"] = values
    run["run"] = pipeline.command(job, package)
    steps.append(run)
    steps += _reports(pipeline, job)
    return steps


def _write_files(files: list[Secret]) -> str:
    """Each file secret written where goship reads it; an unset secret writes nothing, so
    the pipeline says what is missing."""
    lines = ["umask 077"]
    for secret in files:
        content = f"${secret.name}_CONTENT"
        target = f"$GITHUB_WORKSPACE/{secret.path}" if secret.path else f"$RUNNER_TEMP/{secret.name.lower()}"
        lines += [f'if [ -n "{content}" ]; then', f"  printf '%s\\n' \"{content}\" > \"{target}\""]
        if not secret.path:
            lines.append(f'  echo "{secret.variable}={target}" >> "$GITHUB_ENV"')
        lines.append("fi")
    return "\n".join(lines) + "\n"


def _reports(pipeline: CIPipeline, job: Job) -> list[Node]:
    service = "-${{ matrix.service }}" if pipeline.matrix else ""
    reports = pipeline.in_repository(REPORTS_DIR)
    junit = pipeline.in_repository(JUNIT_REPORT)
    steps: list[Node] = [
        {"name": "Upload the reports", "if": "always()", "uses": UPLOAD_ARTIFACT,
         "with": {"name": f"goship-reports-{job.name}{service}", "path": f"{reports}/",
                  "if-no-files-found": "ignore"}},
        {"name": "Test summary", "if": f"always() && hashFiles('{junit}') != ''",
         "run": f'goship ci summary {JUNIT_REPORT} >> "$GITHUB_STEP_SUMMARY"'},
    ]
    for kind, path in SARIF_REPORTS:
        sarif = pipeline.in_repository(path)
        steps.append({"name": f"Upload the {kind} findings to code scanning",
                      "if": f"always() && hashFiles('{sarif}') != '' && {_SAME_REPOSITORY}",
                      "uses": UPLOAD_SARIF,
                      "with": {"sarif_file": sarif, "category": f"goship-{kind}{service}"}})
    return steps
