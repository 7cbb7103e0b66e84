"""The gates before anything is applied: the image must carry a signature that verifies with
one of the configured public keys (``require-signature``), and its Go modules must have no
unwaived vulnerability at or above ``scan-fail-on``. Each is one small function over what
goship.supply already does; the caller brings the registry client and the scan database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from goship.errors import ExitCode, GoshipError
from goship.oci.digest import Digest
from goship.oci.reference import Reference

if TYPE_CHECKING:
    from goship.gobinary.subject import Subject
    from goship.supply.scan.database import Database
    from goship.supply.scan.interface import ScanSettings
    from goship.supply.signing.interface import SignatureRegistry
    from goship.supply.signing.keys import PublicKey


class VulnerableImageError(GoshipError):
    """The scan gate found vulnerabilities at or above the configured severity."""

    exit_code = ExitCode.VULNERABLE


def require_signature(client: SignatureRegistry, reference: Reference, digest: Digest,
                      keys: Sequence[PublicKey]) -> str:
    """UnverifiedImageError (exit code 11) unless a signature on ``digest`` verifies with one
    of ``keys``; what verified, as a note."""
    from goship.supply.signing import verify_image

    verified = verify_image(client, reference, digest, keys).require(
        "this environment deploys only signed images (require-signature in goship.toml): sign the "
        "image with the private key of one of those public keys (goship sign), then deploy again")
    first = verified.verified[0]
    return f"signature {first.index} under {verified.tag} verified with {first.key}"


def require_scan(subjects: Sequence[Subject], database: Database, settings: ScanSettings, fail_on: str,
                 today: date) -> str:
    """VulnerableImageError (exit code 12) when the image's Go binaries have an unwaived
    vulnerability at or above ``fail_on``; a summary as a note otherwise."""
    from goship.supply.scan.interface import describe_fail_on
    from goship.supply.scan.match import scan_subjects

    result = scan_subjects(subjects, database, settings, today)
    failing = result.failing(fail_on)
    if failing:
        listed = ", ".join(sorted({finding.id for finding in failing})[:5])
        raise VulnerableImageError(
            f"the image has {_count(len(failing))} {describe_fail_on(fail_on)} that no waiver covers "
            f"({listed}); nothing was deployed",
            "update the affected modules and release again, or waive a finding with [[scan.waiver]] "
            "(goship scan IMAGE shows the details)")
    return f"scan: no unwaived vulnerability {describe_fail_on(fail_on)} in {result.binaries} Go binaries"


def _count(number: int) -> str:
    return "1 vulnerability" if number == 1 else f"{number} vulnerabilities"
