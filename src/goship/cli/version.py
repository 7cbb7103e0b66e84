"""`goship version`: the current, next and snapshot versions from git tags and Conventional
Commits, as text, JSON (--json), one version for scripts (-q, --snapshot) or the release
notes of the next version (--notes).

The settings come from goship.toml's [release] table (goship.config_release); the work is
goship.versioning.commits (reading git), .versions (planning) and goship.release.changelog
(notes).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from goship.errors import GoshipError, UsageError
from goship.release.settings import ReleaseSettings
from goship.versioning.versions import VersionPlan, commit_kind


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    version = commands.add_parser(
        "version", parents=[common], help="print the current and next version from git",
        description="Work out the version of this repository from its git tags (v1.2.3, the "
                    "[release] tag-prefix) and the Conventional Commits since the last one: "
                    "fix and perf bump the patch, feat the minor, a breaking change (feat!: or "
                    "a BREAKING CHANGE: footer) the major. Only tags reachable from HEAD count.",
        epilog="Exit code 10 means the version could not be read from git (docs/exit-codes.md).")
    version.add_argument("--pre", metavar="LABEL", default=None,
                         help="make the next version a prerelease: --pre rc gives 1.3.0-rc.1, "
                              "then 1.3.0-rc.2 once v1.3.0-rc.1 is tagged")
    version.add_argument("--build", metavar="META", default=None,
                         help="add SemVer build metadata to the next version (--build ci.42)")
    version.add_argument("--bump", choices=["major", "minor", "patch"], default=None,
                         help="bump this part instead of what the commits ask for")
    version.add_argument("--date", default=None, metavar="YYYY-MM-DD",
                         help="the release date in --notes (default: SOURCE_DATE_EPOCH, else today, UTC)")
    output = version.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true",
                        help="every part (versions, bump, commits, skipped tags) as JSON on stdout")
    output.add_argument("--notes", action="store_true",
                        help="print the changelog section of the next version (Markdown)")
    output.add_argument("--quiet", "-q", action="store_true", help="print only the next version")
    output.add_argument("--snapshot", action="store_true",
                        help="print only the snapshot version: the version of this very tree")


def run_version(args: argparse.Namespace) -> int:
    environ: Mapping[str, str] = args.environ
    directory = Path.cwd()
    settings = _settings(directory)
    from goship.versioning.commits import read_history
    from goship.versioning.versions import plan_version

    history = read_history(directory, settings, env=environ)
    plan = plan_version(history, settings, pre=args.pre, build=args.build, force_bump=args.bump)
    warnings = _warnings(plan, settings, directory)
    for message, hint in warnings:
        print(f"goship: warning: {message}", file=sys.stderr)
        if hint:
            print(f"hint: {hint}", file=sys.stderr)
    if args.json:
        document = {**plan.as_json(),
                    "warnings": [{"message": message, "hint": hint} for message, hint in warnings]}
        print(json.dumps(document, indent=2))
    elif args.notes:
        from goship.release.changelog import render_section

        sys.stdout.write(render_section(plan, date=_release_date(args.date, environ),
                                        sections=settings.changelog_sections))
    elif args.quiet:
        print(plan.next)
    elif args.snapshot:
        print(plan.snapshot)
    else:
        print(_report(plan, settings))
    return 0


def _settings(directory: Path) -> ReleaseSettings:
    from goship.config_release import find_release_settings

    return find_release_settings(directory)


def _report(plan: VersionPlan, settings: ReleaseSettings) -> str:
    history = plan.history
    prefix = settings.tag_prefix
    if plan.current is None:
        current = f"none (no release tag like {prefix}1.2.3 reachable from HEAD)"
        why = f"first release: initial-version {settings.initial_version}"
    else:
        current = f"{plan.current} (tag {plan.current_tag})"
        since = f"since {plan.current_tag}"
        if plan.bump is None:
            why = f"nothing to release: no fix, feat or breaking change {since}"
        else:
            why = f"{plan.bump} bump: {_summary(plan)} {since}"
    where = history.branch or "a detached HEAD"
    state = "dirty" if history.dirty else "clean"
    return "\n".join([
        f"current:  {current}",
        f"next:     {plan.next} ({why})",
        f"snapshot: {plan.snapshot}",
        f"commit:   {history.short_commit} on {where}, {state}, "
        f"{_count(len(history.commits), 'commit')} since {plan.current_tag or 'the start'}",
    ])


def _summary(plan: VersionPlan) -> str:
    kinds = [commit_kind(commit) for commit in plan.commits]
    parts = [_count(kinds.count("major"), "breaking change"),
             _count(sum(1 for commit in plan.commits
                        if commit.type == "feat" and not commit.breaking), "feature"),
             _count(sum(1 for commit in plan.commits
                        if commit.type in ("fix", "perf", "revert") and not commit.breaking), "fix")]
    said = [part for part in parts if not part.startswith("0 ")]
    return ", ".join(said) or "forced"


def _count(number: int, noun: str) -> str:
    plural = noun + ("es" if noun.endswith("x") else "s")
    return f"{number} {noun if number == 1 else plural}"


def _warnings(plan: VersionPlan, settings: ReleaseSettings,
              directory: Path) -> list[tuple[str, str]]:
    """(message, hint) pairs: what a user should know although the versions could be read.
    Tags without the prefix are left out here (``latest``, ``deploy-prod``); --json lists them."""
    history = plan.history
    warnings = [(f"skipped tag {tag.name}: {tag.reason}", "") for tag in history.skipped_tags
                if tag.name.startswith(settings.tag_prefix)]
    if history.shallow:
        warnings.append(("this is a shallow clone: older tags and commits may be missing, and the "
                         "versions with them", "fetch them with `git fetch --unshallow --tags`"))
    if (directory / "go.mod").is_file():
        from goship.release.gomodule import check_major_path

        try:
            check_major_path(directory, plan.next)
        except GoshipError as error:
            warnings.append((f"{error.message}; a release will refuse it", error.hint))
    return warnings


def _release_date(given: str | None, environ: Mapping[str, str]) -> datetime.date:
    if given:
        try:
            return datetime.date.fromisoformat(given)
        except ValueError:
            raise UsageError(f"--date '{given}' is not a date", "write it as YYYY-MM-DD") from None
    from goship.config import source_date_epoch

    epoch = source_date_epoch(environ)
    if epoch is not None:
        return datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC).date()
    return datetime.datetime.now(tz=datetime.UTC).date()
