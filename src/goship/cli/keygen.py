"""`goship keygen`: write a signing key pair in cosign's format (PREFIX.key, PREFIX.pub).

Also the password source the signing commands share: GOSHIP_PASSWORD, else COSIGN_PASSWORD
(set but empty is an empty password, as cosign takes it), else a prompt when stdin is a
terminal, else an error rather than a hang.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from goship.errors import ExitCode

PASSWORD_VARIABLES = ("GOSHIP_PASSWORD", "COSIGN_PASSWORD")


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    keygen = commands.add_parser(
        "keygen", parents=[common], help="write a cosign-compatible signing key pair",
        description="Write PREFIX.key, an ECDSA P-256 private key encrypted as cosign encrypts "
                    "it (scrypt and NaCl secretbox; mode 0600), and PREFIX.pub, its public key "
                    "(PEM). cosign reads both, and goship reads keys made by cosign. The password "
                    "comes from GOSHIP_PASSWORD, else COSIGN_PASSWORD (empty is allowed), else "
                    "it is asked for twice.",
        epilog="Exit code 2: the files exist (--force replaces them); see docs/exit-codes.md.")
    keygen.add_argument("--output-key-prefix", default="cosign", metavar="PREFIX",
                        help="write PREFIX.key and PREFIX.pub (default: cosign)")
    keygen.add_argument("--force", action="store_true", help="replace existing key files")
    keygen.add_argument("--json", action="store_true", help="machine-readable output on stdout")


def read_password(environ: Mapping[str, str], what: str, *, confirm: bool = False,
                  interactive: bool | None = None,
                  prompt: Callable[[str], str] | None = None) -> bytes:
    """The password for ``what`` (a key file): from the environment, else asked for."""
    from goship.supply.signing.interface import SigningError

    for name in PASSWORD_VARIABLES:
        if name in environ:
            return environ[name].encode("utf-8")
    if interactive is None:
        interactive = sys.stdin is not None and sys.stdin.isatty()
    if not interactive:
        raise SigningError(f"no password for {what}: GOSHIP_PASSWORD and COSIGN_PASSWORD are not "
                           "set, and there is no terminal to ask on",
                           "set GOSHIP_PASSWORD (an empty value means an empty password)")
    if prompt is None:
        import getpass

        prompt = getpass.getpass
    try:
        first = prompt(f"Enter password for {what}: ")
        if confirm and prompt(f"Enter password for {what} again: ") != first:
            raise SigningError("the two passwords differ", "run it again and type the same password twice")
    except EOFError as exc:
        raise SigningError(f"no password for {what}: the input ended",
                           "set GOSHIP_PASSWORD, or type the password when asked") from exc
    return first.encode("utf-8")


def run_keygen(args: argparse.Namespace) -> int:
    from goship.supply.signing.keys import write_key_pair

    prefix = Path(args.output_key_prefix)
    password = read_password(args.environ, f"{prefix}.key", confirm=True)
    files = write_key_pair(prefix, password, force=args.force)
    if args.json:
        json.dump({"private_key": str(files.private_key), "public_key": str(files.public_key),
                   "algorithm": files.public.algorithm}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return ExitCode.OK
    print(files.private_key)
    print(files.public_key)
    print(f"goship: wrote {files.private_key} (encrypted {files.public.algorithm.split(' SHA')[0]} "
          f"private key, keep it secret) and {files.public_key} (give it to verifiers)", file=sys.stderr)
    return ExitCode.OK
