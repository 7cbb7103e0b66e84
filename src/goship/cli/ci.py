"""`goship ci init --github|--gitlab|--drone`: write the CI/CD pipeline file that runs
`goship pipeline` (goship.pipeline.ci does the work); `goship ci summary`: a JUnit report as
Markdown for a CI job's summary page.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

SUMMARY = "write the CI/CD pipeline file for GitHub Actions, GitLab CI or Drone"


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    ci = commands.add_parser(
        "ci", parents=[common], help=SUMMARY,
        description="Write the CI/CD pipeline for this project once, for the CI system in use: it "
                    "installs goship and the pinned Go, caches the Go module and build caches, runs "
                    "`goship pipeline`, pushes on the default branch and on release tags, deploys to "
                    "staging and, after an approval, to production. See docs/ci.md.")
    actions = ci.add_subparsers(dest="ci_command", metavar="ACTION", required=True)
    init = actions.add_parser(
        "init", parents=[common], help="write .github/workflows/goship.yml, .gitlab-ci.yml or .drone.yml",
        description="Write the pipeline file of one CI system from goship.toml and the project's Go "
                    "version. A file that exists and differs is not replaced without --force; the "
                    "diff is shown, so running it again tells whether the file is up to date.",
        epilog="Exit code 2: the file exists and differs (the diff is on stdout), or an unknown "
               "environment; 3: no goship.toml, or no Go version pinned; 4: an image whose package "
               "is not a main package. See docs/ci.md.")
    system = init.add_mutually_exclusive_group(required=True)
    system.add_argument("--github", dest="system", action="store_const", const="github",
                        help="GitHub Actions: .github/workflows/goship.yml")
    system.add_argument("--gitlab", dest="system", action="store_const", const="gitlab",
                        help="GitLab CI/CD: .gitlab-ci.yml")
    system.add_argument("--drone", dest="system", action="store_const", const="drone",
                        help="Drone: .drone.yml")
    init.add_argument("--force", action="store_true", help="replace a file that differs")
    init.add_argument("--stdout", action="store_true", help="print the file instead of writing it")
    init.add_argument("--default-branch", default=None, metavar="BRANCH",
                      help="the branch that deploys to staging (default: origin's HEAD, else main or master)")
    init.add_argument("--staging", default=None, metavar="ENV",
                      help="the environment the default branch deploys to (default: `staging`, else the "
                           "one whose branches match the default branch)")
    init.add_argument("--production", default=None, metavar="ENV",
                      help="the environment release tags deploy to, after approval (default: "
                           "`production`, else `prod`)")
    init.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    summary = actions.add_parser(
        "summary", parents=[common], help="a JUnit XML report as Markdown, for a CI job's summary page",
        description="Print the totals, a row per package and the output of each failed test of "
                    "the JUnit report `goship pipeline` writes (GitHub: append it to "
                    "$GITHUB_STEP_SUMMARY).")
    summary.add_argument("report", nargs="?", default=".goship/reports/junit.xml",
                         help="the JUnit XML file (default: .goship/reports/junit.xml)")


def run_ci(args: argparse.Namespace) -> int:
    if args.ci_command == "summary":
        from goship.pipeline.ci.summary import junit_summary

        sys.stdout.write(junit_summary(Path(args.report)))
        return 0
    return _init(args)


# Only these reach load_config: the CI file follows the project's files, not this shell's
# GOSHIP_* settings (GOSHIP_GO, GOSHIP_REPOSITORY, ...), which a CI machine does not have.
_KEPT = ("HOME", "USERPROFILE", "LOCALAPPDATA", "XDG_DATA_HOME", "XDG_CACHE_HOME", "GOSHIP_HOME",
         "GOSHIP_CACHE", "PATH")


def _init(args: argparse.Namespace) -> int:
    from goship import __version__
    from goship.config import Options, load_config
    from goship.errors import BuildError
    from goship.image.project import module_root
    from goship.pipeline.ci import render_file
    from goship.pipeline.ci.inputs import Choices, describe_pipeline
    from goship.pipeline.ci.writer import OverwriteRefusedError, Status, compare, write

    module_dir = module_root(Path.cwd())
    if not (module_dir / "go.mod").is_file():
        raise BuildError(f"no go.mod in {Path.cwd()} or above",
                         "run goship ci init in a Go module (create one with `go mod init`)")
    config = load_config(module_dir, Options(), {key: value for key, value in args.environ.items()
                                                 if key in _KEPT})
    choices = Choices(args.default_branch, args.staging, args.production)
    pipeline = describe_pipeline(config, goship_version=__version__, choices=choices, env=args.environ)
    relative, text = render_file(args.system, pipeline)
    if args.stdout:
        sys.stdout.write(text)
        _notes(pipeline.notes)
        return 0
    root = _repository_root(module_dir, pipeline.workdir)
    change = compare(root / relative, text, shown=relative)
    command = f"goship ci init --{args.system}"
    try:
        write(change, force=args.force, command=command)
    except OverwriteRefusedError as refused:
        if args.json:
            json.dump({"system": args.system, "path": str(change.path), "status": "refused",
                       "diff": refused.diff}, sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            sys.stdout.write(refused.diff)
        raise
    if args.json:
        json.dump({"system": args.system, "path": str(change.path), "status": change.status.value,
                   "services": [{"name": service.name, "package": service.package}
                                for service in pipeline.services],
                   "go": pipeline.go.install, "default_branch": pipeline.default_branch,
                   "jobs": [{"name": job.name, "trigger": job.trigger.name.lower(),
                             "command": pipeline.command(job), "manual": job.manual,
                             "secrets": [secret.name for secret in job.secrets]}
                            for job in pipeline.jobs],
                   "secrets": [secret.name for secret in pipeline.secrets],
                   "notes": list(pipeline.notes)}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif change.status is Status.UNCHANGED:
        print(f"{relative} is up to date", file=sys.stderr)
    else:
        verb = "replaced" if change.status is Status.CHANGED else "wrote"
        jobs = ", ".join(job.name for job in pipeline.jobs)
        services = ", ".join(service.name for service in pipeline.services)
        print(f"{verb} {relative}: jobs {jobs}; services {services}; Go {pipeline.go.install}",
              file=sys.stderr)
        names = ", ".join(secret.name for secret in pipeline.secrets)
        if names:
            print(f"hint: add the secrets {names} to the CI system (docs/ci.md)", file=sys.stderr)
    if not args.json:
        _notes(pipeline.notes)
    return 0


def _repository_root(module_dir: Path, workdir: str) -> Path:
    """The repository root: the module directory, ``workdir`` levels up."""
    root = module_dir
    for _ in Path(workdir).parts if workdir != "." else ():
        root = root.parent
    return root


def _notes(notes: tuple[str, ...]) -> None:
    for note in notes:
        print(f"goship: note: {note}", file=sys.stderr)
