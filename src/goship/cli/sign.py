"""`goship sign REF --key KEY`: sign an image's digest as `cosign sign --key` does, and
store the signature at the digest's `sha256-<hex>.sig` tag in the same repository."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from goship.cli.registry_options import add_registry_options, parse_reference, registry_access
from goship.errors import ExitCode, UsageError


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    sign = commands.add_parser(
        "sign", parents=[common], help="sign an image digest as cosign does",
        description="Sign the image REF names (an index is signed as the index) with a cosign "
                    "private key: the simple-signing payload for its digest, ECDSA over SHA-256, "
                    "added as one more signature under the tag sha256-<hex>.sig in the same "
                    "repository (existing signatures are kept). `cosign verify --key` and "
                    "`goship verify-signature` check it. The key's password comes from "
                    "GOSHIP_PASSWORD, else COSIGN_PASSWORD, else a prompt.",
        epilog="Exit code 11: the key cannot be read or decrypted; 7: the registry refused the "
               "signature tag; see docs/exit-codes.md.")
    sign.add_argument("reference", metavar="REF", help="REGISTRY/REPO:TAG or REGISTRY/REPO@sha256:...")
    sign.add_argument("--key", required=True, metavar="KEY",
                      help="the private key file (goship keygen's or cosign's cosign.key)")
    sign.add_argument("-a", "--annotation", dest="annotations", action="append", default=[],
                      metavar="KEY=VALUE", help="an annotation for the payload (repeatable)")
    sign.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    add_registry_options(sign)


def parse_annotations(items: list[str]) -> dict[str, str]:
    annotations: dict[str, str] = {}
    for item in items:
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise UsageError(f"annotation '{item}' is not KEY=VALUE",
                             "write it as -a KEY=VALUE, e.g. -a env=prod")
        annotations[key] = value
    return annotations


def run_sign(args: argparse.Namespace) -> int:
    from goship.cli.keygen import read_password
    from goship.supply.signing.keys import read_private_key_file
    from goship.supply.signing.sign import resolve_digest, sign_image

    reference = parse_reference(args.reference, "REF")
    annotations = parse_annotations(args.annotations)
    key_file = read_private_key_file(Path(args.key))  # a bad file is named before a password is asked
    key = key_file.decrypt(read_password(args.environ, args.key))
    with registry_access(args, [reference]).client() as client:
        digest = resolve_digest(client, reference)
        result = sign_image(client, reference, digest, key, annotations)
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return ExitCode.OK
    print(f"{result.repository.name}:{result.tag}@{result.signature_manifest}")
    if result.added:
        print(f"goship: signed {result.repository.name}@{result.digest} with {result.key}: "
              f"stored as signature {result.layer_index} ({result.layers} in all) under {result.tag}",
              file=sys.stderr)
    else:
        print(f"goship: {result.repository.name}@{result.digest} already carries this signature "
              f"(signature {result.layer_index} under {result.tag}, same key and payload): nothing pushed",
              file=sys.stderr)
    return ExitCode.OK
