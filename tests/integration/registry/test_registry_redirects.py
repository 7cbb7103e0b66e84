"""Blob downloads that redirect to a storage service must not carry registry credentials.

distribution's filesystem storage never redirects, so a small stand-in registry that
redirects blob reads plays the registry here; what is checked is what reaches storage.
"""

from __future__ import annotations

import base64
import hashlib
from typing import ClassVar

import pytest
from tests.fixtures.httpserver import QuietHandler, serve

from goship.oci.digest import Digest
from goship.oci.reference import Reference
from goship.registry import RegistryClient, RegistryOptions, StaticKeychain

pytestmark = pytest.mark.integration

BLOB = b"layer bytes kept in object storage" * 100
DIGEST = Digest("sha256", hashlib.sha256(BLOB).hexdigest())
PASSWORD = "storage-must-never-see-this"
BASIC = "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()


class Storage(QuietHandler):
    seen_authorization: ClassVar[list[str | None]] = []

    def do_GET(self) -> None:
        Storage.seen_authorization.append(self.headers.get("Authorization"))
        self.answer(200, BLOB, "application/octet-stream")


def redirecting_registry(storage_host: str) -> type[QuietHandler]:
    class Registry(QuietHandler):
        def do_GET(self) -> None:
            if self.headers.get("Authorization") != BASIC:
                self.answer(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"login"}]}',
                            "application/json", {"WWW-Authenticate": 'Basic realm="fake"'})
            elif self.path == "/v2/":
                self.answer(200, b"{}", "application/json")
            elif self.path == f"/v2/app/blobs/{DIGEST}":
                self.answer(307, b"", "text/plain",
                            {"Location": f"http://{storage_host}/bucket/blob?X-Signature=abc"})
            else:
                self.answer(404, b'{"errors":[{"code":"BLOB_UNKNOWN","message":"no"}]}',
                            "application/json")

    return Registry


def test_redirected_blob_download_sends_no_credentials_to_storage() -> None:
    Storage.seen_authorization = []
    with serve(Storage) as storage_host, serve(redirecting_registry(storage_host)) as host:
        keychain = StaticKeychain.from_username_password("alice", PASSWORD)
        with RegistryClient(RegistryOptions(retries=0), keychain) as client:
            ref = Reference.parse(f"{host}/app:v1")
            with client.open_blob(ref, DIGEST) as reader:
                assert reader.read() == BLOB
    assert Storage.seen_authorization == [None]
