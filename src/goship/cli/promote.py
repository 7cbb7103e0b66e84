"""`goship promote REF --to ENV`: copy an image by digest to an environment's repository.

The environment comes from goship.toml (`[environments.NAME]`, read by goship.config_release);
its repository is `repository` there, else the top-level `repository` (or GOSHIP_REPOSITORY).
The tags are the --tag values, else the environment's tag templates rendered for the image
(goship.release.tagscheme, from the image's version, revision and creation labels).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goship.cli.registry_options import add_registry_options, parse_reference, registry_access
from goship.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from goship.release.settings import Environment, ReleaseSettings


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    promote = commands.add_parser(
        "promote", parents=[common], help="copy an image by digest to an environment's repository",
        description="Copy the image REF (a tag or a digest reference) to the repository of "
                    "environment ENV by digest, with its signatures, attestations and SBOMs, "
                    "and tag it there. Nothing is rebuilt: within one registry the blobs are "
                    "mounted, so no layer is uploaded again.",
        epilog="Exit code 10: an immutable tag would move (--force moves it); 11: "
               "--require-signature and no signature verifies; see docs/exit-codes.md.")
    promote.add_argument("reference", metavar="REF",
                         help="the image to promote: REGISTRY/REPO:TAG or REGISTRY/REPO@sha256:...")
    promote.add_argument("--to", dest="environment", required=True, metavar="ENV",
                         help="the environment to promote to ([environments.ENV] in goship.toml)")
    promote.add_argument("--tag", dest="tags", action="append", default=[], metavar="TAG",
                         help="tag to set in the target (repeatable; default: the environment's "
                              "tag templates)")
    promote.add_argument("--force", action="store_true",
                         help="move immutable tags that name another digest, and replace the target's "
                              "signature tags")
    promote.add_argument("--no-referrers", dest="referrers", action="store_false",
                         help="do not carry signatures, attestations and SBOMs along")
    promote.add_argument("--require-signature", dest="signature_keys", action="append", default=[],
                         metavar="PUBKEY",
                         help="refuse the promotion unless a signature on the source digest verifies "
                              "with this public key (repeatable: any one of them)")
    promote.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    add_registry_options(promote)


def target_repository(environment_name: str, environ: Mapping[str, str],
                      working_dir: Path) -> tuple[ReleaseSettings, Environment, str]:
    """The release settings, the environment and the repository it promotes to."""
    from goship.config_release import find_release_settings

    settings = find_release_settings(working_dir)
    environment = settings.environments.get(environment_name)
    if environment is None:
        configured = ", ".join(settings.environments) or "none"
        where = settings.source or "goship.toml (none found)"
        raise UsageError(f"unknown environment '{environment_name}' (configured in {where}: {configured})",
                         f"add [environments.{environment_name}] with a repository to goship.toml")
    repository = environment.repository or default_repository(settings, environ)
    if not repository:
        raise UsageError(f"environment '{environment_name}' names no repository, and there is no "
                         "top-level `repository` in goship.toml",
                         f"set repository = \"REGISTRY/REPO\" under [environments.{environment_name}]")
    return settings, environment, repository


def default_repository(settings: ReleaseSettings, environ: Mapping[str, str]) -> str:
    """Where an environment without a repository of its own goes: GOSHIP_REPOSITORY, else
    the top-level `repository` of the goship.toml the settings came from ("" for none)."""
    if environ.get("GOSHIP_REPOSITORY"):
        return environ["GOSHIP_REPOSITORY"]
    if not settings.source:
        return ""
    from goship.config import read_config_file

    return str(read_config_file(Path(settings.source)).get("repository") or "")


def run_promote(args: argparse.Namespace) -> int:
    from goship.cli.output import ConsoleReporter, human_size
    from goship.release.promote import promote

    source = parse_reference(args.reference, "REF")
    settings, environment, repository = target_repository(args.environment, args.environ, Path.cwd())
    target = parse_reference(repository, f"the repository of environment '{environment.name}'",
                             default_tag="")
    if target.tag or target.digest is not None:
        raise UsageError(f"the repository of environment '{environment.name}' is {repository}, with "
                         "a tag or digest", "name only REGISTRY/REPOSITORY there")
    signature_keys = []
    if args.signature_keys:
        from goship.supply.signing.keys import load_public_key

        signature_keys = [load_public_key(Path(path)) for path in dict.fromkeys(args.signature_keys)]
    access = registry_access(args, [source, target])
    reporter = ConsoleReporter(verbose=args.verbose, quiet=args.json)
    try:
        with access.client() as client:
            result = promote(client, source, target, tags=args.tags, environment=environment,
                             immutable=settings.immutable_tags, force=args.force,
                             carry_referrers=args.referrers, reporter=reporter,
                             require_signature=signature_keys)
    finally:
        reporter.close()
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return ExitCode.OK
    for tag in result.tags or ("",):
        print(f"{result.target.name}:{tag}@{result.digest}" if tag else str(result.target))
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    for move in result.moved:
        print(f"note: moved {move.tag} from {move.existing}", file=sys.stderr)
    carried = [item for item in result.referrers if item.outcome == "copied"]
    referrers = f"; {len(carried)} signature/attestation/SBOM manifest(s) carried" if carried else ""
    untagged = "" if result.tags else " (no tags: promoted by digest only)"
    print(f"goship: promoted {result.digest.short()} to {environment.name} ({result.target.name}){untagged}: "
          f"{result.blobs_mounted} blobs mounted, {result.blobs_copied} copied, {result.blobs_skipped} "
          f"already there, {human_size(result.bytes_uploaded)} uploaded{referrers}", file=sys.stderr)
    return ExitCode.OK
