"""Reading blobs from a registry: existence checks and verified streaming downloads."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from goship.errors import ImageError, RegistryError
from goship.oci.digest import Digest
from goship.oci.reference import Reference
from goship.registry.challenge import pull_scope
from goship.registry.failures import error_for_status, looks_like_html, network_error
from goship.registry.transport import Transport

READ_CHUNK = 1 << 20


def blob_path(ref: Reference, digest: Digest) -> str:
    return f"/v2/{ref.repository}/blobs/{digest}"


def blob_exists(
    transport: Transport, ref: Reference, digest: Digest, scopes: tuple[str, ...] = ()
) -> bool:
    """HEAD the blob. ``scopes`` lets an upload ask for its push token up front."""
    what = f"checking blob {digest.short()} in {ref.name}"
    response = transport.request(
        "HEAD",
        blob_path(ref, digest),
        what=what,
        scopes=scopes or (pull_scope(ref.repository),),
        follow_redirects=True,
    )
    if response.status_code == 200:
        return True
    if response.status_code == 404:
        return False
    raise error_for_status(response, what, transport.host)


class BlobReader(io.RawIOBase):
    """The bytes of a blob as they arrive; at the end they must hash to the digest."""

    def __init__(
        self, response: httpx.Response, digest: Digest, what: str, host: str, timeout: float
    ) -> None:
        super().__init__()
        self._response = response
        self._chunks = response.iter_bytes(READ_CHUNK)
        self._digest = digest
        self._hasher = hashlib.new(digest.algorithm)
        self._buffer = memoryview(b"")
        self._what = what
        self._host = host
        self._timeout = timeout
        self.size = 0
        self.verified = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._buffer:
            if self.verified:
                return 0
            try:
                chunk = next(self._chunks)
            except StopIteration:
                self._finish()
                return 0
            except httpx.HTTPError as exc:
                raise network_error(exc, self._host, self._what, self._timeout) from exc
            self._hasher.update(chunk)
            self.size += len(chunk)
            self._buffer = memoryview(chunk)
        count = min(len(buffer), len(self._buffer))
        buffer[:count] = self._buffer[:count]
        self._buffer = self._buffer[count:]
        return count

    def _finish(self) -> None:
        actual = Digest(self._digest.algorithm, self._hasher.hexdigest())
        if actual != self._digest:
            raise RegistryError(
                f"{self._what}: the {self.size} bytes received hash to {actual.short()}, "
                f"not {self._digest.short()}",
                "the download was corrupted or the registry is misbehaving; retry",
            )
        self.verified = True

    def close(self) -> None:
        self._response.close()
        super().close()


@contextmanager
def open_blob(transport: Transport, ref: Reference, digest: Digest) -> Iterator[BlobReader]:
    """Stream a blob (following redirects to storage); reading to the end verifies it."""
    what = f"pulling blob {digest.short()} from {ref.name}"
    response = transport.request(
        "GET",
        blob_path(ref, digest),
        what=what,
        scopes=[pull_scope(ref.repository)],
        stream=True,
        follow_redirects=True,
    )
    try:
        if response.status_code == 404 and not looks_like_html(response):
            raise ImageError(
                f"{what}: the registry has no such blob",
                "the image refers to a blob its registry lost or never had; push it again",
            )
        if response.status_code != 200 or looks_like_html(response):
            raise error_for_status(response, what, transport.host)
        reader = BlobReader(response, digest, what, transport.host, transport.options.timeout)
        with reader:
            yield reader
    finally:
        response.close()
