"""Attaching an SBOM to an image in its registry, both ways readers look for one.

1. cosign's convention (``cosign attach sbom``, ``cosign download sbom``): the manifest
   tagged ``sha256-<hex>.sbom`` in the image's repository is an OCI image manifest whose
   single layer is the SBOM document itself, with the format's media type
   (``application/vnd.cyclonedx+json``, ``text/spdx+json`` as cosign's SBOM specification
   writes it), and whose config is an image config listing that layer. cosign reads an
   attachment only when it has exactly one layer, so the tag holds one document: the last
   one attached, as with ``cosign attach sbom``.
2. OCI 1.1 referrers: a manifest with ``artifactType`` (the format's media type;
   ``application/spdx+json`` for SPDX), the empty config, the document as its layer and
   ``subject`` naming the image, pushed by digest. A registry with the referrers API lists
   it by itself; on one without, the referrers tag schema applies: the index tagged
   ``sha256-<hex>`` lists it, beside whatever it listed before. So a CycloneDX and an SPDX
   document of one image are both found as referrers.

Blobs go before the manifests that name them and manifests before tags, so an interrupted
attach leaves at worst an unreferenced blob. The same document attached twice gives the same
digests and changes nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from goship.errors import ImageError
from goship.oci import mediatypes
from goship.oci.canonical import canonical_json
from goship.oci.digest import Digest
from goship.oci.manifest import Descriptor, Manifest
from goship.oci.reference import Reference
from goship.release.copying import RegistryAPI
from goship.release.referrers import cosign_tag, merged_index, referrers_api
from goship.supply.sbom.interface import ARTIFACT_TYPES

SBOM_SUFFIX = ".sbom"
_EMPTY = b"{}"
_ZERO_TIME = "0001-01-01T00:00:00Z"  # what cosign's (go-containerregistry's) empty image says


@dataclass(frozen=True)
class AttachResult:
    repository: str  # registry/repository
    subject: Digest
    document: Digest  # the SBOM blob (the layer under both manifests)
    media_type: str
    cosign_tag: str  # sha256-<hex>.sbom
    cosign_manifest: Digest
    referrer: Digest  # the OCI 1.1 referrer manifest
    referrers_api: bool  # the registry lists referrers itself
    fallback_tag: str = ""  # sha256-<hex> when the fallback index lists the referrer

    def to_json(self) -> dict[str, Any]:
        return {"repository": self.repository, "subject": str(self.subject),
                "document": str(self.document), "media_type": self.media_type,
                "cosign_tag": self.cosign_tag, "cosign_manifest": str(self.cosign_manifest),
                "referrer": str(self.referrer), "referrers_api": self.referrers_api,
                "fallback_tag": self.fallback_tag or None}


def attach_sbom(client: RegistryAPI, repository_reference: Reference, subject_digest: Digest,
                document_bytes: bytes, media_type: str) -> AttachResult:
    """Store ``document_bytes`` (an SBOM of ``media_type``) as the SBOM of the manifest
    ``subject_digest`` in ``repository_reference``'s repository: under cosign's tag and as an
    OCI 1.1 referrer (see the module docstring)."""
    repository = repository_reference.with_tag("")
    found = client.head_manifest(repository.with_digest(subject_digest))
    if found is None:
        raise ImageError(f"cannot attach an SBOM to {repository.name}@{subject_digest}: the "
                         "registry has no such manifest",
                         "attach to an image that is in the registry (push it first)")
    subject_type, _, subject_size = found
    artifact_type = ARTIFACT_TYPES.get(media_type, media_type)
    document = _push_blob(client, repository, document_bytes, media_type)

    tag = cosign_tag(subject_digest, SBOM_SUFFIX)
    config = _push_blob(client, repository, _cosign_config(document), mediatypes.OCI_CONFIG)
    raw = Manifest(config=config, layers=(document,)).to_bytes()
    cosign_manifest = client.put_manifest(repository.with_tag(tag), raw, mediatypes.OCI_MANIFEST)

    empty = _push_blob(client, repository, _EMPTY, mediatypes.OCI_EMPTY)
    referrer_raw = Manifest(
        config=empty,
        layers=(Descriptor(artifact_type, document.digest, document.size),),
        subject=Descriptor(subject_type, subject_digest, subject_size),
        artifact_type=artifact_type,
    ).to_bytes()
    referrer = client.put_manifest(repository.with_digest(Digest.of_bytes(referrer_raw)),
                                   referrer_raw, mediatypes.OCI_MANIFEST)
    api = referrers_api(client, repository, subject_digest) is not None
    fallback = ""
    if not api:
        fallback = cosign_tag(subject_digest, "")
        existing = None
        if client.head_manifest(repository.with_tag(fallback)) is not None:
            existing = client.get_manifest(repository.with_tag(fallback))[0]
        merged = merged_index(existing, [Descriptor(mediatypes.OCI_MANIFEST, referrer,
                                                    len(referrer_raw), artifact_type=artifact_type)])
        if merged != existing:
            client.put_manifest(repository.with_tag(fallback), merged, mediatypes.OCI_INDEX)
    return AttachResult(repository.name, subject_digest, document.digest, media_type, tag,
                        cosign_manifest, referrer, api, fallback)


def _push_blob(client: RegistryAPI, repository: Reference, data: bytes, media_type: str) -> Descriptor:
    digest = Digest.of_bytes(data)
    client.upload_blob(repository, digest, len(data), lambda: io.BytesIO(data))
    return Descriptor(media_type, digest, len(data))


def _cosign_config(layer: Descriptor) -> bytes:
    """The image config cosign writes for an attachment: no platform, the layer's diff ID
    (stored uncompressed, so its digest) and one empty history entry."""
    return canonical_json({
        "architecture": "", "os": "", "created": _ZERO_TIME, "config": {},
        "history": [{"created": _ZERO_TIME}],
        "rootfs": {"type": "layers", "diff_ids": [str(layer.digest)]},
    })
