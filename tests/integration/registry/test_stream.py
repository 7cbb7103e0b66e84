"""Blobs streamed to the registry while they are being made (goship.registry.stream)."""

from __future__ import annotations

import os
import time

import pytest
from tests.fixtures.registry import RunningRegistry
from tests.fixtures.samples import unique_repository

from goship.oci.digest import Digest
from goship.oci.reference import Reference

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("flavour", ["registry_plain", "registry_token", "registry_tls"])
def test_a_streamed_blob_is_stored_under_its_digest(flavour: str, request: pytest.FixtureRequest,
                                                    make_client) -> None:
    registry: RunningRegistry = request.getfixturevalue(flavour)
    client = make_client(registry)
    ref = Reference.parse(f"{registry.host}/{unique_repository()}", default_tag="")
    data = os.urandom(3 * 1024 * 1024 + 17)
    stream = client.stream_upload(ref)
    for start in range(0, len(data), 256 * 1024):   # pieces arrive as a compressor makes them
        stream.write(data[start:start + 256 * 1024])
    digest = Digest.of_bytes(data)
    assert stream.finish(digest, len(data)) is True
    assert client.blob_exists(ref, digest)
    with client.open_blob(ref, digest) as reader:
        assert reader.read() == data


def test_a_wrong_digest_stores_nothing(registry_plain: RunningRegistry, make_client) -> None:
    client = make_client(registry_plain)
    ref = Reference.parse(f"{registry_plain.host}/{unique_repository()}", default_tag="")
    stream = client.stream_upload(ref)
    stream.write(b"some bytes")
    wrong = Digest.of_bytes(b"other bytes")
    assert stream.finish(wrong, len(b"some bytes")) is False
    assert not client.blob_exists(ref, wrong)
    assert not client.blob_exists(ref, Digest.of_bytes(b"some bytes"))


def test_an_aborted_stream_stores_nothing(registry_plain: RunningRegistry, make_client) -> None:
    client = make_client(registry_plain)
    ref = Reference.parse(f"{registry_plain.host}/{unique_repository()}", default_tag="")
    stream = client.stream_upload(ref)
    stream.write(b"half a layer")
    stream.abort()
    assert not client.blob_exists(ref, Digest.of_bytes(b"half a layer"))


def test_a_registry_that_is_down_never_blocks_the_producer(make_client, registry_plain) -> None:
    client = make_client(registry_plain, retries=0)
    ref = Reference.parse("127.0.0.1:9/nowhere", default_tag="")
    stream = client.stream_upload(ref)
    started = time.monotonic()
    for _ in range(64):                     # far more pieces than the queue holds
        stream.write(b"x" * 65536)
    assert stream.finish(Digest.of_bytes(b"x"), 1) is False
    assert time.monotonic() - started < 10
