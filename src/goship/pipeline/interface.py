"""The types the pipeline's stages, runner and report share.

A run is planned first (``PipelinePlan``: the stages, the version, the environment, the
tags and repositories a push will use), from the Config and what the CLI resolved
(``PipelineInputs``: the policy, the scan settings, the decrypted signing key, the deployer).
Each stage is a function of a ``StageContext`` that returns a ``StageOutcome``; what it
prints and writes goes to its ``StageLog``, so a failing stage's output can be shown, and
what it hands to later stages goes into the ``RunState``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from goship.errors import ExitCode, GoshipError

if TYPE_CHECKING:
    from goship.config import Config
    from goship.image.project import BuildPlan, BuiltImage
    from goship.policy.interface import Finding, PolicySettings
    from goship.progress import Reporter
    from goship.release.settings import Environment
    from goship.supply.scan.interface import ScanSettings
    from goship.supply.signing.keys import PrivateKey
    from goship.toolchain.network import DownloadOptions

REPORTS_DIR = Path(".goship") / "reports"  # under the module root; CI systems upload from here
Status = Literal["ok", "failed", "not run"]


class TestsFailedError(GoshipError):
    """A Go test failed or did not build, or the coverage is below the configured minimum."""

    __test__ = False  # not a pytest test class, whatever its name says
    exit_code = ExitCode.TEST


class VulnerabilitiesFoundError(GoshipError):
    """The built images hold a vulnerability at or above [scan] fail-on that no waiver covers."""

    exit_code = ExitCode.VULNERABLE


@dataclass(frozen=True)
class PushTarget:
    image: str  # the image's name in goship.toml
    repository: str  # registry/repository it is pushed to


@dataclass(frozen=True)
class PipelinePlan:
    stages: tuple[str, ...]  # what this run goes through, in order (cut at --until)
    configured: tuple[str, ...]  # [pipeline] stages
    version: str  # stamped into the binaries and labels
    commit: str  # "" outside git
    environment: Environment | None  # the push and deploy environment; None: none configured
    tags: tuple[str, ...]  # the tags the images get in the layout and in the registry
    targets: tuple[PushTarget, ...]  # empty when the run does not push
    layout: Path  # the OCI layout the build writes
    reports: Path  # .goship/reports under the module root

    def runs(self, stage: str) -> bool:
        return stage in self.stages


@dataclass(frozen=True)
class PushedImage:
    name: str
    repository: str
    digest: str
    tags: tuple[str, ...]

    @property
    def reference(self) -> str:
        return f"{self.repository}@{self.digest}"


class Deployer(Protocol):
    """Takes a pushed image live in an environment, by digest (goship.deploy)."""

    def deploy(self, image: PushedImage, environment: str, reporter: Reporter) -> str:
        """Roll ``image`` out; a line saying what runs now. A GoshipError when it fails."""


@dataclass(frozen=True)
class PipelineInputs:
    """What the CLI resolves for a run: what needs the environment or a terminal."""

    config: Config
    policy: PolicySettings  # as `goship lint` finds it
    scan: ScanSettings  # [scan] with GOSHIP_VULNDB and --offline over it
    today: date
    tool_version: str = ""
    download: DownloadOptions | None = None  # how to reach the vulnerability database
    signing_key: PrivateKey | None = None  # decrypted before the first stage runs
    deployer: Deployer | None = None


class StageLog:
    """What one stage printed and wrote. It is also the Reporter the stage's library calls
    report progress to: the lines are kept, and passed on to ``live`` (the CLI shows them
    with -v)."""

    def __init__(self, live: Reporter | None = None) -> None:
        self._live = live
        self._lines: list[str] = []
        self.artifacts: dict[str, str] = {}  # kind -> path ("junit" -> ".goship/reports/junit.xml")

    def step(self, message: str) -> None:
        self._lines.append(message)
        if self._live is not None:
            self._live.step(message)

    def transfer(self, task: str, done: int, total: int) -> None:
        if self._live is not None:
            self._live.transfer(task, done, total)

    def count(self, task: str, done: int, total: int) -> None:
        if self._live is not None:
            self._live.count(task, done, total)

    def debug(self, message: str) -> None:
        if self._live is not None:
            self._live.debug(message)

    def write(self, text: str) -> None:
        """A block of output: a report, the output of failing tests."""
        if text.strip():
            self._lines.append(text.rstrip("\n"))

    def artifact(self, kind: str, path: Path) -> None:
        self.artifacts[kind] = str(path)

    @property
    def output(self) -> str:
        return "\n".join(self._lines) + ("\n" if self._lines else "")


@dataclass
class RunState:
    """What stages hand to later stages. Mutable on purpose: it fills up as the run goes."""

    build_plan: BuildPlan | None = None
    built: list[BuiltImage] = field(default_factory=list)
    dockerfile_findings: list[Finding] = field(default_factory=list)
    pushed: list[PushedImage] = field(default_factory=list)


@dataclass(frozen=True)
class StageContext:
    plan: PipelinePlan
    inputs: PipelineInputs
    state: RunState
    log: StageLog

    @property
    def config(self) -> Config:
        return self.inputs.config


@dataclass(frozen=True)
class StageOutcome:
    summary: str  # one line: "12 tests passed, coverage 71.4%"
    details: Mapping[str, Any] = field(default_factory=dict)  # for the JSON report


@dataclass(frozen=True)
class StageResult:
    name: str
    status: Status
    seconds: float = 0.0
    summary: str = ""
    exit_code: int = 0
    output: str = ""
    artifacts: Mapping[str, str] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)
    hint: str = ""  # a failure's hint


@dataclass(frozen=True)
class PipelineReport:
    plan: PipelinePlan
    results: tuple[StageResult, ...]
    pushed: tuple[PushedImage, ...] = ()

    @property
    def failed(self) -> StageResult | None:
        return next((result for result in self.results if result.status == "failed"), None)

    @property
    def exit_code(self) -> int:
        failed = self.failed
        return failed.exit_code if failed is not None else int(ExitCode.OK)

    @property
    def artifacts(self) -> dict[str, str]:
        collected: dict[str, str] = {}
        for result in self.results:
            collected.update(result.artifacts)
        return collected
