"""`goship scan SOURCE`: match the Go binaries of an image (or a binary) against the Go
vulnerability database, report the findings, and fail on those at or above --fail-on.

The settings come from goship.toml ``[scan]`` (goship.config_scan) under the flags; the
binaries from goship.gobinary.subject; the database, the matching and the reports from
goship.supply.scan. The report is written in full before the exit code says anything.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goship.cli.registry_options import add_registry_options
from goship.errors import ExitCode, UsageError
from goship.supply.scan.interface import FAIL_ON, describe_fail_on

if TYPE_CHECKING:
    from goship.gobinary.subject import Subject
    from goship.supply.scan.interface import ScanResult

FORMATS = ("table", "json", "sarif")


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    scan = commands.add_parser(
        "scan", parents=[common],
        help="match an image's Go modules against the Go vulnerability database",
        description="Read the Go build information of every Go binary in SOURCE (an image in a "
                    "registry, oci:DIR, tarball:FILE, or a Go binary) and match its modules, "
                    "its Go version and its toolchain against the Go vulnerability database "
                    "(https://vuln.go.dev, cached on disk; or --db). Waivers come from "
                    "[[scan.waiver]] in goship.toml.",
        epilog="Exit code 12: a finding at or above --fail-on that no waiver covers; 6: the "
               "database cannot be reached and nothing is cached (docs/exit-codes.md, docs/scan.md).")
    scan.add_argument("source", metavar="SOURCE",
                      help="REGISTRY/REPO[:TAG|@DIGEST], oci:DIR[:NAME], tarball:FILE, or a Go binary")
    scan.add_argument("--db", default=None, metavar="DIR|URL",
                      help="the vulnerability database: a URL of the v1 API, a directory (its "
                           "index/ and ID/, or OSV JSON files) or a .zip of OSV files "
                           "(default: GOSHIP_VULNDB, [scan] db, else https://vuln.go.dev)")
    scan.add_argument("--offline", action="store_true",
                      help="use only the copy of the database an earlier scan cached")
    scan.add_argument("--format", choices=FORMATS, default=None,
                      help="table (default), json or sarif (GitHub code scanning)")
    scan.add_argument("--json", action="store_true", help="the same as --format json")
    scan.add_argument("--output", "-o", default=None, metavar="FILE",
                      help="write the report to FILE instead of stdout")
    scan.add_argument("--fail-on", choices=FAIL_ON, default=None,
                      help="exit with code 12 when an unwaived finding is this severe or worse; "
                           "'any' also counts findings of unknown severity, as the Go database "
                           "rates none (default: [scan] fail-on, else any)")
    scan.add_argument("--platform", default=None, metavar="OS/ARCH[,...]",
                      help="scan only these platforms of a multi-platform image")
    add_registry_options(scan)


def run_scan(args: argparse.Namespace) -> int:
    from goship.config_scan import download_options, resolve_scan_settings
    from goship.paths import cache_dir

    if args.json and args.format not in (None, "json"):
        raise UsageError(f"--json and --format {args.format} disagree", "give one of them")
    format_name = "json" if args.json else (args.format or "table")
    settings = resolve_scan_settings(Path.cwd(), args.environ, database=args.db,
                                     offline=args.offline, fail_on=args.fail_on)
    ca_file = Path(args.ca_file) if args.ca_file else None
    if ca_file is not None and not ca_file.is_file():
        raise UsageError(f"--ca-file {args.ca_file} does not exist", "give a PEM file of CA certificates")
    subjects = _select_platforms(_subjects(args), args.platform)

    from goship.cli.output import ConsoleReporter, write_report
    from goship.supply.scan.database import open_database
    from goship.supply.scan.match import scan_subjects

    reporter = ConsoleReporter(verbose=args.verbose)
    try:
        database = open_database(settings, cache_dir=cache_dir(args.environ),
                                 download=download_options(args.environ, ca_file), reporter=reporter)
        result = scan_subjects(subjects, database, settings, date.today())
    finally:
        reporter.close()

    from goship import __version__
    from goship.supply.scan.report import ReportOptions, render

    report = render(format_name, result, ReportOptions(fail_on=settings.fail_on, tool_version=__version__))
    write_report(report, args.output, "the scan report")
    if args.output is not None:
        print(f"goship: wrote the scan report to {args.output}", file=sys.stderr)
    _warnings(result)
    return _exit_code(result, settings.fail_on)


def _subjects(args: argparse.Namespace) -> list[Subject]:
    from goship.gobinary.subject import IMAGE_PREFIXES, LOCAL_IMAGE_PREFIXES, find_go_binaries

    source: str = args.source
    if Path(source).is_file() and not source.startswith(IMAGE_PREFIXES):
        return find_go_binaries(source)
    from goship.cli.registry_options import registry_access

    local = source.startswith(LOCAL_IMAGE_PREFIXES)
    access = registry_access(args, [] if local else [source])
    return find_go_binaries(source, access=access)


def _select_platforms(subjects: list[Subject], wanted: str | None) -> list[Subject]:
    """The subjects of the platforms asked for: ``linux/arm`` also selects linux/arm/v7."""
    if not wanted:
        return subjects
    requested = [item.strip().lower().split("/") for item in wanted.split(",") if item.strip()]
    if not requested or any(len(parts) < 2 or not all(parts) for parts in requested):
        raise UsageError(f"--platform '{wanted}' is not os/arch[/variant][,...]",
                         "write e.g. --platform linux/amd64 or --platform linux/amd64,linux/arm64")
    chosen = [subject for subject in subjects
              if any(subject.platform.lower().split("/")[:len(parts)] == parts for parts in requested)]
    if not chosen:
        available = ", ".join(sorted({subject.platform for subject in subjects if subject.platform}))
        raise UsageError(f"{subjects[0].source if subjects else 'the source'} has no platform "
                         f"matching --platform {wanted}", f"its platforms: {available or 'none'}")
    return chosen


def _warnings(result: ScanResult) -> None:
    for warning in result.warnings():
        print(f"goship: warning: {warning}", file=sys.stderr)


def _count(number: int) -> str:
    return "1 vulnerability" if number == 1 else f"{number} vulnerabilities"


def _exit_code(result: ScanResult, fail_on: str) -> int:
    failing: Sequence[object] = result.failing(fail_on)
    if not failing:
        return ExitCode.OK
    print(f"goship: {_count(len(failing))} {describe_fail_on(fail_on)} that no waiver covers; exit code "
          f"{int(ExitCode.VULNERABLE)}", file=sys.stderr)
    return ExitCode.VULNERABLE
