"""`goship pipeline`: run the stages goship.toml's [pipeline] lists (test, lint, build, sbom,
scan, push, sign, deploy) in order, with a line per stage on stderr, stopping at the first
failure with that stage's output and exit code, and a final table (or --json) on stdout.

The library (goship.pipeline) plans and runs; this module resolves what needs the
environment or a terminal (the policy file, the scan settings with GOSHIP_VULNDB, the
signing key's password, the deployer) and prints.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from goship.cli.registry_options import add_registry_options
from goship.errors import ExitCode, GoshipError, UsageError

if TYPE_CHECKING:
    from goship.config import Config
    from goship.pipeline.interface import (
        PipelineInputs,
        PipelinePlan,
        PipelineReport,
        PushedImage,
        StageResult,
    )
    from goship.progress import Reporter

SUMMARY = "run the pipeline's stages: test, lint, build, sbom, scan, push, sign, deploy"


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    pipeline = commands.add_parser(
        "pipeline", parents=[common], help=SUMMARY,
        description="Run the stages goship.toml lists ([pipeline] stages), always in this order: "
                    "test (go test with coverage, -race where cgo allows it, a JUnit report), lint "
                    "(Dockerfiles, then the built images), build (into the local OCI layout), sbom, "
                    "scan, push, sign (after push: signatures are stored by digest in the registry), "
                    "deploy. The run stops at the first stage that fails, shows its output and exits "
                    "with its code; nothing is pushed before every earlier stage has passed. Reports "
                    "go to .goship/reports (junit.xml, lint.sarif, scan.sarif, sbom-NAME.cdx.json).",
        epilog="Exit code: the failing stage's (13 a test or the coverage gate, 9 lint, 12 scan, 3 a "
               "missing setting, ...); see docs/pipeline.md and docs/exit-codes.md.")
    pipeline.add_argument("packages", nargs="*", metavar="PACKAGE",
                          help="only the images of these main packages (default: every [[images]] of "
                               "goship.toml): one CI job per service; the test stage still runs "
                               "[pipeline.test] packages")
    pipeline.add_argument("--until", default=None, metavar="STAGE",
                          help="stop after this stage (e.g. --until scan for a pull request)")
    pipeline.add_argument("--env", default=None, metavar="NAME",
                          help="the environment ([environments.NAME]) whose repository and tags push "
                               "uses and deploy deploys to (default: the one matching the branch)")
    pipeline.add_argument("--json", action="store_true", help="the report as JSON on stdout")
    pipeline.add_argument("--offline", action="store_true",
                          help="never download: Go must be installed, the vulnerability database cached")
    add_registry_options(pipeline)


def run_pipeline(args: argparse.Namespace) -> int:
    from goship.config import Options, load_config
    from goship.image.project import module_root
    from goship.pipeline.plan import check_stage, plan_pipeline
    from goship.pipeline.runner import run_pipeline as run

    if args.until is not None:
        check_stage(args.until)
    env = dict(args.environ)
    module_dir = module_root(Path.cwd())
    options = Options(packages=tuple(args.packages), insecure_registries=tuple(args.insecure),
                      ca_file=args.ca_file, offline=args.offline)
    config = load_config(module_dir, options, env)
    plan = plan_pipeline(config, until=args.until, environment=args.env)
    inputs = _inputs(args, config, plan)
    _announce(plan, sys.stderr)
    from goship.cli.output import ConsoleReporter

    live = ConsoleReporter(verbose=True) if args.verbose else None
    try:
        report = run(plan, inputs, observer=_ConsoleObserver(sys.stderr), live=live)
    finally:
        if live is not None:
            live.close()
    _print(report, as_json=args.json)
    return report.exit_code


def _inputs(args: argparse.Namespace, config: Config, plan: PipelinePlan) -> PipelineInputs:
    from goship import __version__
    from goship.config_policy import find_policy
    from goship.config_scan import download_options, resolve_scan_settings
    from goship.pipeline.interface import PipelineInputs

    env: Mapping[str, str] = args.environ
    module_dir = config.module_dir
    signing_key = None
    if plan.runs("sign"):
        from goship.cli.keygen import read_password
        from goship.supply.signing.keys import read_private_key_file

        key = config.pipeline.sign.key
        assert key is not None  # plan_pipeline refuses a run that signs without one
        signing_key = read_private_key_file(Path(key)).decrypt(read_password(env, key))
    return PipelineInputs(
        config=config,
        policy=find_policy(module_dir),
        scan=resolve_scan_settings(module_dir, env, offline=args.offline),
        today=date.today(),
        tool_version=__version__,
        download=download_options(env, config.ca_file),
        signing_key=signing_key,
        deployer=_CommandDeployer(env, module_dir, _registry_arguments(args))
        if plan.runs("deploy") else None,
    )


def _registry_arguments(args: argparse.Namespace) -> list[str]:
    words = [f"--insecure-registry={host}" for host in args.insecure]
    return words + ([f"--ca-file={Path(args.ca_file).resolve()}"] if args.ca_file else [])


class _CommandDeployer:
    """Deploys through `goship deploy REF --env ENV` in the module directory, as a user would
    run it: the environment's gates (signature, scan), its deploy-time secrets, its cluster
    and strategy are the command's, and so are its messages and exit code."""

    def __init__(self, environ: Mapping[str, str], module_dir: Path, options: list[str]) -> None:
        from goship.cli.main import _COMMANDS

        if "deploy" not in _COMMANDS:
            raise UsageError("the deploy stage needs `goship deploy`, which this goship does not have",
                             "remove deploy from [pipeline] stages, or stop before it with --until sign")
        self._environ = dict(environ)
        self._module_dir = module_dir
        self._options = options

    def deploy(self, image: PushedImage, environment: str, reporter: Reporter) -> str:
        command = [sys.executable, "-m", "goship.cli.main", "deploy", image.reference, "--env", environment,
                   *self._options]
        result = subprocess.run(command, cwd=self._module_dir, env=self._environ, capture_output=True,
                                text=True, check=False)
        for line in (result.stderr + result.stdout).splitlines():
            if line.strip():
                reporter.step(line)
        if result.returncode != 0:
            said = {key: line.removeprefix(key + ": ") for line in result.stderr.splitlines()
                    for key in ("goship: error", "hint") if line.startswith(key + ": ")}
            error = GoshipError(f"goship deploy {image.reference} --env {environment}: "
                                + said.get("goship: error", f"exit code {result.returncode}"),
                                (said["hint"] + "; " if "hint" in said else "")
                                + "the image stays in the registry: deploy it again with goship deploy")
            try:
                error.exit_code = ExitCode(result.returncode)
            except ValueError:
                error.exit_code = ExitCode.INTERNAL
            raise error
        deployed = [line.removeprefix("goship: ") for line in result.stderr.splitlines()
                    if line.startswith("goship: deployed ")]
        return deployed[-1] if deployed else f"deployed {image.reference}"


def _announce(plan: PipelinePlan, stream: TextIO) -> None:
    facts = [f"version {plan.version}"]
    if plan.environment is not None:
        facts.append(f"environment {plan.environment.name}")
    if plan.runs("push"):
        facts.append("tags " + ", ".join(plan.tags))
    print(f"goship pipeline: {', '.join(plan.stages)} ({'; '.join(facts)})", file=stream, flush=True)


class _ConsoleObserver:
    """A line as each stage starts and one as it ends: name, result, time, summary."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def started(self, stage: str, number: int, total: int) -> None:
        print(f"[{number}/{total}] {stage} ...", file=self._stream, flush=True)

    def finished(self, result: StageResult, number: int, total: int) -> None:
        from goship.pipeline.report import stage_line

        print(f"[{number}/{total}] {stage_line(result)}", file=self._stream, flush=True)


def _print(report: PipelineReport, *, as_json: bool) -> None:
    from goship.pipeline.report import render_table, report_json

    failed = report.failed
    if failed is not None and failed.output:
        sys.stderr.write(f"\n--- output of the {failed.name} stage ---\n{failed.output}---\n\n")
        sys.stderr.flush()
    if as_json:
        json.dump(report_json(report), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_table(report))
    sys.stdout.flush()
    if failed is not None:
        print(f"goship: error: {failed.name}: {failed.summary}", file=sys.stderr)
        if failed.hint:
            print(f"hint: {failed.hint}", file=sys.stderr)
