"""Uploading a blob while it is still being made: the layer streams out as it is compressed.

A session is opened, the bytes go up in one PATCH as they arrive (chunked transfer
encoding), and the upload is committed with the digest once the producer knows it. The
registry checks that digest against what it received, so a stream that went wrong can
never be stored under the wrong name. A failure is not an error: ``finish`` says False and
the caller uploads the blob the ordinary way.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Iterator

from goship.errors import GoshipError
from goship.oci.digest import Digest
from goship.oci.reference import Reference
from goship.registry.challenge import push_scope
from goship.registry.failures import error_for_status
from goship.registry.transport import Transport
from goship.registry.upload import OCTET_STREAM, _cancel_session, _check_committed, _open_session
from goship.registry.urls import add_query, resolve_location

log = logging.getLogger(__name__)

# How many pieces may wait for the network: the producer slows to the upload's pace
# rather than holding the whole blob in memory.
MAX_PENDING = 8


class StreamedUpload:
    def __init__(self, transport: Transport, ref: Reference) -> None:
        self._transport = transport
        self._ref = ref
        self._scopes = (push_scope(ref.repository),)
        self._what = f"streaming a blob to {ref.name}"
        self._pending: queue.Queue[bytes | None] = queue.Queue(maxsize=MAX_PENDING)
        self._failed = threading.Event()
        self._location: str | None = None
        self._sent = 0
        self._ended = False  # the end marker has been taken from the queue
        self._thread = threading.Thread(target=self._run, name="goship-stream", daemon=True)
        self._thread.start()

    def write(self, piece: bytes) -> None:
        """Queue the next bytes of the blob (blocks while the network is behind)."""
        if not self._failed.is_set():
            self._pending.put(piece)

    def finish(self, digest: Digest, size: int) -> bool:
        """Commit the blob as ``digest``; False when the stream failed (nothing is stored)."""
        self._pending.put(None)
        self._thread.join()
        if self._failed.is_set() or self._location is None or self._sent != size:
            self._cancel()
            return False
        try:
            response = self._transport.request(
                "PUT", add_query(self._location, digest=str(digest)), what=self._what,
                scopes=self._scopes, headers={"Content-Length": "0"}, content=b"", retry=False,
            )
            _check_committed(response, digest, self._what, self._transport)
        except GoshipError as exc:
            log.debug("%s: commit failed: %s", self._what, exc.message)
            return False
        return True

    def abort(self) -> None:
        """The blob will not be finished: end the stream and drop the session."""
        self._failed.set()
        self._pending.put(None)
        self._thread.join()
        self._cancel()

    def _cancel(self) -> None:
        if self._location is not None:
            with contextlib.suppress(GoshipError):
                _cancel_session(self._transport, self._location, self._scopes, self._what)

    def _pieces(self) -> Iterator[bytes]:
        while (piece := self._pending.get()) is not None:
            self._sent += len(piece)
            yield piece
        self._ended = True

    def _run(self) -> None:
        try:
            location = _open_session(self._transport, self._ref, self._scopes, self._what)
            self._location = location
            response = self._transport.request(
                "PATCH", location, what=self._what, scopes=self._scopes,
                headers={"Content-Type": OCTET_STREAM}, body=self._pieces, retry=False,
            )
            if response.status_code != 202:
                raise error_for_status(response, self._what, self._transport.host)
            self._location = resolve_location(str(response.request.url),
                                              response.headers.get("location"), self._what)
        except Exception as exc:  # any failure leaves the ordinary upload to do the work
            log.debug("%s: %s", self._what, exc)
            self._failed.set()
            # Let a producer blocked on a full queue go on, up to the end marker.
            while not self._ended:
                self._ended = self._pending.get() is None
