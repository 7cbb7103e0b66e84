"""`goship sbom SOURCE`: a CycloneDX 1.6 or SPDX 2.3 SBOM from the Go build information of the
binaries in an image (or of one binary), to stdout or --output, and with --attach stored
beside the image in its registry (cosign's `.sbom` tag and an OCI 1.1 referrer).

The binaries come from goship.gobinary.subject; the documents and the attaching from
goship.supply.sbom. The document's time is SOURCE_DATE_EPOCH when set (read here, as the
library reads no environment).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goship.cli.registry_options import add_registry_options
from goship.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from goship.gobinary.subject import Subject
    from goship.supply.sbom import AttachResult, Document

FORMAT_NAMES = {"cyclonedx": "CycloneDX 1.6", "spdx": "SPDX 2.3"}


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    sbom = commands.add_parser(
        "sbom", parents=[common],
        help="write a CycloneDX or SPDX SBOM from the Go build info of an image or binary",
        description="Read the Go build information of every Go binary in SOURCE (an image in a "
                    "registry, oci:DIR, tarball:FILE, or a Go binary) and write an SBOM: the "
                    "image, each binary with its build settings, every module it was built with "
                    "(purl, version, go.sum hash) and the Go standard library. The same image "
                    "always gives the same bytes. For an index the document covers every "
                    "platform unless --platform picks one.",
        epilog="Exit code 5: nothing in SOURCE is a Go program (docs/exit-codes.md, docs/sbom.md).")
    sbom.add_argument("source", metavar="SOURCE",
                      help="REGISTRY/REPO[:TAG|@DIGEST], oci:DIR[:NAME], tarball:FILE, or a Go binary")
    sbom.add_argument("--format", choices=list(FORMAT_NAMES), default="cyclonedx",
                      help="cyclonedx (CycloneDX 1.6 JSON, default) or spdx (SPDX 2.3 JSON)")
    sbom.add_argument("--output", "-o", default=None, metavar="FILE",
                      help="write the document to FILE instead of stdout")
    sbom.add_argument("--platform", default=None, metavar="OS/ARCH[/VARIANT]",
                      help="describe only this platform's image of a multi-platform image")
    sbom.add_argument("--attach", action="store_true",
                      help="store the SBOM beside the image in its registry: under cosign's "
                           "sha256-<hex>.sbom tag and as an OCI 1.1 referrer (the index's document "
                           "on the index, each platform's on its image); registry sources only")
    sbom.add_argument("--json", action="store_true",
                      help="with --attach: what was attached, as JSON on stdout")
    add_registry_options(sbom)


def run_sbom(args: argparse.Namespace) -> int:
    from goship import __version__
    from goship.gobinary.subject import LOCAL_IMAGE_PREFIXES
    from goship.supply.sbom import make_documents
    from goship.supply.sbom.model import select_platform

    source: str = args.source
    local = source.startswith(LOCAL_IMAGE_PREFIXES) or Path(source).exists()
    if args.attach and local:
        raise UsageError(f"--attach needs an image in a registry, not {source}",
                         "push the image first, then run goship sbom REGISTRY/REPO:TAG --attach")
    if args.json and not args.attach:
        raise UsageError("--json describes what --attach stored; the SBOM itself is JSON already",
                         "leave out --json, or add --attach")
    platform = _platform(args.platform)
    created = _source_date(args.environ)
    subjects = select_platform(_subjects(args, local), platform)
    _report_skipped(subjects)
    documents = make_documents(subjects, args.format, tool_version=__version__, created=created,
                               platform=platform, per_platform=args.attach)
    main_document = documents[0]
    if args.output is not None or not args.attach:
        from goship.cli.output import write_report

        write_report(main_document.content, args.output, "the SBOM")
    print(_summary(source, main_document, args.output, written=args.output is not None or not args.attach),
          file=sys.stderr)
    if args.attach:
        results = _attach(args, documents)
        if args.json:
            json.dump([result.to_json() for result in results], sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            for result in results:
                print(f"{result.repository}:{result.cosign_tag}@{result.cosign_manifest}")
                print(f"{result.repository}@{result.referrer}")
        apis = {result.referrers_api for result in results}
        how = "the referrers API lists them" if apis == {True} else "listed under the fallback tags"
        print(f"goship: attached {len(results)} SBOM(s) under cosign's .sbom tags and as OCI 1.1 "
              f"referrers ({how})", file=sys.stderr)
    return ExitCode.OK


def _subjects(args: argparse.Namespace, local: bool) -> list[Subject]:
    from goship.cli.registry_options import registry_access
    from goship.gobinary.subject import find_go_binaries

    access = registry_access(args, [] if local else [args.source])
    return find_go_binaries(args.source, access=access)


def _attach(args: argparse.Namespace, documents: list[Document]) -> list[AttachResult]:
    from goship.cli.registry_options import parse_reference, registry_access
    from goship.oci.digest import Digest
    from goship.supply.sbom import attach_sbom

    reference = parse_reference(args.source, "SOURCE", default_tag="")
    access = registry_access(args, [reference])
    results = []
    with access.client() as client:
        for document in documents:
            if document.subject_digest is None:
                continue
            results.append(attach_sbom(client, reference, Digest.parse(document.subject_digest),
                                       document.content, document.media_type))
    return results


def _platform(text: str | None) -> str | None:
    if text is None:
        return None
    from goship.oci.platform import Platform

    return str(Platform.parse(text))


def _source_date(environ: dict[str, str]) -> datetime | None:
    from goship.config import source_date_epoch

    epoch = source_date_epoch(environ)
    return None if epoch is None else datetime.fromtimestamp(epoch, tz=UTC)


def _report_skipped(subjects: list[Subject]) -> None:
    for subject in subjects:
        where = f" ({subject.platform})" if subject.platform and len(subjects) > 1 else ""
        for item in subject.skipped:
            print(f"goship: skipped {item.path}{where}: {item.reason}", file=sys.stderr)


def _summary(source: str, document: Document, output: str | None, *, written: bool) -> str:
    what = document.platform or ("every platform" if document.subject_digest else "")
    where = f" ({what})" if what else ""
    binaries = f"{document.binaries} Go binar{'y' if document.binaries == 1 else 'ies'}"
    modules = f"{document.modules} module{'' if document.modules == 1 else 's'}"
    target = f" to {output}" if output else ""
    verb = "wrote" if written else "made"
    return (f"goship: {verb} the {FORMAT_NAMES[document.format]} SBOM of {source}{where}{target}: "
            f"{binaries}, {modules} and the standard library")
