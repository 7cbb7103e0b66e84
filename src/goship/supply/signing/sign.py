"""Signing an image as ``cosign sign --key`` does: the simple-signing payload for the digest,
signed with the private key, appended to the digest's ``.sig`` manifest.

An index is signed as the index (its own digest), as cosign signs what the reference names.
Signing again with the same key and annotations adds nothing: the payload would be the same
bytes, and a layer holding them with a signature this key made is already there.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from goship.errors import ImageError
from goship.oci.digest import Digest
from goship.oci.reference import Reference
from goship.supply.signing.interface import SIGNATURE_ANNOTATION, SignatureRegistry, SignatureResult
from goship.supply.signing.keys import PrivateKey
from goship.supply.signing.payload import docker_reference, make_payload, parse_payload
from goship.supply.signing.store import append_signature, read_signatures
from goship.supply.signing.verify import decode_signature


def resolve_digest(client: SignatureRegistry, reference: Reference) -> Digest:
    """The digest of the manifest or index ``reference`` names (checked to exist)."""
    found = client.head_manifest(reference)
    if found is None:
        raise ImageError(f"image {reference} not found",
                         "check the repository and tag; push the image before signing or verifying it")
    return found[1]


def sign_image(client: SignatureRegistry, reference: Reference, digest: Digest, private_key: PrivateKey,
               annotations: Mapping[str, Any] | None = None) -> SignatureResult:
    """Sign the image ``digest`` in ``reference``'s repository and store the signature there.

    The payload names the repository (``docker-reference``) and the digest; ``annotations``
    go into its ``optional`` part (None or empty: ``null``, as cosign without ``-a``)."""
    repository = reference.with_tag("")
    payload = make_payload(docker_reference(repository), digest, annotations)
    payload_digest = Digest.of_bytes(payload)
    stored = read_signatures(client, repository, digest)
    shown = parse_payload(payload).annotation_strings()
    public = private_key.public_key()
    for index, layer in enumerate(stored.layers):
        existing = layer.annotation(SIGNATURE_ANNOTATION) or ""
        signature = decode_signature(existing)
        if layer.digest == payload_digest and signature is not None and public.verify(signature, payload):
            assert stored.manifest_digest is not None
            return SignatureResult(repository, digest, stored.tag, stored.manifest_digest, index,
                                   len(stored.layers), payload_digest, existing, private_key.source,
                                   added=False, annotations=tuple(shown.items()))
    encoded = base64.b64encode(private_key.sign(payload)).decode("ascii")
    manifest_digest, index = append_signature(client, stored, payload, encoded)
    return SignatureResult(repository, digest, stored.tag, manifest_digest, index, index + 1,
                           payload_digest, encoded, private_key.source, added=True,
                           annotations=tuple(shown.items()))
