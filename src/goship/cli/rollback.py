"""`goship rollback --env ENV [--to-revision N]`: back to the previous release.

Rolling and canary: the Deployment gets the pod template of the previous revision (or of
revision N) back, as `kubectl rollout undo` does, and goship waits for it; a canary still
running is scaled to 0 instead. Blue-green: the Service switches back to the other slot
(scaled up first when it was already scaled down). `--list` shows the revisions.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from goship.cli.deploy import add_cluster_options, environment_settings, open_cluster, rollout_options
from goship.errors import ExitCode, UsageError


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    rollback = commands.add_parser(
        "rollback", parents=[common], help="go back to the previous release of an environment",
        description="Roll an environment back: rolling and canary Deployments get the pod template of "
                    "the previous revision (or --to-revision N) back, as `kubectl rollout undo` does; a "
                    "canary under way is scaled to 0; blue-green switches the Service to the other slot.",
        epilog="Exit code 14: the cluster cannot be reached or refused, there is nothing to roll back "
               "to, or the rollback did not complete (docs/exit-codes.md, docs/deploy.md).")
    rollback.add_argument("--env", dest="environment", required=True, metavar="ENV",
                          help="the environment ([environments.ENV.deploy] in goship.toml)")
    rollback.add_argument("--to-revision", type=int, default=0, metavar="N",
                          help="the revision to go back to (default: the previous one; see --list)")
    rollback.add_argument("--list", action="store_true", help="list the revisions and change nothing")
    rollback.add_argument("--timeout", default=None, metavar="DURATION",
                          help="how long the rollback may take (default: the environment's timeout)")
    rollback.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    add_cluster_options(rollback)


def run_rollback(args: argparse.Namespace) -> int:
    from goship.cli.output import ConsoleReporter
    from goship.deploy.rollout import RenderedManifests, housekeeping, rollback

    if args.to_revision < 0:
        raise UsageError(f"--to-revision {args.to_revision} is not a revision",
                         "give a revision number (1, 2, ...)")
    settings = environment_settings(args.environment)
    options = rollout_options(args, settings)
    manifests = RenderedManifests(settings)
    reporter = ConsoleReporter(verbose=args.verbose, quiet=args.json)
    try:
        with open_cluster(args, settings) as cluster:
            if args.list:
                return _list(args, cluster, settings.name)
            retired = housekeeping(cluster, manifests, settings, options, reporter)
            result = rollback(cluster, manifests, settings, options, reporter, to_revision=args.to_revision)
    finally:
        reporter.close()
    if args.json:
        document = result.to_json()
        document["retired"] = retired
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return ExitCode.OK
    print(result.image)
    for line in (retired, *result.notes):
        if line:
            print(f"note: {line}", file=sys.stderr)
    revision = f" revision {result.revision}" if result.revision else ""
    what = "already ran" if result.unchanged else "now runs"
    print(f"goship: rolled back {result.environment}: Deployment {result.namespace}/{result.deployment}"
          f"{revision} {what} {result.digest or result.image}", file=sys.stderr)
    return ExitCode.OK


def _list(args: argparse.Namespace, cluster: Any, name: str) -> int:
    from goship.deploy.kube import DeployError
    from goship.deploy.rollout import revisions
    from goship.deploy.rollout.objects import revision_number

    live = cluster.get("Deployment", name)
    if live is None:
        raise DeployError(f"there is no Deployment {cluster.namespace}/{name}", "deploy first")
    history = revisions(cluster, live, name)
    current = revision_number(live)
    if args.json:
        json.dump({"deployment": name, "namespace": cluster.namespace, "current": current,
                   "revisions": [item.to_json() for item in history]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return ExitCode.OK
    print(f"{'REVISION':<9} {'VERSION':<14} {'PODS':<5} IMAGE")
    for item in history:
        marker = "*" if item.number == current else " "
        print(f"{item.number:<8}{marker} {item.version or '-':<14} {item.replicas:<5} {item.image}")
    return ExitCode.OK
