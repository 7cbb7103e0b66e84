"""`goship tags REPO`: the tags of a repository with digest, creation time, version and
environment, newest first (goship.release.tags reads them)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from goship.cli.registry_options import add_registry_options, parse_reference, registry_access
from goship.errors import ExitCode, UsageError


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    tags = commands.add_parser(
        "tags", parents=[common], help="list a repository's tags with digest, date, version and environment",
        description="List every tag of REPO (pagination followed) with the digest it names, when the "
                    "image was created, its version label and the environment whose tag scheme "
                    "it fits (goship.toml [environments]), newest first.")
    tags.add_argument("repository", metavar="REPO", help="REGISTRY/REPOSITORY")
    tags.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    add_registry_options(tags)


def run_tags(args: argparse.Namespace) -> int:
    from goship.cli.promote import default_repository
    from goship.config_release import find_release_settings
    from goship.release.tags import list_tags

    repository = parse_reference(args.repository, "REPO", default_tag="")
    if repository.tag or repository.digest is not None:
        raise UsageError(f"REPO is {args.repository}, with a tag or digest",
                         f"name only the repository: goship tags {repository.name}")
    settings = find_release_settings(Path.cwd())
    default = default_repository(settings, args.environ)
    with registry_access(args, [repository]).client() as client:
        infos = list_tags(client, repository, settings, default_repository=default)
    if args.json:
        json.dump([info.to_json() for info in infos], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return ExitCode.OK
    rows = [("TAG", "DIGEST", "CREATED", "VERSION", "ENVIRONMENT")]
    for info in infos:
        environment = ",".join(info.environments) + (" (pointer)" if info.pointer else "")
        if info.attachment:
            environment = info.attachment
        rows.append((info.tag, info.digest.short() if info.digest else "-", info.created or "-",
                     info.version or "-", environment or "-"))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1])
    for info in infos:
        if info.error:
            print(f"goship: {repository.name}:{info.tag}: {info.error}", file=sys.stderr)
    return ExitCode.OK
