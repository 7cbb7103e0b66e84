"""`goship verify REF --version V`: do the tag, the labels, git and the binary agree that the
image is version V? Each check is printed; exit code 10 when any fails
(goship.release.verify runs them)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from goship.cli.registry_options import add_registry_options, parse_reference, registry_access
from goship.errors import ExitCode, ImageError, UsageError

_MARKS = {"pass": "PASS", "fail": "FAIL", "skip": "skip"}


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    verify = commands.add_parser(
        "verify", parents=[common],
        help="check that an image, its labels, git and its binary agree on a version",
        description="Check the image REF against version V: the tag resolves (to --digest, when "
                    "given), the version label and the tag say V, the revision label is the commit "
                    "of git tag vV (when the repository has it), and the Go build information of "
                    "the entrypoint binary records that commit and the Go version of the label.",
        epilog="Exit code 10 when a check fails (docs/exit-codes.md).")
    verify.add_argument("reference", metavar="REF", help="REGISTRY/REPO:TAG or REGISTRY/REPO@sha256:...")
    verify.add_argument("--version", dest="expected_version", required=True, metavar="V",
                        help="the version the image should be (a leading v is ignored)")
    verify.add_argument("--digest", default=None, metavar="sha256:...",
                        help="the digest REF should resolve to")
    verify.add_argument("--module-dir", default=None, metavar="DIR",
                        help="the git work tree whose tag vV names the expected commit (default: .)")
    verify.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    add_registry_options(verify)


def run_verify(args: argparse.Namespace) -> int:
    from goship.config_release import find_release_settings
    from goship.oci.digest import Digest
    from goship.release.verify import verify_release

    reference = parse_reference(args.reference, "REF")
    expected = None
    if args.digest:
        try:
            expected = Digest.parse(args.digest)
        except ImageError as exc:
            raise UsageError(f"--digest: {exc.message}", exc.hint) from exc
    if not args.expected_version.strip():
        raise UsageError("--version is empty", "give the version the image should be, e.g. 1.2.3")
    module_dir = Path(args.module_dir) if args.module_dir else Path.cwd()
    if not module_dir.is_dir():
        raise UsageError(f"--module-dir {args.module_dir} is not a directory",
                         "give the module's git work tree")
    settings = find_release_settings(module_dir)
    access = registry_access(args, [reference])
    result = verify_release(reference, args.expected_version.strip(), access=access, settings=settings,
                            expected_digest=expected, module_dir=module_dir, environ=args.environ)
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for check in result.checks:
            platform = f" [{check.platform}]" if check.platform else ""
            print(f"{_MARKS[check.status]}  {check.name}{platform}: {check.detail}")
    if result.ok:
        return ExitCode.OK
    names = ", ".join(dict.fromkeys(check.name for check in result.failed))
    print(f"goship: {reference} is not consistently version {result.version}: "
          f"{len(result.failed)} check(s) failed ({names}); exit code {int(ExitCode.RELEASE)}",
          file=sys.stderr)
    return ExitCode.RELEASE
