"""Layers are reproducible bytes, whatever the input order, and valid gzip for any reader."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from goship.errors import ConfigError
from goship.oci.compress import GZIP_HEADER, Compression
from goship.oci.digest import Digest
from goship.oci.layer import TarEntry, write_layer

ENTRIES = [
    TarEntry("app", kind="dir", mode=0o755),
    TarEntry("app/bin", data=b"\x7fELF" + bytes(range(256)) * 400, mode=0o755),
    TarEntry("app/link", kind="symlink", linkname="bin", mode=0o777),
    TarEntry("tmp", kind="dir", mode=0o1777),
]


@pytest.mark.parametrize("compression", ["zlib-ng:5", "zlib:6", "isal:3", "zlib-ng:1"])
def test_layer_is_valid_gzip_with_a_neutral_header(tmp_path: Path, compression: str) -> None:
    layer = write_layer(ENTRIES, tmp_path, mtime=1700000000, compression=Compression.parse(compression))
    raw = layer.path.read_bytes()
    assert raw[:10] == GZIP_HEADER  # no name, no time, OS unknown
    tar_bytes = gzip.decompress(raw)
    assert Digest.of_bytes(tar_bytes) == layer.diff_id
    assert Digest.of_bytes(raw) == layer.descriptor.digest
    assert layer.descriptor.size == len(raw)
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["app", "tmp", "app/bin", "app/link"]
    assert all(m.mtime == 1700000000 and m.uid == 0 and m.uname == "" for m in members)
    assert members[1].mode == 0o1777


def test_same_entries_in_any_order_give_the_same_digest(tmp_path: Path) -> None:
    one = write_layer(ENTRIES, tmp_path / "a", mtime=0, compression=Compression())
    two = write_layer(list(reversed(ENTRIES)), tmp_path / "b", mtime=0, compression=Compression())
    assert one.descriptor.digest == two.descriptor.digest
    three = write_layer(ENTRIES, tmp_path / "c", mtime=1, compression=Compression())
    assert three.descriptor.digest != one.descriptor.digest


def test_compression_names() -> None:
    assert str(Compression.parse("zlib-ng")) == "zlib-ng:5"
    assert str(Compression.parse("isal")) == "isal:3"
    with pytest.raises(ConfigError):
        Compression.parse("zlib:12")


def test_block_parallel_output_is_the_same_whatever_the_number_of_threads(monkeypatch) -> None:
    import random

    from goship.oci import compress

    generator = random.Random(7)
    data = bytes(generator.getrandbits(8) for _ in range(300_000)) * 9 + b"tail" * 1000
    outputs = []
    for workers in (1, 3):
        monkeypatch.setattr(compress, "_pool", None)
        monkeypatch.setattr(compress.os, "cpu_count", lambda workers=workers: workers)
        chunks: list[bytes] = []
        writer = compress.GzipWriter(Compression(), chunks.append)
        for start in range(0, len(data), 70_000):   # writes that do not line up with blocks
            writer.write(data[start:start + 70_000])
        writer.close()
        outputs.append(b"".join(chunks))
    assert outputs[0] == outputs[1]
    assert gzip.decompress(outputs[0]) == data
    assert len(data) > 2 * compress.BLOCK_SIZE


def test_empty_input_is_a_valid_gzip() -> None:
    from goship.oci.compress import GzipWriter

    chunks: list[bytes] = []
    writer = GzipWriter(Compression(), chunks.append)
    writer.close()
    assert gzip.decompress(b"".join(chunks)) == b""
