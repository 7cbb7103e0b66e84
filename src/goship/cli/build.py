"""`goship build`: wire the options to the build and publish pipeline and print results.

The supply-chain steps (--scan before publishing, --sbom and --sign after) are goship.cli.supply's.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from goship.config import Options, load_config
from goship.errors import UsageError
from goship.image.project import module_root
from goship.oci.reference import Reference

if TYPE_CHECKING:
    from goship.cli.output import ConsoleReporter
    from goship.cli.supply import SupplyRun
    from goship.config import Config
    from goship.image.project import BuiltImage
    from goship.publish.interface import Published


def run_build(args: argparse.Namespace) -> int:
    from goship.cli.output import ConsoleReporter

    env = dict(args.environ)
    module_dir = module_root(Path.cwd())
    options = Options(
        packages=tuple(args.packages),
        platforms=args.platforms,
        push=args.push or None,
        tarball=args.tarball,
        oci_layout=args.oci_layout,
        base=args.base,
        version=args.version,
        jobs=args.jobs,
        insecure_registries=tuple(args.insecure),
        ca_file=args.ca_file,
        offline=args.offline,
        sbom=args.sbom,
        scan=args.scan,
        no_scan=args.no_scan,
        sign_key=args.sign_key,
        no_sign=args.no_sign,
    )
    config = load_config(module_dir, options, env)
    if args.push == "" and not config.repository:
        raise UsageError("--push was given without a repository and goship.toml names none",
                         "use --push REGISTRY/REPO[:TAG] or set repository in goship.toml")
    if config.repository:
        Reference.parse(config.repository, default_tag="")
    from goship.publish.destinations import image_tags

    tags = image_tags(config, args.tags or [])
    reporter = ConsoleReporter(verbose=args.verbose, quiet=args.quiet or args.json)
    from goship.cli.supply import check_vulnerabilities, publish_hook, report_published, start_supply
    from goship.publish.pipeline import build_and_publish

    supply = start_supply(config, tags, sign_flag=args.sign_key, reporter=reporter)

    def check(built: list[BuiltImage]) -> None:
        if args.policy != "off":
            check_policy(config, built, tags if config.repository else [], args, reporter)
        if supply is not None:
            check_vulnerabilities(supply, built, reporter, quiet=args.quiet or args.json)

    try:
        # With the gate, no layer goes up while it is compressed: nothing reaches the registry
        # before the scan has passed.
        result = build_and_publish(config, tags, reporter=reporter, before_publish=check,
                                   after_publish=publish_hook(supply) if supply is not None else None,
                                   stream_layers=not config.scan_gate)
    finally:
        reporter.close()
    built, published = list(result.built), list(result.published)
    if not (args.quiet or args.json):
        report_published(supply)
    _print(built, published, as_json=args.json, supply=supply)
    return 0


def check_policy(config: Config, built: list[BuiltImage], tags: list[str], args: argparse.Namespace,
                  reporter: ConsoleReporter) -> None:
    """The image rules on the images just built, before any manifest or tag is published."""
    from goship.errors import PolicyError
    from goship.policy.build_check import check_built
    from goship.policy.catalog import all_rules
    from goship.policy.interface import Severity
    from goship.policy.reporters import ReportOptions, render

    reporter.step("checking the images against the image standard")
    findings = check_built([(item.spec.name, item.artifact) for item in built], config.policy, tags=tags)
    shown = [finding for finding in findings if args.verbose or finding.severity >= Severity.WARNING]
    if shown:
        reporter.close()  # the report goes below the progress lines, not between them
        sys.stderr.write(render("text", shown, all_rules(), ReportOptions(images=len(built))))
        sys.stderr.flush()
    errors = sum(1 for finding in findings if finding.severity is Severity.ERROR)
    if errors and args.policy == "enforce":
        raise PolicyError(
            f"the images break the image standard ({errors} error{'s' if errors != 1 else ''}); "
            "no manifest or tag was published",
            "fix what the findings say, adjust [policy] in goship.toml, or build with --policy=warn",
        )


def _print(built: list[BuiltImage], published: list[Published], *, as_json: bool,
           supply: SupplyRun | None = None) -> None:
    from goship.cli.output import human_size
    from goship.cli.supply import image_json, result_lines, scan_json

    if as_json:
        document = {
            "images": [
                {
                    "name": item.spec.name,
                    "package": item.spec.package,
                    "version": item.version,
                    "platforms": [str(p) for p in item.platforms],
                    "digest": str(item.artifact.digest),
                    "size": item.artifact.compressed_size,
                    "published": [
                        {"destination": p.destination, "reference": p.reference,
                         "digest": str(p.digest), "uploaded_bytes": p.bytes_uploaded}
                        for p in published if p.image == item.spec.name
                    ],
                    **image_json(supply, item.spec.name),
                }
                for item in built
            ],
            "scan": scan_json(supply),
        }
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    width = max(len(item.spec.name) for item in built)
    for item in built:
        platforms = ",".join(str(p) for p in item.platforms)
        print(f"{item.spec.name:<{width}}  {platforms}  {item.artifact.digest}  "
              f"{human_size(item.artifact.compressed_size)}")
        for result in published:
            if result.image == item.spec.name and result.destination == "registry":
                print(result.reference)
        for line in result_lines(supply, item.spec.name):
            print(line)
    sys.stdout.flush()

