"""Manifests and indexes on a registry: get, head, put, delete (``/v2/<name>/manifests/``)."""

from __future__ import annotations

import hashlib

import httpx

from goship.errors import ImageError, RegistryError
from goship.oci import mediatypes
from goship.oci.digest import Digest
from goship.oci.manifest import media_type_of
from goship.oci.reference import Reference
from goship.registry.challenge import delete_scope, pull_scope, push_scope
from goship.registry.failures import (
    content_type,
    describe,
    error_codes,
    error_for_status,
    looks_like_html,
    not_a_registry,
)
from goship.registry.transport import Transport

# Registries must accept manifests of at least 4 MiB (OCI distribution spec); refusing
# bigger answers keeps a broken or hostile server from filling memory.
MAX_MANIFEST_SIZE = 4 * 1024 * 1024
ACCEPT = ", ".join(mediatypes.ALL_MANIFESTS)
_GENERIC_TYPES = ("", "application/json", "application/octet-stream", "text/plain")


def digest_of(raw: bytes, algorithm: str = "sha256") -> Digest:
    return Digest(algorithm, hashlib.new(algorithm, raw).hexdigest())


def _path(ref: Reference, identifier: str | None = None) -> str:
    return f"/v2/{ref.repository}/manifests/{identifier or ref.identifier}"


def _not_found(ref: Reference, response: httpx.Response) -> ImageError:
    if "NAME_UNKNOWN" in error_codes(response):
        return ImageError(
            f"image {ref} not found: repository {ref.name} does not exist",
            "check the registry and repository name; push the image first",
        )
    return ImageError(
        f"image {ref} not found",
        "check the tag or digest, e.g. list the repository's tags",
    )


def _read_manifest(response: httpx.Response, what: str, host: str) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_MANIFEST_SIZE:
        raise RegistryError(
            f"{what}: the manifest is {declared} bytes, more than goship accepts "
            f"({MAX_MANIFEST_SIZE})",
            "this is not an image manifest; check the reference",
        )
    data = bytearray()
    try:
        for chunk in response.iter_bytes():
            data.extend(chunk)
            if len(data) > MAX_MANIFEST_SIZE:
                raise RegistryError(
                    f"{what}: the manifest is more than {MAX_MANIFEST_SIZE} bytes",
                    "this is not an image manifest; check the reference",
                )
    except httpx.HTTPError as exc:
        raise RegistryError(
            f"{what}: the connection to {host} broke while reading the manifest: {exc}",
            "retry; if it keeps failing, check the network and the registry's health",
        ) from exc
    return bytes(data)


def _verify(ref: Reference, raw: bytes, header: str, what: str) -> Digest:
    if ref.digest is not None:
        actual = digest_of(raw, ref.digest.algorithm)
        if actual != ref.digest:
            raise RegistryError(
                f"{what}: the registry sent a manifest whose digest is {actual}, not "
                f"{ref.digest}",
                "the registry or a proxy altered the content; do not trust this registry",
            )
        return ref.digest
    computed = digest_of(raw)
    if header:
        try:
            claimed = Digest.parse(header)
        except ImageError:
            claimed = None
        if claimed is not None and digest_of(raw, claimed.algorithm) != claimed:
            raise RegistryError(
                f"{what}: the manifest's bytes do not match the Docker-Content-Digest "
                f"header {claimed}",
                "the registry or a proxy altered the content; retry, or do not trust it",
            )
    return computed


def get_manifest(transport: Transport, ref: Reference) -> tuple[bytes, str, Digest]:
    what = f"pulling manifest {ref}"
    response = transport.request(
        "GET",
        _path(ref),
        what=what,
        scopes=[pull_scope(ref.repository)],
        headers={"Accept": ACCEPT},
        stream=True,
    )
    try:
        if response.status_code == 404 and not looks_like_html(response):
            raise _not_found(ref, response)
        if response.status_code != 200:
            raise error_for_status(response, what, transport.host)
        if looks_like_html(response):
            raise not_a_registry(transport.host, response, what)
        raw = _read_manifest(response, what, transport.host)
    finally:
        response.close()
    digest = _verify(ref, raw, response.headers.get("docker-content-digest", ""), what)
    media_type = content_type(response)
    if media_type in _GENERIC_TYPES:
        media_type = media_type_of(raw)
    return raw, media_type, digest


def head_manifest(transport: Transport, ref: Reference) -> tuple[str, Digest, int] | None:
    what = f"checking manifest {ref}"
    response = transport.request(
        "HEAD",
        _path(ref),
        what=what,
        scopes=[pull_scope(ref.repository)],
        headers={"Accept": ACCEPT},
    )
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise error_for_status(response, what, transport.host)
    if looks_like_html(response):
        raise not_a_registry(transport.host, response, what)
    header = response.headers.get("docker-content-digest", "")
    media_type = content_type(response)
    size = response.headers.get("content-length", "")
    if not header or media_type in _GENERIC_TYPES or not size.isdigit():
        # Some registries leave these out of HEAD answers: fall back to a GET.
        raw, media_type, digest = get_manifest(transport, ref)
        return media_type, digest, len(raw)
    try:
        digest = Digest.parse(header)
    except ImageError as exc:
        raise RegistryError(
            f"{what}: {transport.host} sent a malformed Docker-Content-Digest {header!r}",
            "the registry does not follow the OCI distribution spec",
        ) from exc
    if ref.digest is not None and digest != ref.digest:
        raise RegistryError(
            f"{what}: the registry answered for digest {digest}, not {ref.digest}",
            "the registry or a proxy is misbehaving; do not trust this registry",
        )
    return media_type, digest, int(size)


def put_manifest(transport: Transport, ref: Reference, raw: bytes, media_type: str) -> Digest:
    """Upload a manifest under the reference's tag (or, without a tag, its digest)."""
    what = f"pushing manifest {ref}"
    digest = digest_of(raw)
    if ref.digest is not None and digest_of(raw, ref.digest.algorithm) != ref.digest:
        raise ImageError(
            f"{what}: the manifest's bytes have digest {digest}, not {ref.digest}",
            "push by tag, or pass the digest of exactly these bytes",
        )
    identifier = ref.tag or str(ref.digest)
    response = transport.request(
        "PUT",
        _path(ref, identifier),
        what=what,
        scopes=[push_scope(ref.repository)],
        headers={"Content-Type": media_type},
        content=raw,
    )
    if response.status_code not in (200, 201, 202, 204):
        codes = error_codes(response)
        if codes & {"MANIFEST_BLOB_UNKNOWN", "BLOB_UNKNOWN"}:
            raise ImageError(
                f"{what}: the registry lacks a blob the manifest refers to ({describe(response)})",
                "push the config and every layer before the manifest",
            )
        if codes & {"MANIFEST_INVALID", "MANIFEST_UNVERIFIED", "TAG_INVALID"}:
            raise ImageError(
                f"{what}: the registry refused the manifest ({describe(response)})",
                "the manifest is malformed or of a type this registry does not accept",
            )
        raise error_for_status(response, what, transport.host)
    header = response.headers.get("docker-content-digest", "")
    if header and header != str(digest):
        try:
            claimed = Digest.parse(header)
        except ImageError:
            claimed = None
        if claimed is None or digest_of(raw, claimed.algorithm) != claimed:
            raise RegistryError(
                f"{what}: the registry stored the manifest as {header}, but its digest is "
                f"{digest}",
                "the registry or a proxy altered the manifest; do not trust this registry",
            )
    return digest


def delete_manifest(transport: Transport, ref: Reference) -> None:
    """Delete the manifest the reference names (registries usually need a digest)."""
    what = f"deleting manifest {ref}"
    response = transport.request(
        "DELETE",
        _path(ref),
        what=what,
        scopes=[pull_scope(ref.repository), delete_scope(ref.repository)],
    )
    if response.status_code in (200, 202, 204):
        return
    if response.status_code == 404 and not looks_like_html(response):
        raise _not_found(ref, response)
    if ref.digest is None and response.status_code in (400, 405):
        raise RegistryError(
            f"{what}: {transport.host} cannot delete by tag ({describe(response)})",
            "delete by digest: resolve the tag to its digest first (head_manifest)",
        )
    if response.status_code == 405 or "UNSUPPORTED" in error_codes(response):
        raise RegistryError(
            f"{what}: {transport.host} does not allow deleting manifests ({describe(response)})",
            "deletion is disabled on this registry (distribution: storage.delete.enabled), "
            "or the registry needs a digest rather than a tag",
        )
    raise error_for_status(response, what, transport.host)
