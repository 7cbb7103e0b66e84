"""The registry options of the commands that read and write images in registries (`goship
promote`, `goship tags`, `goship verify`): TLS, insecure registries and credentials.

Credentials come as `goship lint --image` takes them: the Docker/Podman credential files, and
GOSHIP_REGISTRY_USERNAME/PASSWORD, which go only to the registries the command names.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from goship.errors import GoshipError, UsageError

if TYPE_CHECKING:
    from goship.oci.reference import Reference
    from goship.policy.image_source import RegistryAccess


def add_registry_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--insecure-registry", dest="insecure", action="append", default=[],
                        metavar="HOST[:PORT]", help="allow plain HTTP / unverified TLS for this registry")
    parser.add_argument("--ca-file", default=None, help="PEM file of CAs to trust for registries")


def parse_reference(text: str, what: str, default_tag: str = "latest") -> Reference:
    """A reference from the command line; ``docker://`` in front is allowed."""
    from goship.oci.reference import Reference

    try:
        return Reference.parse(text.removeprefix("docker://"), default_tag=default_tag)
    except UsageError as exc:
        raise UsageError(f"{what}: {exc.message}", exc.hint) from exc


def registry_access(args: argparse.Namespace, references: Sequence[Reference | str]) -> RegistryAccess:
    """Access to the registries of ``references`` (the only ones credentials are sent to)."""
    from goship.config import registry_access_settings
    from goship.oci.reference import Reference
    from goship.policy.image_source import RegistryAccess

    hosts: list[str] = []
    for reference in references:
        if isinstance(reference, Reference):
            hosts.append(reference.registry)
            continue
        with contextlib.suppress(GoshipError):
            hosts.append(Reference.parse(reference.removeprefix("docker://"), default_tag="").registry)
    ca_file = Path(args.ca_file) if args.ca_file else None
    if ca_file is not None and not ca_file.is_file():
        raise UsageError(f"--ca-file {args.ca_file} does not exist", "give a PEM file of CA certificates")
    return RegistryAccess.from_settings(ca_file=ca_file, insecure=args.insecure,
                                        credential_hosts=list(dict.fromkeys(hosts)),
                                        environment=args.environ,
                                        **registry_access_settings(args.environ))
