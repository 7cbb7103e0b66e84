"""Blob uploads: monolithic and chunked, relative Locations, threads, big blobs streamed."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import httpx
import pytest
from tests.fixtures.registry import RunningRegistry
from tests.fixtures.samples import push_sample_image, unique_repository

from goship.oci.digest import Digest
from goship.oci.reference import Reference

pytestmark = pytest.mark.integration

MIB = 1 << 20


def read_back(client, ref: Reference, digest: Digest) -> bytes:
    with client.open_blob(ref, digest) as reader:
        return reader.read()


@pytest.mark.parametrize("flavour", ["registry_plain", "registry_token"])
def test_chunked_upload(flavour: str, request: pytest.FixtureRequest, make_client) -> None:
    registry: RunningRegistry = request.getfixturevalue(flavour)
    client = make_client(registry, chunk_size=4096)
    ref = Reference.parse(f"{registry.host}/{unique_repository()}:v1")
    data = os.urandom(4096 * 4 + 123)
    digest = Digest.of_bytes(data)
    progress: list[int] = []

    result = client.upload_blob(ref, digest, len(data), lambda: io.BytesIO(data),
                                on_progress=progress.append)

    assert result == "uploaded"
    assert progress == [4096, 8192, 12288, 16384, len(data)]  # one PATCH per chunk
    assert read_back(client, ref, digest) == data


def test_monolithic_upload_reports_progress(registry_plain: RunningRegistry,
                                            make_client) -> None:
    client = make_client(registry_plain)
    ref = Reference.parse(f"{registry_plain.host}/{unique_repository()}:v1")
    data = os.urandom(3 * MIB + 5)
    progress: list[int] = []
    client.upload_blob(ref, Digest.of_bytes(data), len(data), lambda: io.BytesIO(data),
                       on_progress=progress.append)
    assert progress[-1] == len(data)
    assert progress == sorted(progress) and len(progress) >= 4


def test_relative_upload_locations(registry_factory, make_client) -> None:
    registry = registry_factory("plain", extra_http={"relativeurls": "true"})
    repository = unique_repository()
    started = httpx.post(f"{registry.url}/v2/{repository}/blobs/uploads/")
    assert started.headers["location"].startswith("/v2/")  # the case under test

    for chunk_size in (None, 1000):
        client = make_client(registry, chunk_size=chunk_size)
        ref = Reference.parse(f"{registry.host}/{repository}:v1")
        data = os.urandom(2500)
        digest = Digest.of_bytes(data)
        assert client.upload_blob(ref, digest, len(data), lambda d=data: io.BytesIO(d)) == (
            "uploaded"
        )
        assert read_back(client, ref, digest) == data


def test_mount_without_access_to_the_source_falls_back_to_upload(
    registry_plain: RunningRegistry, make_client
) -> None:
    client = make_client(registry_plain)
    source = Reference.parse(f"{registry_plain.host}/{unique_repository('empty')}:v1")
    target = Reference.parse(f"{registry_plain.host}/{unique_repository()}:v1")
    data = b"not in the source repository"
    digest = Digest.of_bytes(data)
    result = client.upload_blob(target, digest, len(data), lambda: io.BytesIO(data),
                                mount_from=source)
    assert result == "uploaded"  # the registry answered 202 and the session was used
    assert read_back(client, target, digest) == data


def test_parallel_uploads_share_one_client_and_one_token(registry_token: RunningRegistry,
                                                         make_client) -> None:
    client = make_client(registry_token)
    ref = Reference.parse(f"{registry_token.host}/{unique_repository()}:v1")
    blobs = [os.urandom(200_000 + i) for i in range(8)]
    assert registry_token.token_server is not None
    registry_token.token_server.clear()

    def push(data: bytes) -> str:
        return client.upload_blob(ref, Digest.of_bytes(data), len(data),
                                  lambda: io.BytesIO(data))

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(push, blobs))

    assert results == ["uploaded"] * 8
    assert len(registry_token.token_server.recorded()) == 1
    for data in blobs:
        assert client.blob_exists(ref, Digest.of_bytes(data))


class RecordingFile(io.RawIOBase):
    """A file whose reads are recorded: how big each was and how many files are open."""

    open_now = 0
    lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._file = path.open("rb")
        self.largest_read = 0
        self.reads = 0
        with RecordingFile.lock:
            RecordingFile.open_now += 1

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        count = self._file.readinto(buffer)
        self.largest_read = max(self.largest_read, count or 0)
        self.reads += 1
        return count or 0

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size)
        self.largest_read = max(self.largest_read, len(data))
        self.reads += 1
        return data

    def close(self) -> None:
        if not self.closed:
            self._file.close()
            with RecordingFile.lock:
                RecordingFile.open_now -= 1
        super().close()


def test_big_blob_is_streamed_not_loaded(registry_token: RunningRegistry, make_client,
                                         tmp_path: Path) -> None:
    size = 50 * MIB
    path = tmp_path / "big.bin"
    hasher = hashlib.sha256()
    with path.open("wb") as out:
        for _ in range(size // MIB):
            chunk = os.urandom(MIB)
            hasher.update(chunk)
            out.write(chunk)
    digest = Digest("sha256", hasher.hexdigest())
    opened: list[RecordingFile] = []

    def opener() -> BinaryIO:
        opened.append(RecordingFile(path))
        return opened[-1]  # type: ignore[return-value]

    client = make_client(registry_token, timeout=120)
    ref = Reference.parse(f"{registry_token.host}/{unique_repository()}:v1")
    tracemalloc.start()
    try:
        result = client.upload_blob(ref, digest, size, opener)
        _, upload_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with client.open_blob(ref, digest) as reader:
            received = 0
            while piece := reader.read(MIB):
                received += len(piece)
        _, download_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert result == "uploaded"
    assert received == size and reader.verified
    assert len(opened) == 1 and RecordingFile.open_now == 0  # opened once, closed after
    assert opened[0].largest_read <= MIB and opened[0].reads >= 50
    assert upload_peak < 16 * MIB, f"upload held {upload_peak / MIB:.1f} MiB"
    assert download_peak < 16 * MIB, f"download held {download_peak / MIB:.1f} MiB"


def test_blob_changed_since_hashing_is_an_image_error(registry_plain: RunningRegistry,
                                                      make_client) -> None:
    from goship.errors import ImageError

    client = make_client(registry_plain)
    ref = Reference.parse(f"{registry_plain.host}/{unique_repository()}:v1")
    data = b"original bytes"
    with pytest.raises(ImageError, match=r"pushing blob .*: the blob holds 5 bytes, not the 14 declared"):
        client.upload_blob(ref, Digest.of_bytes(data), len(data),
                           lambda: io.BytesIO(b"short"))


def test_push_to_token_registry_then_pull_with_a_fresh_client(registry_token: RunningRegistry,
                                                              make_client) -> None:
    ref = Reference.parse(f"{registry_token.host}/{unique_repository()}:v1")
    pushed = push_sample_image(make_client(registry_token), ref)
    fresh = make_client(registry_token)
    assert read_back(fresh, ref, pushed.layer_digest) == pushed.layer
