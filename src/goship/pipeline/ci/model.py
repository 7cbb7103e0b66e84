"""The CI pipeline `goship ci init` writes, described once for every CI system.

A ``CIPipeline`` says what runs when, and with what: the services (one parallel job each
when there are several), the jobs and what triggers them, the `goship pipeline` command of
each, the secrets each needs from the CI system's secret store, the caches and their keys,
and the reports to upload. github.py, gitlab.py and drone.py translate it into each system's
syntax and nothing more, so that the three files cannot drift apart in what they do.

The jobs:

- ``verify``, for every pull or merge request: the stages up to ``scan``. No secrets.
- ``staging`` (or ``publish`` without a staging environment or deploy stage), for every push
  to the default branch: up to ``deploy`` (or ``push``) with ``--env`` the staging environment.
- ``release``, for every release tag (``v1.2.3``, ``v1.2.3-rc.1``): up to ``push``.
- ``production``, for final release tags only (no pre-release), after ``release`` and after
  a person approves it where the system can ask: up to ``deploy`` with ``--env`` production.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

SYSTEMS = ("github", "gitlab", "drone")
# What the jobs run, relative to the Go module: the layout of goship.pipeline's reports.
REPORTS_DIR = ".goship/reports"
JUNIT_REPORT = f"{REPORTS_DIR}/junit.xml"
SARIF_REPORTS = (("lint", f"{REPORTS_DIR}/lint.sarif"), ("scan", f"{REPORTS_DIR}/scan.sarif"))
SBOM_REPORTS = f"{REPORTS_DIR}/sbom-*.cdx.json"
# The caches live under one directory. GitLab and Drone can only cache inside the checkout:
# there it is .goship/ci-cache, which .goship/.gitignore keeps out of `git status` (an
# untracked file would mark every build modified).
CACHE_DIR = ".goship/ci-cache"
CACHE_DIRECTORIES = (("GOMODCACHE", "go-mod"), ("GOCACHE", "go-build"), ("GOSHIP_CACHE", "goship"),
                     ("GOSHIP_HOME", "home"))
PYTHON_VERSION = "3.13"
VERIFY_UNTIL = "scan"


class Trigger(Enum):
    CHANGE = "a pull or merge request"
    DEFAULT_BRANCH = "a push to the default branch"
    RELEASE_TAG = "a release tag, pre-releases included"
    FINAL_TAG = "a release tag without a pre-release part"


@dataclass(frozen=True)
class Secret:
    """A value from the CI system's secret store: ``name`` there, ``variable`` for goship.
    A file secret holds a file's content; the job writes it to ``path`` (relative to the
    repository), or to a temporary file whose path goes into ``variable`` when ``path`` is
    empty."""

    name: str
    variable: str
    description: str
    is_file: bool = False
    path: str = ""


REGISTRY_USERNAME = Secret("REGISTRY_USERNAME", "GOSHIP_REGISTRY_USERNAME",
                           "the registry user goship pushes as")
REGISTRY_PASSWORD = Secret("REGISTRY_PASSWORD", "GOSHIP_REGISTRY_PASSWORD", "its password or token")
SIGNING_PASSWORD = Secret("COSIGN_PASSWORD", "GOSHIP_PASSWORD", "the password of the signing key")
KUBECONFIG = Secret("KUBECONFIG", "KUBECONFIG", "a kubeconfig for the cluster deployed to", is_file=True)


def signing_key(path: str) -> Secret:
    """The private key of [pipeline.sign] key, written to ``path`` before the run."""
    return Secret("COSIGN_KEY", "", f"the content of {path} (goship keygen writes it)", is_file=True,
                  path=path)


@dataclass(frozen=True)
class Service:
    """One image of goship.toml, built by its own parallel job when there are several."""

    name: str
    package: str


@dataclass(frozen=True)
class GoPin:
    install: str  # what `goship go install` is given: "1.22.10", or "1.22" for a go line
    source: str  # where the project says so: ".go-version", "the toolchain line of go.mod", ...


@dataclass(frozen=True)
class Job:
    name: str
    trigger: Trigger
    until: str
    environment: str | None = None  # `goship pipeline --env`
    deploys: bool = False  # a deployment to ``environment``, shown as such by the CI system
    manual: bool = False  # waits for a person's approval
    secrets: tuple[Secret, ...] = ()
    after: str | None = None  # the job that must have passed first

    def arguments(self) -> list[str]:
        """`goship pipeline`'s options for this job."""
        return ["--until", self.until, *(["--env", self.environment] if self.environment else [])]


@dataclass(frozen=True)
class CIPipeline:
    goship_version: str
    go: GoPin
    services: tuple[Service, ...]
    jobs: tuple[Job, ...]
    default_branch: str
    tag_prefix: str = "v"
    workdir: str = "."  # the Go module, relative to the repository root
    key_files: tuple[str, ...] = ("go.sum",)  # relative to the repository root
    notes: tuple[str, ...] = field(default=(), compare=False)  # what the user should know

    @property
    def matrix(self) -> bool:
        return len(self.services) > 1

    def job(self, name: str) -> Job | None:
        return next((job for job in self.jobs if job.name == name), None)

    def command(self, job: Job, package: str | None = None) -> str:
        """The shell command of ``job``; ``package`` is the service's package (or the CI
        system's placeholder for it) in a matrix."""
        words = ["goship", "pipeline", *([package] if package else []), *job.arguments()]
        return " ".join(words)

    def in_repository(self, path: str) -> str:
        """``path`` (relative to the module) relative to the repository root."""
        return path if self.workdir == "." else f"{self.workdir}/{path}"

    @property
    def secrets(self) -> tuple[Secret, ...]:
        """Every secret some job needs, once, in the order jobs need them."""
        found: dict[str, Secret] = {}
        for job in self.jobs:
            for secret in job.secrets:
                found.setdefault(secret.name, secret)
        return tuple(found.values())

    @property
    def approved_environment(self) -> str:
        """The environment whose deployment waits for approval ("" when none does)."""
        return next((job.environment or "" for job in self.jobs if job.manual), "")


# ---------------------------------------------------------------------------------------
# release tags: SemVer after the [release] tag prefix

def tag_filter(prefix: str) -> str:
    """GitHub's filter pattern for release tags (``+`` repeats, ``*`` is anything else)."""
    return re.sub(r"([*?+\[\]!\\])", r"\\\1", prefix) + "[0-9]+.[0-9]+.[0-9]+*"


def tag_regex(prefix: str, *, final: bool) -> str:
    """A regular expression (RE2 and Python) for release tags; ``final``: no pre-release."""
    core = re.escape(prefix).replace("/", r"\/") + r"[0-9]+\.[0-9]+\.[0-9]+"
    return f"^{core}$" if final else f"^{core}"


def tag_glob(prefix: str) -> str:
    """A glob over the tag ref (Drone's ``ref`` condition)."""
    return f"refs/tags/{prefix}[0-9]*"


def header(pipeline: CIPipeline, *, system: str, title: str, store: str,
           approval: str) -> list[str]:
    """The comment at the top of every file: where it came from, how to renew it, the jobs,
    the secrets it reads and how production is approved."""
    import textwrap

    def paragraph(text: str) -> list[str]:
        return textwrap.wrap(text, width=92, break_on_hyphens=False)

    lines = paragraph(f"{title}, written by `goship ci init --{system}` (goship "
                      f"{pipeline.goship_version}) from goship.toml and the Go version of "
                      f"{pipeline.go.source}. Run that command again with --force after changing "
                      "either, rather than editing this file.")
    lines += ["", "Jobs:"]
    lines += [f"  {job.name.ljust(10)}  {job.trigger.value}: goship pipeline {' '.join(job.arguments())}"
              for job in pipeline.jobs]
    if pipeline.secrets:
        lines += ["", *paragraph(f"Secrets ({store}):")]
        width = max(len(secret.name) for secret in pipeline.secrets)
        lines += [f"  {secret.name.ljust(width)}  {secret.description}" for secret in pipeline.secrets]
    if any(job.manual for job in pipeline.jobs):
        lines += ["", *paragraph(approval)]
    return lines
