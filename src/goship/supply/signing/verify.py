"""Verifying an image's signatures as ``cosign verify --key`` does (without a transparency
log: signatures made with a key pair are checked against the public key alone).

Every layer of the digest's ``.sig`` manifest is one signature, checked on its own:

1. it is a simple-signing layer carrying the ``dev.cosignproject.cosign/signature`` annotation;
2. its payload blob is read whole and must be exactly the bytes its descriptor names
   (digest and size);
3. the signature verifies over those bytes with one of the public keys;
4. the payload is a cosign container image signature naming this exact digest.

The image passes when at least one signature passes all four. Each failure is kept with its
reason, so a user sees why every signature was rejected.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from goship.errors import AuthError, ImageError, RegistryError, UsageError
from goship.oci.digest import Digest
from goship.oci.manifest import Descriptor
from goship.oci.reference import Reference
from goship.supply.signing.interface import (
    COSIGN_SIGNATURE_TYPE,
    SIGNATURE_ANNOTATION,
    SIMPLE_SIGNING_MEDIA_TYPE,
    PayloadError,
    SignatureCheck,
    SignatureRegistry,
    VerificationResult,
)
from goship.supply.signing.keys import PublicKey
from goship.supply.signing.payload import parse_payload
from goship.supply.signing.store import MAX_PAYLOAD_SIZE, read_blob, read_signatures


def decode_signature(text: str) -> bytes | None:
    """The signature bytes of an annotation (base64; line breaks ignored as Go ignores them)."""
    try:
        decoded = base64.b64decode(text.replace("\r", "").replace("\n", ""), validate=True)
    except (binascii.Error, ValueError):
        return None
    return decoded or None


def verify_image(client: SignatureRegistry, reference: Reference, digest: Digest,
                 public_keys: Sequence[PublicKey]) -> VerificationResult:
    """Check every signature stored for ``digest`` in ``reference``'s repository."""
    if not public_keys:
        raise UsageError("verifying signatures needs at least one public key", "give --key PUBLIC_KEY")
    repository = reference.with_tag("")
    keys = tuple(key.source for key in public_keys)
    stored = read_signatures(client, repository, digest)
    if stored.manifest_digest is None:
        return VerificationResult(repository, digest, stored.tag, keys, None, (),
                                  f"no signatures: tag {stored.tag} not found")
    if not stored.layers:
        return VerificationResult(repository, digest, stored.tag, keys, stored.manifest_digest, (),
                                  f"no signatures: tag {stored.tag} holds no layers")
    checks = tuple(_check_layer(client, repository, index, layer, digest, public_keys)
                   for index, layer in enumerate(stored.layers))
    return VerificationResult(repository, digest, stored.tag, keys, stored.manifest_digest, checks)


def _check_layer(client: SignatureRegistry, repository: Reference, index: int, layer: Descriptor,
                 digest: Digest, public_keys: Sequence[PublicKey]) -> SignatureCheck:
    if layer.media_type != SIMPLE_SIGNING_MEDIA_TYPE:
        return SignatureCheck(index, layer.digest, False, f"layer media type "
                              f"{layer.media_type or '(none)'} is not a simple-signing payload")
    try:
        payload = read_blob(client, repository, layer, MAX_PAYLOAD_SIZE)
    except AuthError:
        raise
    except ValueError as exc:
        return SignatureCheck(index, layer.digest, False, f"payload {layer.digest.short()}: {exc}")
    except (ImageError, RegistryError) as exc:
        return SignatureCheck(index, layer.digest, False, f"payload {layer.digest.short()}: {exc.message}")
    return check_payload(index, payload, layer.annotation(SIGNATURE_ANNOTATION), digest, public_keys)


def check_payload(index: int, payload: bytes, signature: str | None, digest: Digest,
                  public_keys: Sequence[PublicKey]) -> SignatureCheck:
    """Steps 3 and 4 for one payload and its base64 ``signature`` (None: no annotation)."""
    payload_digest = Digest.of_bytes(payload)
    if signature is None:
        return SignatureCheck(index, payload_digest, False,
                              f"the layer has no {SIGNATURE_ANNOTATION} annotation")
    decoded = decode_signature(signature)
    if decoded is None:
        return SignatureCheck(index, payload_digest, False, "the signature annotation is not base64")
    key = next((key for key in public_keys if key.verify(decoded, payload)), None)
    if key is None:
        names = ", ".join(item.source for item in public_keys)
        which = f"any of {names}" if len(public_keys) > 1 else names
        return SignatureCheck(index, payload_digest, False, f"the signature does not verify with {which}")
    try:
        document = parse_payload(payload)
    except PayloadError as exc:
        return SignatureCheck(index, payload_digest, False, f"signed by {key.source}, but {exc.message}",
                              key=key.source)
    shown = tuple(document.annotation_strings().items())
    if document.type != COSIGN_SIGNATURE_TYPE:
        return SignatureCheck(index, payload_digest, False,
                              f"signed by {key.source}, but the payload's type is {document.type!r}, "
                              f"not {COSIGN_SIGNATURE_TYPE!r}", key.source, document.docker_reference, shown)
    if document.manifest_digest != str(digest):
        return SignatureCheck(index, payload_digest, False,
                              f"signed by {key.source}, but the payload names {document.manifest_digest}, "
                              f"not this image's {digest}", key.source, document.docker_reference, shown)
    return SignatureCheck(index, payload_digest, True, "", key.source, document.docker_reference, shown)
