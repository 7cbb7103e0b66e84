"""Signatures in a registry, where cosign keeps them: the image manifest tagged
``sha256-<hex>.sig`` in the image's own repository.

Each signature is one layer of that manifest: the payload blob (media type
``application/vnd.dev.cosign.simplesigning.v1+json``) with the base64 signature in the
layer annotation ``dev.cosignproject.cosign/signature``. The config is the image config
go-containerregistry writes for such an image (empty architecture and OS, zero times, one
diff ID and one history entry per layer). A new signature is appended as a new layer, the
others kept as they are; the manifest and config are written with the field order cosign's
Go structs give them, so a manifest goship writes is the one cosign would.

Order keeps a failure harmless: payload and config blobs first, then the manifest under the
tag in one PUT. A registry that refuses any of it leaves the tag as it was.
"""

from __future__ import annotations

import functools
import io
import json
from dataclasses import dataclass, field
from typing import Any

from goship.errors import AuthError, ImageError, RegistryError
from goship.oci import mediatypes
from goship.oci.digest import Digest
from goship.oci.manifest import Descriptor, Manifest
from goship.oci.reference import Reference
from goship.release.referrers import cosign_tag
from goship.supply.signing.gojson import Fields, marshal
from goship.supply.signing.interface import (
    SIGNATURE_ANNOTATION,
    SIGNATURE_SUFFIX,
    SIMPLE_SIGNING_MEDIA_TYPE,
    SignatureRegistry,
    SigningError,
)

ZERO_TIME = "0001-01-01T00:00:00Z"  # Go's zero time.Time, which the config's dates keep
MAX_PAYLOAD_SIZE = 1 << 20  # a payload is a few hundred bytes; anything near this is not one
MAX_CONFIG_SIZE = 4 << 20
_READ_CHUNK = 1 << 16


def signature_tag(digest: Digest) -> str:
    """``sha256-<hex>.sig``: where the signatures of ``digest`` are."""
    return cosign_tag(digest, SIGNATURE_SUFFIX)


@dataclass(frozen=True)
class StoredSignatures:
    """The ``.sig`` manifest of one digest as found (``manifest_digest`` None: no such tag)."""

    repository: Reference
    subject: Digest
    tag: str
    manifest_digest: Digest | None = None
    manifest: Manifest | None = None
    data: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def layers(self) -> tuple[Descriptor, ...]:
        return self.manifest.layers if self.manifest is not None else ()


def read_signatures(client: SignatureRegistry, repository: Reference, digest: Digest) -> StoredSignatures:
    """The signatures stored for ``digest`` in ``repository`` (none when the tag is absent)."""
    repository = repository.with_tag("")
    tag = signature_tag(digest)
    found = client.head_manifest(repository.with_tag(tag))
    if found is None:
        return StoredSignatures(repository, digest, tag)
    raw, media_type, manifest_digest = client.get_manifest(repository.with_digest(found[1]))
    what = f"{repository.name}:{tag}"
    if not mediatypes.is_manifest(media_type):
        raise SigningError(f"{what} is a {media_type or 'manifest of unknown type'}, not a signature "
                           "image manifest", "the tag was not written by cosign or goship sign; "
                           "delete it and sign the image again")
    try:
        data = json.loads(raw)
        manifest = Manifest.from_bytes(raw)
    except (ImageError, ValueError) as exc:
        raise SigningError(f"{what}: the signature manifest is malformed ({exc})",
                           "delete the tag and sign the image again") from exc
    return StoredSignatures(repository, digest, tag, manifest_digest, manifest, data)


def read_blob(client: SignatureRegistry, repository: Reference, descriptor: Descriptor, limit: int) -> bytes:
    """A small blob, whole; the client checks its bytes against the digest at the end.
    ValueError when it is bigger than ``limit`` or than its descriptor says."""
    if descriptor.size > limit:
        raise ValueError(f"the layer says {descriptor.size} bytes, more than goship reads ({limit})")
    data = bytearray()
    with client.open_blob(repository.with_tag(""), descriptor.digest) as reader:
        while chunk := reader.read(_READ_CHUNK):
            data.extend(chunk)
            if len(data) > descriptor.size:
                raise ValueError(f"the blob is longer than the {descriptor.size} bytes its layer says")
    if len(data) != descriptor.size:
        raise ValueError(f"the blob is {len(data)} bytes, its layer says {descriptor.size}")
    return bytes(data)


def append_signature(client: SignatureRegistry, stored: StoredSignatures, payload: bytes,
                     signature: str, annotations: tuple[tuple[str, str], ...] = ()) -> tuple[Digest, int]:
    """Push ``payload`` signed by ``signature`` as a new last layer of the ``.sig`` manifest;
    returns the manifest's new digest and the new layer's index."""
    repository = stored.repository
    layer_annotations = {**dict(annotations), SIGNATURE_ANNOTATION: signature}
    layer = Descriptor(SIMPLE_SIGNING_MEDIA_TYPE, Digest.of_bytes(payload), len(payload),
                       annotations=tuple(sorted(layer_annotations.items())))
    layers = (*stored.layers, layer)
    previous = _previous_config(client, stored)
    config = signature_config(previous, [str(item.digest) for item in layers], appended=1)
    config_media_type = (stored.manifest.config.media_type if stored.manifest is not None
                         else mediatypes.OCI_CONFIG)
    manifest_media_type = (stored.manifest.media_type if stored.manifest is not None
                           else mediatypes.OCI_MANIFEST)
    config_descriptor = Descriptor(config_media_type, Digest.of_bytes(config), len(config))
    for blob in (payload, config):
        client.upload_blob(repository, Digest.of_bytes(blob), len(blob), functools.partial(io.BytesIO, blob))
    raw = signature_manifest(manifest_media_type, config_descriptor, layers, stored.data)
    digest = client.put_manifest(repository.with_tag(stored.tag), raw, manifest_media_type)
    return digest, len(layers) - 1


def _previous_config(client: SignatureRegistry, stored: StoredSignatures) -> dict[str, Any] | None:
    """The config of the existing ``.sig`` manifest, whose dates and history are kept."""
    if stored.manifest is None:
        return None
    try:
        data = json.loads(read_blob(client, stored.repository, stored.manifest.config, MAX_CONFIG_SIZE))
    except AuthError:
        raise
    except (ValueError, ImageError, RegistryError):
        return None  # unreadable: rebuilt from the layers, as a fresh signature image's would be
    return data if isinstance(data, dict) else None


def signature_config(previous: dict[str, Any] | None, diff_ids: list[str], appended: int) -> bytes:
    """The image config of a signature image whose layers have ``diff_ids`` (a payload's
    diff ID is its digest: it is not compressed). ``previous`` is the config before the last
    ``appended`` layers were added (None: a new signature image)."""
    if previous is None:
        history: list[Any] = [{} for _ in diff_ids]
        created: Any = ZERO_TIME
        base: dict[str, Any] = {}
    else:
        base = previous
        old = base.get("history")
        history = [*(old if isinstance(old, list) else []), *({} for _ in range(appended))]
        created = base.get("created", ZERO_TIME)
    rootfs: dict[str, Any] = base["rootfs"] if isinstance(base.get("rootfs"), dict) else {}
    fields: list[tuple[str, Any]] = [("architecture", base.get("architecture", ""))]
    fields += [(key, base[key]) for key in ("author", "container") if base.get(key)]
    fields.append(("created", created))
    if base.get("docker_version"):
        fields.append(("docker_version", base["docker_version"]))
    if history:
        fields.append(("history", [_history_entry(entry) for entry in history]))
    fields += [("os", base.get("os", "")),
               ("rootfs", Fields((("type", rootfs.get("type", "layers")), ("diff_ids", diff_ids)))),
               ("config", base.get("config") if isinstance(base.get("config"), dict) else {})]
    fields += [(key, base[key]) for key in ("os.version", "variant", "os.features") if base.get(key)]
    return marshal(Fields(tuple(fields)))


def _history_entry(entry: Any) -> Fields:
    entry = entry if isinstance(entry, dict) else {}
    fields: list[tuple[str, Any]] = []
    if entry.get("author"):
        fields.append(("author", entry["author"]))
    fields.append(("created", entry.get("created", ZERO_TIME)))
    fields += [(key, entry[key]) for key in ("created_by", "comment", "empty_layer") if entry.get(key)]
    return Fields(tuple(fields))


def _descriptor(item: Descriptor) -> Fields:
    fields: list[tuple[str, Any]] = [("mediaType", item.media_type), ("size", item.size),
                                     ("digest", str(item.digest))]
    if item.urls:
        fields.append(("urls", list(item.urls)))
    if item.annotations:
        fields.append(("annotations", dict(item.annotations)))
    if item.platform is not None:
        fields.append(("platform", item.platform.to_json()))
    if item.artifact_type:
        fields.append(("artifactType", item.artifact_type))
    return Fields(tuple(fields))


def signature_manifest(media_type: str, config: Descriptor, layers: tuple[Descriptor, ...],
                       previous: dict[str, Any] | None = None) -> bytes:
    """The manifest bytes, in go-containerregistry's field order; the previous manifest's
    annotations and subject are kept."""
    fields: list[tuple[str, Any]] = [("schemaVersion", 2), ("mediaType", media_type),
                                     ("config", _descriptor(config)),
                                     ("layers", [_descriptor(layer) for layer in layers])]
    previous = previous or {}
    if isinstance(previous.get("annotations"), dict) and previous["annotations"]:
        fields.append(("annotations", previous["annotations"]))
    if isinstance(previous.get("subject"), dict):
        fields.append(("subject", _descriptor(Descriptor.from_json(previous["subject"]))))
    return marshal(Fields(tuple(fields)))
