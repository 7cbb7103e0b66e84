"""The simple-signing payload: the JSON document a cosign signature signs.

It names the image by its manifest digest, says which repository it was signed in, and
carries the signer's annotations::

    {"critical":{"identity":{"docker-reference":"REGISTRY/REPO"},
                 "image":{"docker-manifest-digest":"sha256:…"},
                 "type":"cosign container image signature"},
     "optional":{…annotations…} or null}

The bytes are Go's ``encoding/json`` output for cosign's structs (goship.supply.signing.gojson),
so a payload goship writes is the one cosign writes for the same image and annotations.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from goship.oci.digest import Digest
from goship.oci.reference import DEFAULT_REGISTRY, Reference
from goship.supply.signing.gojson import Fields, marshal
from goship.supply.signing.interface import COSIGN_SIGNATURE_TYPE, PayloadError

# go-containerregistry names Docker Hub so in a repository's full name
DOCKER_HUB_NAME = "index.docker.io"


def docker_reference(repository: Reference) -> str:
    """The repository as cosign names it in a payload: ``REGISTRY/REPOSITORY``, Docker Hub
    written ``index.docker.io`` as go-containerregistry writes it."""
    registry = DOCKER_HUB_NAME if repository.registry == DEFAULT_REGISTRY else repository.registry
    return f"{registry}/{repository.repository}"


def make_payload(identity: str, digest: Digest, annotations: Mapping[str, Any] | None = None) -> bytes:
    """The payload bytes for the image ``digest`` signed in ``identity`` (a repository name,
    see :func:`docker_reference`). No annotations (None or empty) is written ``"optional":null``,
    as `cosign sign` without ``-a`` writes it."""
    critical = Fields((
        ("identity", Fields((("docker-reference", identity),))),
        ("image", Fields((("docker-manifest-digest", str(digest)),))),
        ("type", COSIGN_SIGNATURE_TYPE),
    ))
    return marshal(Fields((("critical", critical), ("optional", dict(annotations) if annotations else None))))


@dataclass(frozen=True)
class SimpleSigningPayload:
    """What a payload says, read back."""

    docker_reference: str
    manifest_digest: str  # as written; compare with str(Digest)
    type: str
    annotations: Mapping[str, Any] | None

    def annotation_strings(self) -> dict[str, str]:
        """The annotations for display: strings as they are, other values as JSON."""
        return {key: value if isinstance(value, str) else json.dumps(value)
                for key, value in sorted((self.annotations or {}).items())}


def parse_payload(raw: bytes) -> SimpleSigningPayload:
    """Read a payload; PayloadError when it is not a simple-signing document."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"the payload is not JSON: {exc}", "") from exc
    critical = data.get("critical") if isinstance(data, dict) else None
    if not isinstance(critical, dict):
        raise PayloadError("the payload has no 'critical' object", "")
    identity = critical.get("identity")
    image = critical.get("image")
    reference = identity.get("docker-reference") if isinstance(identity, dict) else None
    digest = image.get("docker-manifest-digest") if isinstance(image, dict) else None
    kind = critical.get("type")
    if not isinstance(digest, str):
        raise PayloadError("the payload names no image digest (critical.image.docker-manifest-digest)", "")
    if not isinstance(kind, str):
        raise PayloadError("the payload has no signature type (critical.type)", "")
    optional = data.get("optional")
    return SimpleSigningPayload(reference if isinstance(reference, str) else "", digest, kind,
                                optional if isinstance(optional, dict) else None)
