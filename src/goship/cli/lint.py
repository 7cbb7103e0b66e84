"""`goship lint`: check Dockerfiles and images against the image standard and report findings.

The policy comes from --policy-file, .goship-policy.toml or goship.toml [policy]
(goship.config_policy); the rules from goship.policy; this module wires the options to them,
writes the report to stdout or --output, and turns the worst finding into the exit code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from goship.cli.registry_options import add_registry_options
from goship.errors import ExitCode, UsageError
from goship.policy.interface import Finding, PolicySettings, Severity, apply, worst
from goship.policy.reporters import FORMATS

FAIL_ON = ("error", "warning", "info", "never")


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    lint = commands.add_parser(
        "lint", parents=[common], help="check Dockerfiles and images against the image standard",
        description="Check Dockerfiles and built images against the image standard (the rules "
                    "are listed in docs/rules.md). The policy comes from "
                    "--policy-file, else .goship-policy.toml in this directory or a parent up to "
                    "the git root, else the [policy] table of goship.toml.",
        epilog="Exit code 9 means a finding at or above --fail-on (docs/exit-codes.md).")
    lint.add_argument("dockerfiles", nargs="*", metavar="DOCKERFILE",
                      help="Dockerfiles to check (default: ./Dockerfile when there is no --image)")
    lint.add_argument("--image", dest="images", action="append", default=[],
                      metavar="REF|oci:DIR|tarball:FILE",
                      help="an image to check: a registry reference, an OCI layout directory "
                           "or a docker-archive tarball (repeatable)")
    lint.add_argument("--format", choices=FORMATS, default="text",
                      help="text (default), json, sarif (GitHub code scanning) or gitlab (Code Quality)")
    lint.add_argument("--output", "-o", default=None, metavar="FILE",
                      help="write the report to FILE instead of stdout")
    lint.add_argument("--fail-on", choices=FAIL_ON, default="error",
                      help="exit with code 9 when a finding is this severe or worse (default: error)")
    lint.add_argument("--policy-file", default=None, metavar="FILE",
                      help="a .goship-policy.toml (or goship.toml) to use instead of looking for one")
    lint.add_argument("--build-arg", dest="build_args", action="append", default=[],
                      metavar="KEY[=VALUE]",
                      help="an ARG value for FROM lines (repeatable; KEY alone takes it from the "
                           "environment, as docker build does)")
    add_registry_options(lint)


def run_lint(args: argparse.Namespace) -> int:
    environ: Mapping[str, str] = args.environ
    working_dir = Path.cwd()
    dockerfiles = _dockerfiles(args.dockerfiles, has_images=bool(args.images), working_dir=working_dir)
    build_args = _build_args(args.build_args, environ)
    policy_file = Path(args.policy_file) if args.policy_file else None
    from goship.config_policy import find_policy
    from goship.policy.catalog import all_rules

    settings = find_policy(working_dir, policy_file=policy_file)
    rules = all_rules()  # once for every file and image, and for the report
    findings: list[Finding] = []
    if dockerfiles:
        from goship.policy.dockerfile_rules import lint_dockerfile

        for display in dockerfiles:
            findings.extend(lint_dockerfile(working_dir / display, settings, display=display,
                                            build_args=build_args))
    if args.images:
        findings.extend(_lint_images(args, settings))
    findings = apply(findings, settings)

    from goship import __version__
    from goship.cli.output import write_report
    from goship.policy.reporters import ReportOptions, render

    options = ReportOptions(
        color=args.format == "text" and args.output is None and sys.stdout.isatty()
        and not environ.get("NO_COLOR"),
        tool_version=__version__,
        source_root=_repository_root(working_dir),
        working_dir=working_dir,
        files=len(dockerfiles),
        images=len(args.images),
    )
    write_report(render(args.format, findings, rules, options), args.output, "the report")
    if args.output is not None:
        print(f"goship: wrote {_findings(len(findings))} to {args.output}", file=sys.stderr)
    return _exit_code(findings, args.fail_on)


def _dockerfiles(given: Sequence[str], *, has_images: bool, working_dir: Path) -> list[str]:
    """The Dockerfiles as the user named them (the reports show these names)."""
    if not given and not has_images:
        if not (working_dir / "Dockerfile").is_file():
            raise UsageError(f"nothing to lint: no Dockerfile in {working_dir} and no --image",
                             "name Dockerfiles (goship lint path/to/Dockerfile) or images "
                             "(--image REF, --image oci:DIR, --image tarball:FILE)")
        return ["Dockerfile"]
    for name in given:
        if not (working_dir / name).is_file():
            raise UsageError(f"Dockerfile {name} does not exist or is not a file",
                             "check the path (relative to the current directory)")
    return list(dict.fromkeys(given))


def _build_args(given: Sequence[str], environ: Mapping[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in given:
        key, has_value, value = item.partition("=")
        if not key or not key.replace("_", "a").isalnum():
            raise UsageError(f"--build-arg '{item}' is not KEY=VALUE",
                             "write e.g. --build-arg GO_VERSION=1.22")
        if has_value:
            values[key] = value
        elif key in environ:  # like docker build: KEY alone passes the variable through
            values[key] = environ[key]
    return values


def _lint_images(args: argparse.Namespace, settings: PolicySettings) -> list[Finding]:
    from goship.cli.output import ConsoleReporter
    from goship.cli.registry_options import registry_access
    from goship.policy.image_rules import lint_image

    sources = list(dict.fromkeys(args.images))
    # GOSHIP_REGISTRY_USERNAME/PASSWORD go to the registries of the images named, and no other.
    remote = [source for source in sources
              if not source.startswith(("oci:", "tarball:", "docker-archive:", "oci-archive:"))]
    access = registry_access(args, remote)
    reporter = ConsoleReporter(verbose=args.verbose)
    findings: list[Finding] = []
    try:
        for source in sources:
            findings.extend(lint_image(source, settings, access=access, reporter=reporter))
    finally:
        reporter.close()
    return findings


def _repository_root(working_dir: Path) -> Path:
    """The git work tree holding ``working_dir`` (SARIF and GitLab paths are relative to
    it, as code scanning and merge requests expect), else ``working_dir`` itself."""
    for directory in (working_dir, *working_dir.parents):
        if (directory / ".git").exists():
            return directory
    return working_dir


def _findings(count: int) -> str:
    return "1 finding" if count == 1 else f"{count} findings"


def _exit_code(findings: Sequence[Finding], fail_on: str) -> int:
    if fail_on == "never":
        return ExitCode.OK
    threshold = Severity.from_name(fail_on)
    failing = [finding for finding in findings if finding.severity >= threshold]
    if not failing:
        return ExitCode.OK
    worst_seen = worst(failing)
    label = worst_seen.label if worst_seen is not None else fail_on
    print(f"goship: {_findings(len(failing))} at or above {fail_on} (worst: {label}); "
          f"exit code {int(ExitCode.POLICY)}", file=sys.stderr)
    return ExitCode.POLICY
