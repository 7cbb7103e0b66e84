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
