"""Small images built from real layers, shared by the oci unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from goship.oci.compress import Compression
from goship.oci.image import Image, ImageIndex
from goship.oci.imageconfig import ImageConfig
from goship.oci.layer import TarEntry, write_layer
from goship.oci.platform import Platform

CREATED = "2024-01-01T00:00:00Z"


def build_image(cache: Path, platform: str = "linux/amd64", payload: bytes = b"hello") -> Image:
    """Two layers (a directory tree and a binary) on an empty config for ``platform``."""
    base = write_layer(
        [
            TarEntry("etc", "dir", 0o755),
            TarEntry("etc/passwd", data=b"root:x:0:0::/root:/sbin/nologin\n"),
        ],
        cache,
        mtime=0,
        compression=Compression(),
    )
    app = write_layer(
        [
            TarEntry("app", "dir", 0o755),
            TarEntry("app/api", data=payload + platform.encode(), mode=0o755, uid=1000, gid=1000),
            TarEntry("app/current", "symlink", 0o777, linkname="api"),
        ],
        cache,
        mtime=0,
        compression=Compression(),
    )
    config = ImageConfig.empty(Platform.parse(platform))
    for layer in (base, app):
        config = config.with_layer(layer.diff_id, "goship test", CREATED)
    config = config.with_runtime(Entrypoint=["/app/api"], User="1000:1000")
    return Image(config, (base, app))


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def image(cache: Path) -> Image:
    return build_image(cache)


@pytest.fixture
def index(cache: Path) -> ImageIndex:
    return ImageIndex((build_image(cache, "linux/amd64"), build_image(cache, "linux/arm64")))
