"""`goship release`: version from git, changelog, images with the environment's tags, git tag.

The library (goship.release.releaser) plans and runs the release; this module wires the
flags to it and prints the plan (``--dry-run``), the notes (``--notes``) or the summary. The
supply-chain steps (--scan before anything is pushed or tagged, --sbom and --sign after the
push, before the git tag) are goship.cli.supply's, as for `goship build`.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goship.cli.registry_options import add_registry_options
from goship.cli.supply import add_supply_options
from goship.config import Options, load_config
from goship.errors import UsageError
from goship.image.project import module_root

if TYPE_CHECKING:
    from goship.cli.supply import SupplyRun
    from goship.config import Config
    from goship.image.project import BuiltImage
    from goship.registry.client import RegistryClient
    from goship.release.releaser import ReleasePlan, ReleaseRequest, ReleaseResult


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    release = commands.add_parser(
        "release", parents=[common], help="release the next version: changelog, images, git tag",
        description="Work out the next version from the Conventional Commits since the last "
                    "release tag, build the images with that version, push them with the tags "
                    "of the branch's environment ([environments.NAME] in goship.toml), then "
                    "create an annotated git tag on the commit built and commit the changelog "
                    "section. Everything is checked before anything is written or pushed.",
        epilog="Exit code 10 means the release was refused (docs/exit-codes.md).")
    release.add_argument("--dry-run", action="store_true",
                         help="show the version, notes, tags and git tag; change nothing")
    release.add_argument("--notes", action="store_true", help="print only the release notes")
    release.add_argument("--pre", default=None, metavar="LABEL",
                         help="release a numbered prerelease, e.g. --pre rc gives 1.3.0-rc.1")
    release.add_argument("--snapshot", action="store_true",
                         help="publish this tree's snapshot version (1.3.0-dev.N+COMMIT) with the "
                              "environment's tags; no git tag, no changelog")
    release.add_argument("--env", dest="environment", default=None, metavar="NAME",
                         help="the environment whose repository and tags to use (default: the "
                              "first whose branches match the current branch)")
    release.add_argument("--force", action="store_true",
                         help="move immutable tags that already name another image")
    release.add_argument("--allow-dirty", action="store_true",
                         help="release a work tree with uncommitted changes")
    release.add_argument("--push-tag", action="store_true",
                         help="push the git tag to the remote (origin unless --remote)")
    release.add_argument("--remote", default=None, metavar="NAME",
                         help="the git remote --push-tag pushes to (default: origin); checked "
                              "before anything is built or pushed")
    release.add_argument("--platform", dest="platforms", default=None,
                         help="comma-separated platforms, e.g. linux/amd64,linux/arm64")
    release.add_argument("--jobs", "-j", type=int, default=None, help="parallel builds")
    add_registry_options(release)
    release.add_argument("--offline", action="store_true",
                         help="never download: a pinned Go version must be installed already, and "
                              "--scan uses the cached vulnerability database")
    release.add_argument("--policy", choices=["enforce", "warn", "off"], default="enforce",
                         help="check the images against the image standard before publishing")
    add_supply_options(release, "release")
    release.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    release.add_argument("--quiet", "-q", action="store_true", help="print only the results")


def run_release(args: argparse.Namespace) -> int:
    from goship.release.releaser import (
        ReleaseRequest,
        look_up_tags,
        plan_release,
        release_config,
        release_notes,
    )

    if args.remote is not None and not args.push_tag:
        raise UsageError(f"--remote {args.remote} names where --push-tag pushes the git tag, and "
                         "--push-tag is not given", "add --push-tag, or drop --remote")
    env = dict(args.environ)
    module_dir = module_root(Path.cwd())
    options = Options(platforms=args.platforms, jobs=args.jobs, insecure_registries=tuple(args.insecure),
                      ca_file=args.ca_file, offline=args.offline, sbom=args.sbom, scan=args.scan,
                      no_scan=args.no_scan, sign_key=args.sign_key, no_sign=args.no_sign)
    config = load_config(module_dir, options, env)
    request = ReleaseRequest(pre=args.pre, environment=args.environment, force=args.force,
                             allow_dirty=args.allow_dirty, snapshot=args.snapshot,
                             push_tag=args.push_tag, remote=args.remote or "origin",
                             today=datetime.now(tz=UTC).date())
    if args.notes:
        version, notes = release_notes(config, request)
        if args.json:
            _dump({"version": version, "notes": notes})
        else:
            sys.stdout.write(notes)
        return 0
    plan = plan_release(config, request)
    _warn(plan, config.release.tag_prefix)
    from goship.publish.destinations import registry_client

    client = registry_client(release_config(config, plan))
    try:
        plan = look_up_tags(plan, client, tolerate_errors=args.dry_run)
        if args.dry_run:
            _print_plan(plan, as_json=args.json)
            return 0
        result, supply = _run(args, config, plan, request, client)
    finally:
        client.close()
    if not (args.quiet or args.json):
        from goship.cli.supply import report_published

        report_published(supply)
    _print_result(result, as_json=args.json, supply=supply)
    return 0


def _run(args: argparse.Namespace, config: Config, plan: ReleasePlan, request: ReleaseRequest,
         client: RegistryClient) -> tuple[ReleaseResult, SupplyRun | None]:
    from goship.cli.output import ConsoleReporter
    from goship.cli.supply import check_vulnerabilities, publish_hook, start_supply
    from goship.release.releaser import release_config
    from goship.release.releaser import run_release as run

    reporter = ConsoleReporter(verbose=args.verbose, quiet=args.quiet or args.json)
    # The signing key's password is asked for now: a wrong one costs no build and pushes nothing.
    supply = start_supply(release_config(config, plan), plan.images[0].tags if plan.images else (),
                          sign_flag=args.sign_key, reporter=reporter)

    def check(release: Config, built: list[BuiltImage], tags: list[str]) -> None:
        if args.policy != "off":
            from goship.cli.build import check_policy

            check_policy(release, built, tags, args, reporter)
        if supply is not None:
            check_vulnerabilities(supply, built, reporter, quiet=args.quiet or args.json, what="release")

    try:
        result = run(config, plan, request, client=client, reporter=reporter, before_publish=check,
                     after_publish=publish_hook(supply, "release") if supply is not None else None)
    finally:
        reporter.close()
    return result, supply


def _warn(plan: ReleasePlan, prefix: str) -> None:
    """As `goship version`: tags that look like releases but are not SemVer were skipped (the
    JSON lists every skipped tag; tags without the prefix, such as ``latest``, are not worth a
    warning)."""
    for tag in plan.versions.history.skipped_tags:
        if tag.name.startswith(prefix):
            print(f"goship: warning: skipped tag {tag.name}: {tag.reason}", file=sys.stderr)


def _dump(document: dict[str, Any]) -> None:
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")
    sys.stdout.flush()


def _describe_version(plan: ReleasePlan) -> str:
    if plan.snapshot:
        return f"{plan.version} (snapshot)"
    if plan.previous is None:
        return f"{plan.version} (first release)"
    return f"{plan.version} ({plan.bump or 'prerelease'} after {plan.previous})"


def _print_plan(plan: ReleasePlan, *, as_json: bool) -> None:
    if as_json:
        _dump({"dry_run": True, **plan.as_json()})
        return
    out = sys.stdout
    out.write("dry run: nothing is built, written, tagged or pushed\n\n")
    out.write(f"version      {_describe_version(plan)}\n")
    out.write(f"commit       {plan.commit[:12]}" + (f" on {plan.branch}" if plan.branch else "") + "\n")
    out.write(f"environment  {plan.environment.name}\n")
    if plan.git_tag:
        out.write(f"git tag      {plan.git_tag} (annotated, on {plan.commit[:12]}; then the changelog "
                  "is committed on top)\n")
        pushed = f"pushed to {plan.push_remote}" if plan.push_remote else "not pushed (--push-tag)"
        out.write(f"             {pushed}\n")
    for image in plan.images:
        out.write(f"\nimage {image.name} -> {image.repository}\n")
        if image.lookup_error:
            out.write(f"  (immutable tags not checked: {image.lookup_error})\n")
        for tag in image.tags:
            note = ""
            if tag in image.immutable:
                existing = image.existing.get(tag)
                if image.lookup_error:
                    note = "  immutable"
                elif existing:
                    note = f"  immutable, exists as {existing}: refused unless the build reproduces it"
                else:
                    note = "  immutable, new"
            out.write(f"  {image.repository}:{tag}{note}\n")
    if plan.notes:
        out.write(f"\n{plan.changelog.name} gets this section:\n\n{plan.notes}")
    out.flush()


def _print_result(result: ReleaseResult, *, as_json: bool, supply: SupplyRun | None = None) -> None:
    from goship.cli.supply import image_json, result_lines, scan_json

    plan = result.plan
    if as_json:
        document = plan.as_json()
        for image in document["images"]:
            image["digest"] = result.digests.get(image["name"])
            image["published"] = [item.reference for item in result.published
                                  if item.image == image["name"] and item.destination == "registry"]
            image.update(image_json(supply, image["name"]))
        _dump({"dry_run": False, **document, "scan": scan_json(supply), "git_tag_created": result.tag_created,
               "changelog_commit": result.changelog_commit or None, "git_tag_pushed": result.tag_pushed,
               "moved": [{"repository": move.repository, "tag": move.tag, "from": move.existing,
                          "to": move.new} for move in result.moved]})
        return
    out = sys.stdout
    out.write(f"released {_describe_version(plan)} to {plan.environment.name}\n")
    if plan.git_tag:
        where = f"pushed to {plan.push_remote}" if result.tag_pushed else \
            "not pushed: git push origin " + plan.git_tag
        out.write(f"git tag {plan.git_tag} on {plan.commit[:12]} ({where})\n")
    if result.changelog_commit:
        out.write(f"{plan.changelog.name} updated in {result.changelog_commit[:12]}\n")
    for image in plan.images:
        out.write(f"{image.name}  {result.digests.get(image.name, '')}\n")
        for item in result.published:
            if item.image == image.name and item.destination == "registry":
                out.write(f"  {item.reference}\n")
        for line in result_lines(supply, image.name):
            out.write(f"  {line}\n")
    for move in result.moved:
        out.write(f"moved {move.repository}:{move.tag} from {move.existing} (--force)\n")
    out.flush()
