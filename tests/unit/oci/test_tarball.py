from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from goship.errors import ImageError, OutputError, UsageError
from goship.oci import mediatypes
from goship.oci.image import Image, ImageIndex
from goship.oci.layer import Layer
from goship.oci.layout import REF_NAME, load_artifact, write_layout
from goship.oci.tarball import (
    ArchiveLayer,
    read_tarball,
    read_tarball_tagged,
    repo_tag,
    short_name,
    write_tarball,
)

from .conftest import build_image


def layer_bytes(layer: Layer) -> bytes:
    with layer.open() as stream:
        return stream.read()


def members(path: Path) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(path) as tar:
        return {info.name: info for info in tar.getmembers()}


def member_json(path: Path, name: str) -> Any:
    with tarfile.open(path) as tar:
        handle = tar.extractfile(name)
        assert handle is not None
        return json.loads(handle.read())


def test_image_round_trips_with_the_same_digests(tmp_path: Path, image: Image) -> None:
    tarball = tmp_path / "images.tar"
    write_tarball(tarball, [(image, ["api:latest", "registry.example.com:5000/team/api:v1"])])

    [(loaded, tags)] = read_tarball_tagged(tarball)

    assert tags == ["docker.io/library/api:latest", "registry.example.com:5000/team/api:v1"]
    assert loaded.digest == image.digest
    assert loaded.config_descriptor == image.config_descriptor
    assert [layer.diff_id for layer in loaded.layers] == [layer.diff_id for layer in image.layers]
    for original, copy in zip(image.layers, loaded.layers, strict=True):
        assert isinstance(copy, ArchiveLayer)
        assert layer_bytes(copy) == layer_bytes(original)
    assert [i.digest for i in read_tarball(tarball)] == [image.digest]


def test_docker_and_oci_views_share_each_blob(tmp_path: Path) -> None:
    amd = build_image(tmp_path / "c1", "linux/amd64")
    arm = build_image(tmp_path / "c2", "linux/arm64")  # same base layer, other app layer
    tarball = tmp_path / "images.tar"
    write_tarball(tarball, [(amd, ["api:amd64"]), (arm, ["team/api:arm64"])])

    names = list(members(tarball))
    assert names.count(f"blobs/sha256/{amd.layers[0].descriptor.digest.hex}") == 1
    docker = member_json(tarball, "manifest.json")
    assert docker == [
        {
            "Config": f"blobs/sha256/{image.config_descriptor.digest.hex}",
            "RepoTags": [tag],
            "Layers": [f"blobs/sha256/{layer.descriptor.digest.hex}" for layer in image.layers],
        }
        for image, tag in (
            (amd, "docker.io/library/api:amd64"),
            (arm, "docker.io/team/api:arm64"),
        )
    ]
    assert member_json(tarball, "oci-layout") == {"imageLayoutVersion": "1.0.0"}
    index = member_json(tarball, "index.json")
    assert isinstance(index, dict)
    assert [(m["digest"], m["annotations"]) for m in index["manifests"]] == [
        (str(amd.digest), {REF_NAME: "api:amd64",
                           "io.containerd.image.name": "docker.io/library/api:amd64"}),
        (str(arm.digest), {REF_NAME: "team/api:arm64",
                           "io.containerd.image.name": "docker.io/team/api:arm64"}),
    ]
    for name in docker[0]["Layers"]:
        assert name in names
    expected = {f"blobs/sha256/{d.hex}" for d in (amd.digest, arm.digest)}
    expected |= {f"blobs/sha256/{i.config_descriptor.digest.hex}" for i in (amd, arm)}
    expected |= {f"blobs/sha256/{layer.descriptor.digest.hex}" for layer in amd.layers + arm.layers}
    expected |= {"blobs/", "blobs/sha256/", "index.json", "manifest.json", "oci-layout"}
    assert {info.name + ("/" if info.isdir() else "") for info in members(tarball).values()} == (
        expected
    )


def test_the_oci_part_is_a_layout_goship_can_load(tmp_path: Path, image: Image) -> None:
    tarball = tmp_path / "images.tar"
    write_tarball(tarball, [(image, ["api:latest"])])
    extracted = tmp_path / "extracted"
    with tarfile.open(tarball) as tar:
        tar.extractall(extracted, filter="data")

    assert load_artifact(extracted, "api:latest", None).digest == image.digest


def test_same_images_give_a_byte_identical_tarball(tmp_path: Path) -> None:
    first, second = tmp_path / "one.tar", tmp_path / "two.tar"
    write_tarball(first, [(build_image(tmp_path / "c1"), ["api:v1"])])
    write_tarball(second, [(build_image(tmp_path / "c2"), ["api:v1"])])

    assert first.read_bytes() == second.read_bytes()
    infos = list(members(first).values())
    assert [info.name for info in infos] == sorted(info.name for info in infos)
    for info in infos:
        assert (info.mtime, info.uid, info.gid, info.uname, info.gname) == (0, 0, 0, "", "")
        assert info.mode == (0o755 if info.isdir() else 0o644)
    assert first.stat().st_size % tarfile.RECORDSIZE == 0


def test_rewriting_a_tarball_replaces_it(tmp_path: Path) -> None:
    tarball = tmp_path / "images.tar"
    write_tarball(tarball, [(build_image(tmp_path / "c1", payload=b"one"), ["api:v1"])])
    newer = build_image(tmp_path / "c2", payload=b"two")
    write_tarball(tarball, [(newer, ["api:v1"])])

    assert [image.digest for image in read_tarball(tarball)] == [newer.digest]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c1", "c2", "images.tar"]


@pytest.mark.parametrize(
    ("given", "full", "short"),
    [
        ("api", "docker.io/library/api:latest", "api:latest"),
        ("docker.io/library/api:v1", "docker.io/library/api:v1", "api:v1"),
        ("index.docker.io/team/api:v1", "index.docker.io/team/api:v1",
         "index.docker.io/team/api:v1"),
        ("team/api:v1", "docker.io/team/api:v1", "team/api:v1"),
        ("registry.example.com:5000/team/api:v1", "registry.example.com:5000/team/api:v1",
         "registry.example.com:5000/team/api:v1"),
        ("localhost/api:v1@sha256:" + "a" * 64, "localhost/api:v1", "localhost/api:v1"),
    ],
)
def test_repo_tags_are_fully_qualified_and_ref_names_short(
    given: str, full: str, short: str
) -> None:
    assert repo_tag(given) == full
    assert short_name(full) == short


def test_a_digest_alone_cannot_be_a_repo_tag(tmp_path: Path, image: Image) -> None:
    with pytest.raises(UsageError, match="no tag"):
        write_tarball(tmp_path / "x.tar", [(image, ["api@sha256:" + "a" * 64])])
    with pytest.raises(UsageError):
        write_tarball(tmp_path / "x.tar", [(image, ["Not A Reference"])])
    assert list(tmp_path.iterdir()) == [tmp_path / "cache"]


class FailingLayer:
    def __init__(self, real: Layer) -> None:
        self.descriptor = real.descriptor
        self.diff_id = real.diff_id
        self.origin = None

    def open(self) -> contextlib.AbstractContextManager[BinaryIO]:
        class Failing(io.BytesIO):
            def read(self, size: int | None = -1) -> bytes:
                raise OSError(5, "Input/output error")

        return Failing()


def test_failure_leaves_nothing_behind(tmp_path: Path, image: Image) -> None:
    out = tmp_path / "out"
    out.mkdir()
    broken = Image(image.config, (image.layers[0], FailingLayer(image.layers[1])))

    with pytest.raises(ImageError, match="cannot read blob"):
        write_tarball(out / "images.tar", [(broken, ["api:v1"])])
    assert list(out.iterdir()) == []

    (out / "images.tar").write_bytes(b"previous")
    with pytest.raises(ImageError):
        write_tarball(out / "images.tar", [(broken, ["api:v1"])])
    assert [p.name for p in out.iterdir()] == ["images.tar"]
    assert (out / "images.tar").read_bytes() == b"previous"


def test_tarball_path_errors(tmp_path: Path, image: Image) -> None:
    with pytest.raises(OutputError, match="is a directory"):
        write_tarball(tmp_path, [(image, ["api:v1"])])
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="cannot write tarball"):
        write_tarball(tmp_path / "file" / "images.tar", [(image, ["api:v1"])])
    with pytest.raises(UsageError):
        write_tarball(tmp_path / "empty.tar", [])


def test_untagged_image(tmp_path: Path, image: Image) -> None:
    tarball = tmp_path / "images.tar"
    write_tarball(tarball, [(image, [])])

    assert read_tarball_tagged(tarball)[0][1] == []
    index = member_json(tarball, "index.json")
    assert isinstance(index, dict)
    assert "annotations" not in index["manifests"][0]


def add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def test_reads_a_legacy_docker_save(tmp_path: Path, image: Image) -> None:
    """Docker before 25 stored uncompressed layers as <id>/layer.tar, symlinks for repeats."""
    uncompressed = [gzip.decompress(layer_bytes(layer)) for layer in image.layers]
    tarball = tmp_path / "legacy.tar"
    # the second entry reuses the first layer through the symlink; make the config agree
    twice = image.config.to_json()
    twice["rootfs"]["diff_ids"] = [str(image.layers[0].diff_id)] * 2
    config = json.dumps(twice).encode()
    with tarfile.open(tarball, "w") as tar:
        add(tar, "aaa/layer.tar", uncompressed[0])
        link = tarfile.TarInfo("ccc/layer.tar")
        link.type, link.linkname = tarfile.SYMTYPE, "../aaa/layer.tar"
        tar.addfile(link)
        add(tar, "cfg.json", config)
        add(tar, "manifest.json", json.dumps([
            {"Config": "cfg.json", "RepoTags": ["api:old"],
             "Layers": ["aaa/layer.tar", "ccc/layer.tar"]},
        ]).encode())

    [(loaded, tags)] = read_tarball_tagged(tarball)

    assert tags == ["api:old"]
    assert len(loaded.layers) == 2
    for layer in loaded.layers:
        assert layer.descriptor.media_type == mediatypes.OCI_LAYER
        assert str(layer.descriptor.digest) == str(image.layers[0].diff_id)
        assert layer.descriptor.digest.hex == hashlib.sha256(uncompressed[0]).hexdigest()
        assert layer_bytes(layer) == uncompressed[0]


def test_reads_a_plain_oci_archive(tmp_path: Path, index: ImageIndex) -> None:
    layout = tmp_path / "layout"
    write_layout(layout, index, "api:multi")
    tarball = tmp_path / "oci.tar"
    with tarfile.open(tarball, "w") as tar:
        tar.add(layout, arcname=".")

    loaded = read_tarball_tagged(tarball)

    assert [(image.digest, tags) for image, tags in loaded] == [
        (image.digest, ["api:multi"]) for image in index.images
    ]


def test_unreadable_tarballs_are_image_errors(tmp_path: Path, image: Image) -> None:
    tarball = tmp_path / "images.tar"
    write_tarball(tarball, [(image, ["api:v1"])])

    compressed = tmp_path / "images.tar.gz"
    compressed.write_bytes(gzip.compress(tarball.read_bytes()))
    with pytest.raises(ImageError, match="compressed"):
        read_tarball(compressed)

    garbage = tmp_path / "garbage.tar"
    garbage.write_bytes(b"\x01" * 2048)
    with pytest.raises(ImageError):
        read_tarball(garbage)

    with pytest.raises(ImageError, match="cannot read tarball"):
        read_tarball(tmp_path / "missing.tar")

    empty = tmp_path / "empty.tar"
    with tarfile.open(empty, "w"):
        pass
    with pytest.raises(ImageError, match="neither"):
        read_tarball(empty)

    truncated = tmp_path / "truncated.tar"
    raw = tarball.read_bytes()
    truncated.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ImageError):
        for loaded in read_tarball(truncated):
            for layer in loaded.layers:
                layer_bytes(layer)
