"""`goship status --env ENV`: which digest, version and revision run in an environment, and
whether every pod runs the released digest (the kubelet's imageID against the Deployment's
image). Exits 14 when something disagrees. A blue-green slot whose keep-old time has passed
is scaled down first (see docs/deploy.md: there is no daemon to do it)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from goship.cli.deploy import add_cluster_options, environment_settings, open_cluster, rollout_options
from goship.errors import ExitCode


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    status = commands.add_parser(
        "status", parents=[common], help="show which digest, version and revision run in an environment",
        description="For each environment: the Deployment that serves, its image digest, version label "
                    "and revision, ready pods, and whether every pod's container runs the released "
                    "digest (its imageID).",
        epilog="Exit code 14: a pod runs another digest, a canary serves beside the release, nothing is "
               "deployed, or the cluster cannot be reached (docs/exit-codes.md, docs/deploy.md).")
    status.add_argument("--env", dest="environments", action="append", required=True, metavar="ENV",
                        help="the environment (repeatable)")
    status.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    add_cluster_options(status)


def run_status(args: argparse.Namespace) -> int:
    from goship.cli.output import ConsoleReporter
    from goship.deploy.kube import ForbiddenError
    from goship.deploy.rollout import RenderedManifests, environment_status, housekeeping

    reports = []
    reporter = ConsoleReporter(verbose=args.verbose, quiet=args.json)
    try:
        for environment in dict.fromkeys(args.environments):
            settings = environment_settings(environment)
            with open_cluster(args, settings) as cluster:
                try:
                    retired = housekeeping(cluster, RenderedManifests(settings), settings,
                                           rollout_options(args, settings), reporter)
                except ForbiddenError as refused:  # status must work for users who may only read
                    retired = f"an old blue-green slot is due to be scaled down, but not by this user: " \
                              f"{refused.message}"
                reports.append(environment_status(cluster, settings, (retired,) if retired else ()))
    finally:
        reporter.close()
    if args.json:
        json.dump({"environments": [report.to_json() for report in reports],
                   "consistent": all(report.consistent for report in reports)}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for report in reports:
            _show(report)
    failing = [report.environment for report in reports if not report.consistent]
    if failing:
        print(f"goship: {', '.join(failing)}: not every pod runs the released digest (exit code "
              f"{int(ExitCode.DEPLOY)})", file=sys.stderr)
        return ExitCode.DEPLOY
    return ExitCode.OK


def _show(report: Any) -> None:
    print(f"{report.environment} ({report.strategy}, namespace {report.namespace}, context {report.context})")
    if report.deployment:
        matching = sum(1 for pod in report.pods if pod.matches)
        print(f"  deployment  {report.deployment}")
        print(f"  image       {report.image}")
        print(f"  version     {report.version or '-'}")
        print(f"  revision    {report.revision or '-'}")
        print(f"  ready       {report.ready}/{report.desired}")
        print(f"  digest      {matching} of {len(report.pods)} pods run {report.digest or 'no digest'}")
    for problem in report.problems:
        print(f"  problem: {problem}")
    for note in report.notes:
        print(f"  note: {note}")
