"""What signing and verification share: cosign's names, the errors, the results, and what
they need of a registry client.

Every error here exits with code 11 (SIGNATURE). Registry failures met on the way keep
their own codes (6 REGISTRY, 7 AUTH, 5 IMAGE): a registry that refuses the signature tag is
a registry problem, not a signature one. A signature that does not verify is not an error
but a failed SignatureCheck (data, with its reason); the caller decides whether "none
verified" stops it (UnverifiedImageError).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

from goship.errors import ExitCode, GoshipError
from goship.oci.digest import Digest
from goship.oci.reference import Reference
from goship.publish.registry import BlobAndManifestWriter

SIMPLE_SIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
COSIGN_SIGNATURE_TYPE = "cosign container image signature"
SIGNATURE_SUFFIX = ".sig"


class SigningError(GoshipError):
    """A signing key cannot be made, read or decrypted, or an image's signatures do not verify."""

    exit_code = ExitCode.SIGNATURE


class KeyFileError(SigningError):
    """A key file is missing, unreadable, malformed, or holds a key cosign refuses."""


class WrongPasswordError(KeyFileError):
    """The password does not decrypt the private key."""


class PayloadError(SigningError):
    """A signature payload is not a simple-signing document (or cannot be written as one)."""


class UnverifiedImageError(SigningError):
    """No signature on an image verifies with the given keys."""

    def __init__(self, result: VerificationResult, hint: str = "") -> None:
        super().__init__(
            f"no signature on {result.repository.name}@{result.digest} verifies with "
            f"{', '.join(result.keys) or 'no key'}: {result.failure_summary()}",
            hint or "sign the image with the private key of one of these public keys "
                    "(goship sign REF --key cosign.key), or check that the right key is given")
        self.result = result


class SignatureRegistry(BlobAndManifestWriter, Protocol):
    """What signing and verifying need of a registry client (``goship.registry.RegistryClient``):
    writing blobs and manifests as publishing does, and reading them back."""

    def get_manifest(self, ref: Reference) -> tuple[bytes, str, Digest]: ...

    def open_blob(self, ref: Reference, digest: Digest) -> AbstractContextManager[BinaryIO]: ...


@dataclass(frozen=True)
class SignatureResult:
    """One signature made by ``sign_image`` (or found already there)."""

    repository: Reference  # where the image and its signatures are
    digest: Digest  # the signed manifest or index
    tag: str  # sha256-<hex>.sig
    signature_manifest: Digest  # what the tag names now
    layer_index: int  # the signature's position among the layers of that manifest
    layers: int  # signatures under the tag now
    payload_digest: Digest
    signature: str  # base64 ASN.1 DER, as in the annotation
    key: str  # the private key file
    added: bool  # False: the same payload signed by the same key was there already
    annotations: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"repository": self.repository.name, "digest": str(self.digest), "tag": self.tag,
                "signature_manifest": str(self.signature_manifest),
                "reference": f"{self.repository.name}:{self.tag}@{self.signature_manifest}",
                "layer": self.layer_index, "layers": self.layers,
                "payload_digest": str(self.payload_digest), "signature": self.signature,
                "key": self.key, "added": self.added, "annotations": dict(self.annotations)}


@dataclass(frozen=True)
class SignatureCheck:
    """What one signature (one layer of the ``.sig`` manifest) showed."""

    index: int  # layer index
    payload_digest: Digest | None
    verified: bool
    reason: str = ""  # why not, when not verified
    key: str = ""  # the public key that verified it
    docker_reference: str = ""  # the repository the payload names
    annotations: tuple[tuple[str, str], ...] = ()  # the payload's optional annotations

    def to_json(self) -> dict[str, Any]:
        return {"layer": self.index,
                "payload_digest": str(self.payload_digest) if self.payload_digest else None,
                "verified": self.verified, "key": self.key or None, "reason": self.reason or None,
                "docker_reference": self.docker_reference or None,
                "annotations": dict(self.annotations)}


@dataclass(frozen=True)
class VerificationResult:
    """Every signature on one digest, checked against a set of public keys."""

    repository: Reference
    digest: Digest
    tag: str
    keys: tuple[str, ...]  # the public key files, as given
    signature_manifest: Digest | None  # None: the tag does not exist
    checks: tuple[SignatureCheck, ...]
    problem: str = ""  # why no signature could be checked at all ("" when some were)

    @property
    def ok(self) -> bool:
        return any(check.verified for check in self.checks)

    @property
    def verified(self) -> tuple[SignatureCheck, ...]:
        return tuple(check for check in self.checks if check.verified)

    def failure_summary(self) -> str:
        if self.problem:
            return self.problem
        return "; ".join(f"signature {check.index}: {check.reason}" for check in self.checks
                         if not check.verified) or "no signatures"

    def require(self, hint: str = "") -> VerificationResult:
        """This result if a signature verified; UnverifiedImageError otherwise."""
        if not self.ok:
            raise UnverifiedImageError(self, hint)
        return self

    def to_json(self) -> dict[str, Any]:
        return {"repository": self.repository.name, "digest": str(self.digest), "tag": self.tag,
                "signature_manifest": str(self.signature_manifest) if self.signature_manifest else None,
                "keys": list(self.keys), "verified": self.ok, "problem": self.problem or None,
                "signatures": [check.to_json() for check in self.checks]}
