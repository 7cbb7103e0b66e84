"""`goship deploy REF --env ENV`: roll an image out to a Kubernetes environment, by digest.

The environment's settings come from goship.toml (``[deploy]`` with
``[environments.ENV.deploy]`` over it: goship.config_deploy), the objects from
goship.deploy.render, the rollout from goship.deploy.rollout, the cluster from the kubeconfig
(KUBECONFIG or ~/.kube/config; the environment's ``context``, else the current one). A tag is
resolved to its digest in the registry first, and the user is told. The signature and scan
gates of the environment run before anything is applied.

The cluster options and the settings lookup here are shared with `goship rollback` and
`goship status`.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goship.cli.registry_options import add_registry_options, parse_reference, registry_access
from goship.errors import ExitCode, ImageError, UsageError

if TYPE_CHECKING:
    from goship.cli.output import ConsoleReporter
    from goship.deploy.kube import Cluster
    from goship.deploy.rollout import Image, RolloutOptions, RolloutResult
    from goship.deploy.settings import DeploySettings

STRATEGIES = ("rolling", "blue-green", "canary")


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kubeconfig", default=None, metavar="FILE",
                        help="the kubeconfig to use (default: KUBECONFIG, else ~/.kube/config)")
    parser.add_argument("--context", default=None,
                        help="the kubeconfig context (default: the environment's `context`, else the "
                             "current context)")
    parser.add_argument("--interval", type=float, default=2.0, metavar="SECONDS",
                        help="how often the rollout state is read (default 2)")


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    deploy = commands.add_parser(
        "deploy", parents=[common], help="roll an image out to a Kubernetes environment by digest",
        description="Apply the environment's objects (rendered from goship.toml, as `goship manifests` "
                    "shows them) with server-side apply (field manager goship) and roll the image out "
                    "with the environment's strategy: rolling, blue-green or canary. Every gate that "
                    "fails (readiness, progress deadline, timeout, smoke checks, health during a pause) "
                    "rolls back and exits non-zero, saying what failed.",
        epilog="Exit code 14: the cluster cannot be reached or refused a request, or the rollout "
               "failed (and was rolled back); 11: require-signature and no signature verifies; 12: "
               "the scan gate found vulnerabilities (docs/exit-codes.md, docs/deploy.md).")
    deploy.add_argument("reference", metavar="REF",
                        help="the image: REGISTRY/REPO@sha256:... (or a tag, resolved to its digest)")
    deploy.add_argument("--env", dest="environment", required=True, metavar="ENV",
                        help="the environment ([environments.ENV.deploy] in goship.toml)")
    deploy.add_argument("--strategy", choices=STRATEGIES, default=None,
                        help="override the environment's strategy")
    deploy.add_argument("--timeout", default=None, metavar="DURATION",
                        help="how long each wait for the rollout may take, e.g. 90s or 5m (default: the "
                             "environment's timeout)")
    deploy.add_argument("--force-conflicts", action="store_true",
                        help="take over fields another field manager (kubectl edit, another tool) owns")
    deploy.add_argument("--wait-old", action="store_true",
                        help="blue-green: watch the new slot for keep-old, then scale the old slot down "
                             "(switching back if the new slot fails)")
    deploy.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    add_cluster_options(deploy)
    add_registry_options(deploy)


# Shared with `goship rollback` and `goship status` ------------------------------------------------


def environment_settings(environment: str) -> DeploySettings:
    """The deploy settings of ``environment`` from the goship.toml here (UsageError when the
    environment is not configured)."""
    from goship.config_deploy import deploy_settings

    return deploy_settings(Path.cwd(), environment)


def open_cluster(args: argparse.Namespace, settings: DeploySettings) -> Cluster:
    from goship.deploy.kube import connect, default_kubeconfig_paths

    if args.kubeconfig:
        paths = [Path(args.kubeconfig)]
    else:
        home = Path(args.environ["HOME"]) if args.environ.get("HOME") else Path.home()
        paths = default_kubeconfig_paths(args.environ, home)
    return connect(paths, settings.namespace, args.context or settings.context)


def rollout_options(args: argparse.Namespace, settings: DeploySettings, *, force_conflicts: bool = False,
                    wait_old: bool = False) -> RolloutOptions:
    from goship.deploy.rollout import RolloutOptions

    if args.interval <= 0:
        raise UsageError(f"--interval {args.interval:g} is not a positive number of seconds", "give e.g. 2")
    timeout = settings.timeout
    if getattr(args, "timeout", None):
        from goship.config_tables import parse_duration

        try:
            timeout = float(args.timeout) if args.timeout.replace(".", "", 1).isdigit() else \
                parse_duration(args.timeout)
        except ValueError:
            raise UsageError(f"--timeout {args.timeout} is not a duration",
                             "write e.g. 90s, 5m or 300") from None
        if timeout <= 0:
            raise UsageError(f"--timeout {args.timeout} is not positive", "write e.g. 90s, 5m or 300")
    return RolloutOptions(timeout=timeout, interval=args.interval, force_conflicts=force_conflicts,
                          wait_old=wait_old)


# `goship deploy` ----------------------------------------------------------------------------------


def resolve_image(args: argparse.Namespace) -> Image:
    """REF as a digest reference; a tag is looked up in the registry (and the user told)."""
    from goship.deploy.rollout import Image

    reference = parse_reference(args.reference, "REF")
    if reference.digest is not None:
        return Image(str(reference), str(reference.digest))
    access = registry_access(args, [reference])
    with access.client() as client:
        found = client.head_manifest(reference)
    if found is None:
        raise ImageError(f"image {reference} not found", "check the repository and tag, or deploy by digest")
    resolved = reference.with_digest(found[1])
    print(f"goship: {reference} is {found[1]}; deploying {resolved.name}@{found[1]} by digest",
          file=sys.stderr)
    return Image(str(resolved), str(found[1]), resolved_from=str(reference))


def run_gates(args: argparse.Namespace, settings: DeploySettings, image: Image,
              reporter: ConsoleReporter) -> list[str]:
    """The environment's signature and scan gates; their notes."""
    notes: list[str] = []
    if not settings.require_signature and not settings.scan_fail_on:
        return notes
    from goship.deploy.rollout.preflight import require_scan, require_signature
    from goship.oci.digest import Digest

    reference = parse_reference(image.reference, "REF")
    access = registry_access(args, [reference])
    if settings.require_signature:
        from goship.supply.signing import load_public_key

        keys = [load_public_key(Path(path)) for path in settings.require_signature]
        reporter.step(f"verifying the signatures of {image.digest}")
        with access.client() as client:
            notes.append(require_signature(client, reference, Digest.parse(image.digest), keys))
    if settings.scan_fail_on:
        from goship.config_scan import download_options, resolve_scan_settings
        from goship.gobinary.subject import find_go_binaries
        from goship.paths import cache_dir
        from goship.supply.scan.database import open_database

        reporter.step(f"scanning {image.digest} for vulnerabilities (fail on {settings.scan_fail_on})")
        scan_settings = resolve_scan_settings(Path.cwd(), args.environ)
        ca_file = Path(args.ca_file) if args.ca_file else None
        database = open_database(scan_settings, cache_dir=cache_dir(args.environ),
                                 download=download_options(args.environ, ca_file), reporter=reporter)
        subjects = find_go_binaries(image.reference, access=access)
        notes.append(require_scan(subjects, database, scan_settings, settings.scan_fail_on, date.today()))
    return notes


def run_deploy(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from goship.cli.output import ConsoleReporter
    from goship.deploy.render import secret_checksum
    from goship.deploy.rollout import RenderedManifests, deploy
    from goship.deploy.rollout.secretvalues import read_secret_values

    settings = environment_settings(args.environment)
    if args.strategy:
        settings = replace(settings, strategy=args.strategy)
    options = rollout_options(args, settings, force_conflicts=args.force_conflicts, wait_old=args.wait_old)
    if args.wait_old and settings.strategy != "blue-green":
        raise UsageError("--wait-old applies to the blue-green strategy only",
                         "leave it out, or deploy with --strategy blue-green")
    image = resolve_image(args)
    secret_values = read_secret_values(settings.secrets, args.environ)
    reporter = ConsoleReporter(verbose=args.verbose, quiet=args.json)
    try:
        notes = run_gates(args, settings, image, reporter)
        manifests = RenderedManifests(settings, secret_checksum=secret_checksum(secret_values)
                                      if secret_values else "")
        with open_cluster(args, settings) as cluster:
            reporter.step(f"deploying {image.digest} to {settings.environment} ({settings.strategy}, "
                          f"namespace {cluster.namespace}, context {cluster.context})")
            result = deploy(cluster, manifests, settings, image, options, reporter,
                            secret_values=secret_values)
    finally:
        reporter.close()
    result = replace(result, notes=(*notes, *result.notes))
    _print(args, result, image)
    return ExitCode.OK


def _print(args: argparse.Namespace, result: RolloutResult, image: Image) -> None:
    if args.json:
        document = result.to_json()
        document["resolved_from"] = image.resolved_from or None
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    print(result.image)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    revision = f" revision {result.revision}" if result.revision else ""
    already = " (it ran already; nothing changed)" if result.unchanged else ""
    print(f"goship: deployed {result.digest} to {result.environment} ({result.strategy}): Deployment "
          f"{result.namespace}/{result.deployment}{revision}{already}", file=sys.stderr)
