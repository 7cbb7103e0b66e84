"""An upload whose connection breaks mid-body starts again with a new session and succeeds."""

from __future__ import annotations

import contextlib
import io
import os
import socket
import threading
from collections.abc import Iterator

import pytest
from tests.fixtures.registry import RunningRegistry
from tests.fixtures.samples import unique_repository

from goship.oci.digest import Digest
from goship.oci.reference import Reference
from goship.registry.client import RegistryClient
from goship.registry.keychain import AnonymousKeychain
from goship.registry.options import RegistryOptions

pytestmark = pytest.mark.integration


class CuttingProxy:
    """A TCP proxy to a real registry that cuts the first connection sending a large PUT
    after part of its body, as a flaky network would."""

    def __init__(self, target: str, cut_after: int) -> None:
        host, port = target.rsplit(":", 1)
        self.target = (host, int(port))
        self.cut_after = cut_after
        self.cuts = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.host = f"127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, outgoing: bool) -> None:
        seen_put, sent_after_put = False, 0
        try:
            while data := source.recv(65536):
                if outgoing:
                    seen_put = seen_put or b"PUT /v2/" in data
                    if seen_put:
                        sent_after_put += len(data)
                    with self._lock:
                        if seen_put and sent_after_put > self.cut_after and self.cuts == 0:
                            self.cuts += 1
                            raise ConnectionResetError
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def proxy(registry_plain: RunningRegistry) -> Iterator[CuttingProxy]:
    proxy = CuttingProxy(registry_plain.host, cut_after=1 << 20)
    yield proxy
    proxy.close()


def test_a_broken_upload_restarts_with_a_new_session(proxy: CuttingProxy,
                                                     registry_plain: RunningRegistry) -> None:
    data = os.urandom(3 << 20)
    digest = Digest.of_bytes(data)
    repository = unique_repository()
    options = RegistryOptions(retries=2, backoff=0.01)
    with RegistryClient(options, AnonymousKeychain()) as client:
        through_proxy = Reference.parse(f"{proxy.host}/{repository}:v1")
        outcome = client.upload_blob(through_proxy, digest, len(data), lambda: io.BytesIO(data))
        assert outcome == "uploaded"
        assert proxy.cuts == 1, "the proxy never cut the upload: the test proved nothing"
        direct = Reference.parse(f"{registry_plain.host}/{repository}:v1")
        with client.open_blob(direct, digest) as reader:
            assert reader.read() == data
