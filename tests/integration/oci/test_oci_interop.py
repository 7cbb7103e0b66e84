"""Our layouts and tarballs read by real OCI tools: skopeo, umoci and buildah."""

from __future__ import annotations

import gzip
import json
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.fixtures.tools import need

from goship.oci import mediatypes
from goship.oci.compress import Compression
from goship.oci.image import Image, ImageIndex
from goship.oci.imageconfig import ImageConfig
from goship.oci.layer import Layer, TarEntry, write_layer
from goship.oci.layout import load_artifact, read_layout, write_layout
from goship.oci.platform import Platform
from goship.oci.tarball import read_tarball, write_tarball

pytestmark = pytest.mark.integration

CREATED = "2024-01-01T00:00:00Z"


def run(*args: str | Path) -> str:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def run_json(*args: str | Path) -> Any:
    return json.loads(run(*args))


def layer_bytes(layer: Layer) -> bytes:
    with layer.open() as stream:
        return stream.read()


def build(cache: Path, platform: str = "linux/amd64") -> Image:
    base = write_layer(
        [
            TarEntry("etc", "dir", 0o755),
            TarEntry("etc/passwd", data=b"root:x:0:0::/root:/sbin/nologin\n"),
            TarEntry("etc/secret", data=b"token", mode=0o600, uid=65532, gid=65532),
        ],
        cache,
        mtime=0,
        compression=Compression(),
    )
    app = write_layer(
        [
            TarEntry("app", "dir", 0o750, uid=1000, gid=1000),
            TarEntry("app/api", data=b"#!/bin/true\n" + platform.encode(), mode=0o755,
                     uid=1000, gid=1000),
            TarEntry("app/current", "symlink", 0o777, linkname="api"),
        ],
        cache,
        mtime=0,
        compression=Compression(),
    )
    config = ImageConfig.empty(Platform.parse(platform))
    for layer in (base, app):
        config = config.with_layer(layer.diff_id, "goship integration test", CREATED)
    config = config.with_runtime(Entrypoint=["/app/api"], User="1000:1000")
    return Image(config, (base, app))


@pytest.fixture
def image(tmp_path: Path) -> Image:
    return build(tmp_path / "cache")


@pytest.fixture
def layout(tmp_path: Path, image: Image) -> Path:
    directory = tmp_path / "layout"
    write_layout(directory, image, "api:latest")
    return directory


@pytest.fixture
def tarball(tmp_path: Path, image: Image) -> Path:
    other = build(tmp_path / "cache", "linux/arm64")
    path = tmp_path / "images.tar"
    write_tarball(path, [(image, ["api:latest", "127.0.0.1:5000/team/api:v1"]),
                         (other, ["api:arm64"])])
    return path


# ---------------------------------------------------------------------------------- skopeo


def test_skopeo_inspects_our_layout(layout: Path, image: Image) -> None:
    need("skopeo")
    info = run_json("skopeo", "inspect", f"oci:{layout}:api:latest")

    assert info["Digest"] == str(image.digest)
    assert (info["Os"], info["Architecture"]) == ("linux", "amd64")
    assert info["Layers"] == [str(layer.descriptor.digest) for layer in image.layers]
    raw = run("skopeo", "inspect", "--raw", f"oci:{layout}:api:latest")
    assert raw.encode() == image.manifest_bytes
    config = run("skopeo", "inspect", "--config", "--raw", f"oci:{layout}:api:latest")
    assert config.encode() == image.config_bytes


def test_skopeo_copies_our_layout_and_we_read_its_copy(
    tmp_path: Path, layout: Path, image: Image
) -> None:
    need("skopeo")
    other = tmp_path / "other"
    run("skopeo", "copy", "--quiet", f"oci:{layout}:api:latest", f"oci:{other}:api:latest")

    assert load_artifact(other, "api:latest", None).digest == image.digest
    # goship adds to a layout skopeo made, keeping skopeo's entry
    second = build(tmp_path / "cache2", "linux/arm64")
    write_layout(other, second, "api:arm64")
    assert {name: d.digest for name, d in read_layout(other)} == {
        "api:latest": image.digest, "api:arm64": second.digest,
    }
    assert run_json("skopeo", "inspect", f"oci:{other}:api:arm64")["Architecture"] == "arm64"


def test_skopeo_copies_a_multi_platform_index(tmp_path: Path) -> None:
    need("skopeo")
    index = ImageIndex((build(tmp_path / "cache"), build(tmp_path / "cache", "linux/arm64")))
    write_layout(tmp_path / "layout", index, "api:multi")

    run("skopeo", "copy", "--quiet", "--all", f"oci:{tmp_path / 'layout'}:api:multi",
        f"oci:{tmp_path / 'copy'}:api:multi")

    copied = load_artifact(tmp_path / "copy", "api:multi", None)
    assert isinstance(copied, ImageIndex)
    assert copied.digest == index.digest
    arm = run_json("skopeo", "--override-arch", "arm64", "inspect",
                   f"oci:{tmp_path / 'layout'}:api:multi")
    assert (arm["Digest"], arm["Architecture"]) == (str(index.digest), "arm64")
    assert arm["Layers"] == [str(layer.descriptor.digest) for layer in index.images[1].layers]


def test_skopeo_reads_our_tarball_as_docker_archive(tarball: Path, image: Image) -> None:
    need("skopeo")
    info = run_json("skopeo", "inspect", f"docker-archive:{tarball}:api:latest")

    assert (info["Os"], info["Architecture"]) == ("linux", "amd64")
    # docker-archive describes layers by their uncompressed digests
    assert info["Layers"] == [str(layer.diff_id) for layer in image.layers]
    config = run("skopeo", "inspect", "--config", "--raw", f"docker-archive:{tarball}:api:latest")
    assert config.encode() == image.config_bytes
    arm = run_json("skopeo", "inspect", f"docker-archive:{tarball}:docker.io/library/api:arm64")
    assert arm["Architecture"] == "arm64"
    by_position = run_json("skopeo", "inspect", f"docker-archive:{tarball}:@1")
    assert by_position["Architecture"] == "arm64"


def test_skopeo_copies_our_tarball_into_a_layout(
    tmp_path: Path, tarball: Path, image: Image
) -> None:
    need("skopeo")
    target = tmp_path / "from-tarball"
    run("skopeo", "copy", "--quiet", f"docker-archive:{tarball}:127.0.0.1:5000/team/api:v1",
        f"oci:{target}:x")

    copied = load_artifact(target, "x", None)
    assert isinstance(copied, Image)
    assert copied.config.diff_ids == image.config.diff_ids
    assert copied.config.runtime == image.config.runtime
    for ours, theirs in zip(image.layers, copied.layers, strict=True):
        assert gzip.decompress(layer_bytes(theirs)) == gzip.decompress(layer_bytes(ours))


def test_skopeo_reads_our_tarball_as_oci_archive(
    tmp_path: Path, tarball: Path, image: Image
) -> None:
    need("skopeo")
    # The OCI index names images by their short name; the manifest is ours, byte for byte.
    info = run_json("skopeo", "inspect", f"oci-archive:{tarball}:api:latest")
    assert info["Digest"] == str(image.digest)
    team = run_json("skopeo", "inspect", f"oci-archive:{tarball}:127.0.0.1:5000/team/api:v1")
    assert team["Digest"] == str(image.digest)

    run("skopeo", "copy", "--quiet", f"oci-archive:{tarball}:api:arm64",
        f"oci:{tmp_path / 'arm'}:api:arm64")
    arm = read_tarball(tarball)[1]
    assert load_artifact(tmp_path / "arm", "api:arm64", None).digest == arm.digest


def test_skopeo_writes_a_tarball_we_read(tmp_path: Path, layout: Path, image: Image) -> None:
    need("skopeo")
    theirs = tmp_path / "skopeo.tar"
    run("skopeo", "copy", "--quiet", f"oci:{layout}:api:latest",
        f"docker-archive:{theirs}:api:from-skopeo")

    [loaded] = read_tarball(theirs)

    assert loaded.config.diff_ids == image.config.diff_ids
    for ours, layer in zip(image.layers, loaded.layers, strict=True):
        # skopeo stores docker-archive layers uncompressed; we describe them as they are
        assert layer.descriptor.media_type == mediatypes.OCI_LAYER
        assert layer.descriptor.digest == ours.diff_id
        assert layer_bytes(layer) == gzip.decompress(layer_bytes(ours))


# ---------------------------------------------------------------------------------- umoci


@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="umoci sets owners as root")
def test_umoci_unpacks_our_layout(tmp_path: Path, layout: Path) -> None:
    need("umoci")
    bundle = tmp_path / "bundle"
    run("umoci", "unpack", "--image", f"{layout}:api:latest", bundle)

    rootfs = bundle / "rootfs"
    expected = {
        "etc": (0o755, 0, 0),
        "etc/passwd": (0o644, 0, 0),
        "etc/secret": (0o600, 65532, 65532),
        "app": (0o750, 1000, 1000),
        "app/api": (0o755, 1000, 1000),
    }
    for name, (mode, uid, gid) in expected.items():
        info = (rootfs / name).lstat()
        assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (mode, uid, gid), name
    assert (rootfs / "app/api").read_bytes() == b"#!/bin/true\nlinux/amd64"
    assert os.readlink(rootfs / "app/current") == "api"
    spec = json.loads((bundle / "config.json").read_text())
    assert spec["process"]["args"] == ["/app/api"]
    assert (spec["process"]["user"]["uid"], spec["process"]["user"]["gid"]) == (1000, 1000)


# ---------------------------------------------------------------------------------- buildah


@pytest.fixture
def buildah(tmp_path: Path) -> Iterator[list[str]]:
    need("buildah")
    if os.name != "posix" or os.geteuid() != 0:
        pytest.skip("buildah with the vfs driver and a private root needs root here")
    root, runroot = tmp_path / "buildah-root", tmp_path / "buildah-run"
    command = ["buildah", "--root", str(root), "--runroot", str(runroot), "--storage-driver", "vfs"]
    yield command
    containers = subprocess.run([*command, "rm", "--all"], capture_output=True, check=False)
    assert containers.returncode == 0 or b"no such" in containers.stderr.lower()
    # vfs layers are plain directories under the temporary root, removed with tmp_path


def test_buildah_pulls_our_tarball(
    buildah: list[str], tmp_path: Path, tarball: Path, image: Image
) -> None:
    single = tmp_path / "single.tar"
    write_tarball(single, [(image, ["api:latest", "127.0.0.1:5000/team/api:v1"])])
    run(*buildah, "pull", "--quiet", f"docker-archive:{single}")

    images = run_json(*buildah, "images", "--json")
    names = {name for entry in images for name in entry.get("names") or []}
    assert names == {"docker.io/library/api:latest", "127.0.0.1:5000/team/api:v1"}
    config = run_json(*buildah, "inspect", "--type", "image", "docker.io/library/api:latest")
    assert config["OCIv1"]["rootfs"]["diff_ids"] == [str(d) for d in image.config.diff_ids]
    # buildah 1.28 pulls one image of a multi-image archive at a time, by tag or position
    run(*buildah, "pull", "--quiet", f"docker-archive:{tarball}:@1")
    arm = run_json(*buildah, "inspect", "--type", "image", "docker.io/library/api:arm64")
    assert arm["OCIv1"]["architecture"] == "arm64"


def test_buildah_from_our_layout(buildah: list[str], layout: Path) -> None:
    container = run(*buildah, "from", "--quiet", "--isolation", "chroot",
                    f"oci:{layout}:api:latest").strip()
    mount = Path(run(*buildah, "mount", container).strip())

    assert (mount / "app/api").read_bytes() == b"#!/bin/true\nlinux/amd64"
    info = (mount / "app/api").stat()
    assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (0o755, 1000, 1000)
    run(*buildah, "umount", container)
    config = run_json(*buildah, "inspect", container)
    assert config["OCIv1"]["config"]["Entrypoint"] == ["/app/api"]
