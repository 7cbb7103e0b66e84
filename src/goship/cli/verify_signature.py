"""`goship verify-signature REF --key PUB`: check every signature on an image's digest; it
passes when one verifies with a key and its payload names this exact digest."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from goship.cli.registry_options import add_registry_options, parse_reference, registry_access
from goship.errors import ExitCode


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    verify = commands.add_parser(
        "verify-signature", parents=[common], help="check an image's signatures against a public key",
        description="Read every signature stored for the digest REF names (the sha256-<hex>.sig "
                    "tag, as cosign stores them) and check each: its payload blob matches its "
                    "layer, the signature verifies with one of the public keys, and the payload "
                    "is a cosign container image signature naming this digest. Passes when one "
                    "signature passes; prints which, and why each other one failed.",
        epilog="Exit code 11: no signature verifies (or there is none); see docs/exit-codes.md.")
    verify.add_argument("reference", metavar="REF", help="REGISTRY/REPO:TAG or REGISTRY/REPO@sha256:...")
    verify.add_argument("--key", dest="keys", action="append", required=True, metavar="PUB",
                        help="a public key file (PEM); repeatable: any one of them may verify")
    verify.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    add_registry_options(verify)


def run_verify_signature(args: argparse.Namespace) -> int:
    from goship.supply.signing.interface import UnverifiedImageError
    from goship.supply.signing.keys import load_public_key
    from goship.supply.signing.sign import resolve_digest
    from goship.supply.signing.verify import verify_image

    reference = parse_reference(args.reference, "REF")
    keys = [load_public_key(Path(path)) for path in dict.fromkeys(args.keys)]
    with registry_access(args, [reference]).client() as client:
        digest = resolve_digest(client, reference)
        result = verify_image(client, reference, digest, keys)
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        passed = len(result.verified)
        print(f"{result.repository.name}@{result.digest}: {passed} of {len(result.checks)} "
              f"signature(s) verified ({result.tag})")
        for check in result.checks:
            if check.verified:
                notes = ", ".join(f"{key}={value}" for key, value in check.annotations)
                print(f"  signature {check.index}: verified with {check.key}"
                      + (f"; annotations: {notes}" if notes else ""))
            else:
                print(f"  signature {check.index}: FAILED: {check.reason}")
    if not result.ok:
        raise UnverifiedImageError(result)
    return ExitCode.OK
