"""Pushing blobs: existence check, cross-repository mount, monolithic or chunked upload.

The body is streamed from ``opener`` in pieces and never held whole in memory (a chunked
upload holds one chunk). ``opener`` is called again for every attempt, so a failed upload
can be retried from the start.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import BinaryIO

import httpx

from goship.errors import AuthError, ImageError, RegistryError
from goship.oci.digest import Digest
from goship.oci.reference import Reference
from goship.registry.blobs import blob_exists
from goship.registry.challenge import pull_scope, push_scope
from goship.registry.failures import describe, error_codes, error_for_status
from goship.registry.transport import Transport
from goship.registry.urls import add_query, resolve_location

Opener = Callable[[], BinaryIO]
Progress = Callable[[int], None]

STREAM_PIECE = 1 << 20
# Used when a registry refuses a monolithic upload as too large (413).
FALLBACK_CHUNK_SIZE = 8 << 20
OCTET_STREAM = "application/octet-stream"


def _report(on_progress: Progress | None, sent: int) -> None:
    if on_progress is not None:
        on_progress(sent)


def _stream(
    opener: Opener, digest: Digest, size: int, on_progress: Progress | None, what: str
) -> Iterator[bytes]:
    """The blob's bytes from a freshly opened stream, checked against the declared size."""
    sent = 0
    with opener() as source:
        while piece := source.read(STREAM_PIECE):
            sent += len(piece)
            if sent > size:
                raise ImageError(
                    f"{what}: the blob holds more than the {size} bytes declared",
                    "the blob changed since it was hashed; rebuild the image",
                )
            _report(on_progress, sent)
            yield piece
    if sent != size:
        raise ImageError(
            f"{what}: the blob holds {sent} bytes, not the {size} declared",
            "the blob changed since it was hashed; rebuild the image",
        )


def upload_blob(
    transport: Transport,
    ref: Reference,
    digest: Digest,
    size: int,
    opener: Opener,
    *,
    mount_from: Reference | None = None,
    on_progress: Progress | None = None,
    chunk_size: int | None = None,
    likely_present: bool = False,
) -> str:
    """Make the blob exist in ``ref``'s repository: "exists", "mounted" or "uploaded".

    For a blob that is ``likely_present`` (a base layer) the existence check comes first;
    otherwise it runs beside opening the upload session.

    ``on_progress`` gets the number of bytes sent so far (it restarts from 0 when an
    attempt is retried).
    """
    what = f"pushing blob {digest.short()} to {ref.name}"
    scopes: tuple[str, ...] = (push_scope(ref.repository),)
    mount_scopes = scopes
    query = ""
    if (
        mount_from is not None
        and mount_from.api_host == ref.api_host
        and mount_from.repository != ref.repository
    ):
        mount_scopes = (*scopes, pull_scope(mount_from.repository))
        query = f"?mount={digest}&from={mount_from.repository}"
    session: str | None = None
    if query or likely_present:
        if blob_exists(transport, ref, digest, scopes):
            return "exists"
    else:
        # Ask whether the blob is there and open an upload session at the same time: one
        # round trip instead of two for a new blob; a session not needed is cancelled.
        with ThreadPoolExecutor(max_workers=1) as side:
            opening = side.submit(_open_session, transport, ref, scopes, what)
            exists = blob_exists(transport, ref, digest, scopes)
            session = opening.result()
        if exists:
            _cancel_session(transport, session, scopes, what)
            return "exists"
    attempts = 1 + max(transport.options.retries, 0)
    for attempt in range(attempts):
        try:
            return _upload_once(transport, ref, digest, size, opener, query, mount_scopes,
                                on_progress, chunk_size, what, session)
        except RegistryError as exc:
            # A session whose upload broke off may hold part of the bytes: never resume it,
            # start again with a new one. Refusals (AuthError) are not worth retrying.
            if isinstance(exc, AuthError) or attempt + 1 >= attempts:
                raise
            session = None
            time.sleep(transport.options.backoff * (2**attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def _upload_once(
    transport: Transport,
    ref: Reference,
    digest: Digest,
    size: int,
    opener: Opener,
    query: str,
    mount_scopes: tuple[str, ...],
    on_progress: Progress | None,
    chunk_size: int | None,
    what: str,
    location: str | None = None,
) -> str:
    scopes = (push_scope(ref.repository),)
    response: httpx.Response | None = None
    if location is None:
        response = transport.request(
            "POST",
            f"/v2/{ref.repository}/blobs/uploads/{query}",
            what=what,
            scopes=mount_scopes,
            headers={"Content-Length": "0"},
            retry=True,  # a second upload session is harmless
        )
        if response.status_code == 201 and query:
            return "mounted"
        location = _session(response, what, transport)
    minimum = response.headers.get("oci-chunk-min-length", "") if response is not None else ""
    if chunk_size is not None:
        if minimum.isdigit():
            chunk_size = max(chunk_size, int(minimum))
        _upload_chunked(transport, location, ref, digest, size, opener, chunk_size,
                        on_progress, what)
        return "uploaded"
    response = transport.request(
        "PUT",
        add_query(location, digest=str(digest)),
        what=what,
        scopes=scopes,
        headers={"Content-Type": OCTET_STREAM, "Content-Length": str(size)},
        body=lambda: _stream(opener, digest, size, on_progress, what),
        retry=False,  # retried from a new session by upload_blob
    )
    if response.status_code == 413:
        # Too big for one request here: start again in chunks.
        response = transport.request(
            "POST", f"/v2/{ref.repository}/blobs/uploads/", what=what, scopes=scopes,
            headers={"Content-Length": "0"}, retry=True,
        )
        location = _session(response, what, transport)
        chunk = max(FALLBACK_CHUNK_SIZE, int(minimum) if minimum.isdigit() else 0)
        _upload_chunked(transport, location, ref, digest, size, opener, chunk, on_progress, what)
        return "uploaded"
    _check_committed(response, digest, what, transport)
    return "uploaded"


def _open_session(transport: Transport, ref: Reference, scopes: tuple[str, ...], what: str) -> str:
    response = transport.request(
        "POST", f"/v2/{ref.repository}/blobs/uploads/", what=what, scopes=scopes,
        headers={"Content-Length": "0"}, retry=True,
    )
    return _session(response, what, transport)


def _cancel_session(transport: Transport, location: str, scopes: tuple[str, ...], what: str) -> None:
    """Best effort: a session left open is purged by the registry after a while anyway."""
    with contextlib.suppress(RegistryError):
        transport.request("DELETE", location, what=what, scopes=scopes, retry=False).close()


def _session(response: httpx.Response, what: str, transport: Transport) -> str:
    if response.status_code != 202:
        raise error_for_status(response, what, transport.host)
    return resolve_location(str(response.request.url), response.headers.get("location"), what)


def _upload_chunked(
    transport: Transport,
    location: str,
    ref: Reference,
    digest: Digest,
    size: int,
    opener: Opener,
    chunk_size: int,
    on_progress: Progress | None,
    what: str,
) -> None:
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    scopes = (push_scope(ref.repository),)
    offset = 0
    with opener() as source:
        while True:
            chunk = source.read(chunk_size)
            if not chunk:
                break
            if offset + len(chunk) > size:
                raise ImageError(
                    f"{what}: the blob holds more than the {size} bytes declared",
                    "the blob changed since it was hashed; rebuild the image",
                )
            response = transport.request(
                "PATCH",
                location,
                what=what,
                scopes=scopes,
                headers={
                    "Content-Type": OCTET_STREAM,
                    "Content-Length": str(len(chunk)),
                    "Content-Range": f"{offset}-{offset + len(chunk) - 1}",
                },
                content=chunk,
                # A PATCH that broke off may have moved the server's offset: resending it
                # blindly would corrupt the upload.
                retry=False,
            )
            if response.status_code != 202:
                if response.status_code == 416:
                    raise RegistryError(
                        f"{what}: {transport.host} refused the chunk at offset {offset} "
                        f"({describe(response)})",
                        "retry the push; the upload session went out of step",
                    )
                raise error_for_status(response, what, transport.host)
            offset += len(chunk)
            _report(on_progress, offset)
            location = resolve_location(
                str(response.request.url), response.headers.get("location"), what
            )
    if offset != size:
        raise ImageError(
            f"{what}: the blob holds {offset} bytes, not the {size} declared",
            "the blob changed since it was hashed; rebuild the image",
        )
    response = transport.request(
        "PUT",
        add_query(location, digest=str(digest)),
        what=what,
        scopes=scopes,
        headers={"Content-Length": "0"},
        content=b"",
    )
    _check_committed(response, digest, what, transport)


def _check_committed(
    response: httpx.Response, digest: Digest, what: str, transport: Transport
) -> None:
    if response.status_code not in (201, 204):
        if error_codes(response) & {"DIGEST_INVALID", "SIZE_INVALID"}:
            raise ImageError(
                f"{what}: the registry says the uploaded bytes do not match the blob "
                f"({describe(response)})",
                "the opener must return exactly the bytes that were hashed",
            )
        raise error_for_status(response, what, transport.host)
    stored = response.headers.get("docker-content-digest", "")
    if stored and stored != str(digest):
        raise RegistryError(
            f"{what}: the registry stored the blob as {stored}",
            "the registry or a proxy altered the upload; do not trust this registry",
        )
