"""The layer writer the layout and tarball build on must not depend on input order."""

from __future__ import annotations

import random
from pathlib import Path

from goship.oci.compress import Compression
from goship.oci.layer import TarEntry, write_layer

ENTRIES = [
    TarEntry("app", "dir", 0o755),
    TarEntry("app/api", data=b"\x7fELF" + bytes(range(256)) * 64, mode=0o755, uid=65532),
    TarEntry("app/b", data=b"b"),
    TarEntry("app-data", "dir", 0o700),
    TarEntry("app/a", data=b"a"),
    TarEntry("etc/ssl/certs/ca.pem", data=b"-----BEGIN CERTIFICATE-----\n"),
    TarEntry("etc", "dir"),
    TarEntry("bin/api", "symlink", 0o777, linkname="/app/api"),
]


def test_sorted_and_shuffled_input_give_the_same_layer(tmp_path: Path) -> None:
    shuffled = list(ENTRIES)
    random.Random(7).shuffle(shuffled)
    assert shuffled != ENTRIES

    one = write_layer(ENTRIES, tmp_path / "one", mtime=0, compression=Compression())
    two = write_layer(shuffled, tmp_path / "two", mtime=0, compression=Compression())
    three = write_layer(sorted(ENTRIES, key=lambda e: e.path), tmp_path / "three", mtime=0,
                        compression=Compression())

    assert one.descriptor == two.descriptor == three.descriptor
    assert one.diff_id == two.diff_id == three.diff_id
    assert one.path.read_bytes() == two.path.read_bytes()


def test_the_time_is_part_of_the_layer(tmp_path: Path) -> None:
    zero = write_layer(ENTRIES, tmp_path / "a", mtime=0, compression=Compression())
    later = write_layer(ENTRIES, tmp_path / "b", mtime=1_700_000_000, compression=Compression())
    assert zero.diff_id != later.diff_id
