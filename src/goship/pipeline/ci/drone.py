"""The pipeline as Drone pipelines, .drone.yml.

One pipeline per service, so that several services build in parallel on the agents, each
in its own workspace. Each runs the job its event calls for (`when` conditions); production
is a separate pipeline per service that only a promotion runs: `drone build promote REPO
BUILD production` on the build of a release tag. Secrets come with ``from_secret``.

Drone caches nothing by itself: the meltwater/drone-cache plugin keeps .goship/ci-cache (Go's
module and build caches, goship's cache and Go itself) under a key made of the Go version
and go.sum, on a host volume (the repository must be Trusted; its S3 backend serves several
agents). Drone shows no test or SARIF reports: they stay in .goship/reports of the workspace.

Drone substitutes ``${NAME}`` and ``$NAME`` in the file with its own build variables, so every
``$`` meant for the shell is written ``$$``.
"""

from __future__ import annotations

from goship.pipeline.ci.model import (
    CACHE_DIR,
    CACHE_DIRECTORIES,
    PYTHON_VERSION,
    CIPipeline,
    Job,
    Secret,
    Service,
    Trigger,
    header,
    tag_glob,
)
from goship.pipeline.ci.yamltext import Flow, Node, SpacedSequence, documents

PATH = ".drone.yml"
IMAGE = f"python:{PYTHON_VERSION}"
CACHE_PLUGIN = "meltwater/drone-cache:v1.4.0"
WORKSPACE = "/drone/src"
HOST_CACHE = "/var/lib/goship-ci-cache"  # on the agent
PLUGIN_CACHE_ROOT = "/cache"  # where the cache step sees it
VENV = ".goship/ci/venv"


def render(pipeline: CIPipeline) -> str:
    comments = header(pipeline, system="drone", title="goship's CI/CD pipelines for Drone",
                      store="repository settings > Secrets; COSIGN_KEY and KUBECONFIG hold "
                                   "the files' content",
                      approval="Production runs on promotion only: `drone build promote REPO BUILD "
                               f"{pipeline.approved_environment}` on a release tag's build.")
    comments += ["", "The caches live on a host volume of the agent: mark the repository Trusted",
                 "(repository settings), or give the cache steps drone-cache's S3 settings."]
    services: tuple[Service | None, ...] = pipeline.services if pipeline.matrix else (None,)
    roots: list[dict[str, Node]] = []
    for service in services:
        roots.append(_pipeline(pipeline, service, [job for job in pipeline.jobs if not job.manual]))
        manual = [job for job in pipeline.jobs if job.manual]
        if manual:
            roots.append(_pipeline(pipeline, service, manual))
    return documents(roots, comments=comments)


def _pipeline(pipeline: CIPipeline, service: Service | None, jobs: list[Job]) -> dict[str, Node]:
    promotion = jobs[0].manual
    name = service.name if service is not None else "goship"
    steps: list[Node] = [_cache_step(pipeline, restore=True), _setup_step(pipeline)]
    steps += [_job_step(pipeline, job, service) for job in jobs]
    if not promotion:
        steps.append(_cache_step(pipeline, restore=False))
    root: dict[str, Node] = {"kind": "pipeline", "type": "docker",
                             "name": f"{name}-{jobs[0].environment}" if promotion else name}
    if promotion:
        final = tag_glob(pipeline.tag_prefix)
        root["trigger"] = {"event": Flow(["promote"]), "target": Flow([jobs[0].environment or ""]),
                           "ref": {"include": Flow([final]), "exclude": Flow([f"{final}-*"])}}
    else:
        root["trigger"] = {"event": Flow(["push", "pull_request", "tag"])}
    root["workspace"] = {"path": WORKSPACE}
    root["environment"] = _environment(pipeline)
    root["steps"] = SpacedSequence(steps)
    root["volumes"] = [{"name": "cache", "host": {"path": HOST_CACHE}}]
    return root


def _environment(pipeline: CIPipeline) -> dict[str, Node]:
    environment: dict[str, Node] = {
        "GOSHIP_VERSION": pipeline.goship_version,
        "GO_VERSION": pipeline.go.install,
        "GOTOOLCHAIN": "local",
        "GOFLAGS": "-modcacherw",  # the workspace is removed after the build: no read-only files
        "PIP_ROOT_USER_ACTION": "ignore",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    for variable, name in CACHE_DIRECTORIES:
        environment[variable] = f"{WORKSPACE}/{CACHE_DIR}/{name}"
    return environment


def _cache_step(pipeline: CIPipeline, *, restore: bool) -> dict[str, Node]:
    checksums = "-".join(f'{{{{ checksum "{path}" }}}}' for path in pipeline.key_files)
    step: dict[str, Node] = {
        "name": "restore-cache" if restore else "rebuild-cache",
        "image": CACHE_PLUGIN,
        "settings": {"backend": "filesystem", ("restore" if restore else "rebuild"): True,
                     "cache_key": f"goship-go{pipeline.go.install}-{checksums}",
                     "archive_format": "gzip", "filesystem_cache_root": PLUGIN_CACHE_ROOT,
                     "mount": [CACHE_DIR]},
        "volumes": [{"name": "cache", "path": PLUGIN_CACHE_ROOT}],
    }
    if not restore:
        step["when"] = {"event": Flow(["push", "tag"]), "status": Flow(["success", "failure"])}
    return step


def _path_line(pipeline: CIPipeline) -> list[str]:
    """Commands every step starts with: goship and Go on PATH, in the module directory."""
    home = f"{WORKSPACE}/{CACHE_DIR}/home"
    lines = [f'export PATH="{WORKSPACE}/{VENV}/bin:{home}/go/current/bin:$$PATH"']
    if pipeline.workdir != ".":
        lines.append(f"cd {pipeline.workdir}")
    return lines


def _setup_step(pipeline: CIPipeline) -> dict[str, Node]:
    commands: list[Node] = [
        "mkdir -p .goship && { [ -e .goship/.gitignore ] || printf '*\\n' > .goship/.gitignore; }",
        "git fetch --tags --force --quiet origin",  # versions come from the tags
        f"python -m venv {VENV}",
        f'{VENV}/bin/pip install --quiet "goship==$$GOSHIP_VERSION"',
        *_path_line(pipeline),
        'goship go install "$$GO_VERSION"',
        'goship go use "$$GO_VERSION"',
    ]
    return {"name": "setup", "image": IMAGE, "commands": commands}


def _when(pipeline: CIPipeline, job: Job) -> dict[str, Node] | None:
    if job.trigger is Trigger.CHANGE:
        return {"event": Flow(["pull_request"])}
    if job.trigger is Trigger.DEFAULT_BRANCH:
        return {"event": Flow(["push"]), "branch": Flow([pipeline.default_branch])}
    if job.trigger is Trigger.RELEASE_TAG:
        return {"event": Flow(["tag"]), "ref": Flow([tag_glob(pipeline.tag_prefix)])}
    return None  # production: the pipeline's trigger says when


def _job_step(pipeline: CIPipeline, job: Job, service: Service | None) -> dict[str, Node]:
    step: dict[str, Node] = {"name": job.name, "image": IMAGE}
    environment: dict[str, Node] = {}
    for secret in job.secrets:
        target = f"{secret.name}_CONTENT" if secret.is_file else secret.variable
        environment[target] = {"from_secret": secret.name}
    if environment:
        step["environment"] = environment
    commands: list[Node] = [*_path_line(pipeline)]
    files = [secret for secret in job.secrets if secret.is_file]
    if files:
        commands.append("umask 077")
        commands += [_write_file(secret) for secret in files]
    commands.append(pipeline.command(job, service.package if service is not None else None))
    step["commands"] = commands
    when = _when(pipeline, job)
    if when is not None:
        step["when"] = when
    return step


def _write_file(secret: Secret) -> str:
    content = f'"$${secret.name}_CONTENT"'
    if secret.path:
        return f"if [ -n {content} ]; then printf '%s\\n' {content} > {WORKSPACE}/{secret.path}; fi"
    target = f"{WORKSPACE}/.goship/ci/{secret.name.lower()}"  # .goship/.gitignore keeps it out of git
    return (f"if [ -n {content} ]; then printf '%s\\n' {content} > {target}; "
            f"export {secret.variable}={target}; fi")
