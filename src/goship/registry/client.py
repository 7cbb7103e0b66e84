"""The OCI distribution client: one entry point over manifests, blobs, uploads and tags.

Written by hand on httpx because the Python OCI client libraries available to us fail
the token-scope upgrade on push (a blob mount needs one token naming both the target's
``pull,push`` and the source's ``pull``). The protocol work lives in one module per verb
(:mod:`manifests`, :mod:`blobs`, :mod:`upload`, :mod:`tags`); auth, retries and TLS in
:mod:`transport`. This class keeps one Transport per registry host, created lazily.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO, cast

from goship.oci.digest import Digest
from goship.oci.reference import Reference
from goship.registry import blobs, bulk_heads, manifests, tags, upload
from goship.registry.credentials import Keychain
from goship.registry.options import RegistryOptions
from goship.registry.transport import Transport
from goship.registry.upload import Opener, Progress

if TYPE_CHECKING:
    from goship.registry.stream import StreamedUpload


class RegistryClient:
    def __init__(self, options: RegistryOptions, keychain: Keychain) -> None:
        self.options = options
        self.keychain = keychain
        self._transports: dict[str, Transport] = {}
        self._lock = threading.Lock()
        self._closed = False

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            transports = list(self._transports.values())
            self._transports.clear()
            self._closed = True
        for transport in transports:
            transport.close()

    def transport(self, ref: Reference) -> Transport:
        """The transport of ``ref``'s registry host (created on first use)."""
        host = ref.api_host
        with self._lock:
            if self._closed:
                raise RuntimeError("RegistryClient is closed")
            transport = self._transports.get(host)
            if transport is None:
                transport = Transport(host, self.options, self.keychain, registry=ref.registry)
                self._transports[host] = transport
            return transport

    # -- manifests ------------------------------------------------------------------

    def get_manifest(self, ref: Reference) -> tuple[bytes, str, Digest]:
        """Raw bytes, media type and digest of the manifest or index ``ref`` names."""
        return manifests.get_manifest(self.transport(ref), ref)

    def head_manifest(self, ref: Reference) -> tuple[str, Digest, int] | None:
        """Media type, digest and size, or None when there is no such manifest."""
        return manifests.head_manifest(self.transport(ref), ref)

    def put_manifest(self, ref: Reference, raw: bytes, media_type: str) -> Digest:
        return manifests.put_manifest(self.transport(ref), ref, raw, media_type)

    def delete_manifest(self, ref: Reference) -> None:
        manifests.delete_manifest(self.transport(ref), ref)

    # -- blobs --------------------------------------------------------------------------

    def blob_exists(self, ref: Reference, digest: Digest) -> bool:
        return blobs.blob_exists(self.transport(ref), ref, digest)

    def open_blob(self, ref: Reference, digest: Digest) -> AbstractContextManager[BinaryIO]:
        """A context manager yielding a reader of the blob; reading it to the end checks
        the bytes against ``digest`` (RegistryError on mismatch).

        The reader is a ``BlobReader`` (a raw binary stream); it is typed as BinaryIO so
        layers fetched from a registry and layers read from disk share one interface.
        """
        return cast("AbstractContextManager[BinaryIO]", blobs.open_blob(self.transport(ref), ref, digest))

    def upload_blob(
        self,
        ref: Reference,
        digest: Digest,
        size: int,
        opener: Opener,
        *,
        mount_from: Reference | None = None,
        on_progress: Progress | None = None,
        likely_present: bool = False,
    ) -> str:
        """Make the blob exist in ``ref``'s repository: returns "exists", "mounted" or
        "uploaded". ``opener`` returns a fresh binary stream of the blob each call."""
        return upload.upload_blob(
            self.transport(ref),
            ref,
            digest,
            size,
            opener,
            mount_from=mount_from,
            on_progress=on_progress,
            chunk_size=self.options.chunk_size,
            likely_present=likely_present,
        )

    def stream_upload(self, ref: Reference) -> StreamedUpload:
        """Start uploading a blob that is still being produced (see registry/stream.py)."""
        from goship.registry.stream import StreamedUpload

        return StreamedUpload(self.transport(ref), ref)

    # -- tags and referrers ---------------------------------------------------------------

    def list_tags(self, ref: Reference, page_size: int | None = None) -> list[str]:
        """Every tag of ``ref``'s repository, following pagination (``page_size`` asks for
        pages of that many tags)."""
        return tags.list_tags(self.transport(ref), ref, page_size)

    def referrers(self, ref: Reference, digest: Digest) -> bytes | None:
        return tags.referrers(self.transport(ref), ref, digest)

    def resolve_tags(
        self,
        ref: Reference,
        names: Iterable[str],
        *,
        expected: Mapping[str, Digest] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, Digest | None]:
        """The digest each tag in ``names`` of ``ref``'s repository names now (None: no such
        tag), for many tags at once (see registry/bulk_heads.py); ``expected`` digests are
        asked about conditionally, which costs the registry less when they still hold."""
        return bulk_heads.resolve_tags(
            self.transport(ref), ref, names, expected=expected, on_progress=on_progress
        )
