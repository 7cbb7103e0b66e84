"""`goship build` into the local OCI layout, checked with real tools (skopeo, umoci, Go)."""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import time
import urllib.request
from pathlib import Path

import pytest
from tests.conftest import Goship, copy_example, git

pytestmark = pytest.mark.integration

ELF_MACHINE = {"amd64": 0x3E, "arm64": 0xB7, "arm": 0x28, "386": 0x03}


def layout_index(directory: Path) -> dict:
    return json.loads((directory / ".goship" / "oci" / "index.json").read_text())


def blob(layout: Path, digest: str) -> bytes:
    return (layout / "blobs" / "sha256" / digest.split(":")[1]).read_bytes()


def layer_members(layout: Path, digest: str) -> dict[str, tuple[tarfile.TarInfo, bytes]]:
    data = gzip.decompress(blob(layout, digest))
    members = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for info in tar:
            content = tar.extractfile(info).read() if info.isfile() else b""
            members[info.name.rstrip("/")] = (info, content)
    return members


def skopeo_inspect(target: str, *extra: str) -> dict:
    out = subprocess.run(["skopeo", "inspect", *extra, target], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def test_build_writes_layout_with_labels_user_and_entrypoint(goship: Goship, example: Path) -> None:
    result = goship("build", cwd=example)
    assert result.code == 0, result.output
    name, platform, digest, _size, unit = result.stdout.split()
    assert (name, platform) == ("hello", "linux/amd64")
    assert digest.startswith("sha256:") and unit in ("MB", "kB")

    index = layout_index(example)
    [entry] = index["manifests"]
    assert entry["digest"] == digest
    assert entry["annotations"]["org.opencontainers.image.ref.name"] == "hello:latest"

    layout = example / ".goship" / "oci"
    config = skopeo_inspect(f"oci:{layout}:hello:latest", "--config")["config"]
    assert config["User"] == "65532:65532"
    assert config["Entrypoint"] == ["/app/hello"]
    assert config["WorkingDir"] == "/app"
    assert any(item.startswith("PATH=") for item in config["Env"])
    labels = config["Labels"]
    commit = git(example, "rev-parse", "HEAD")
    assert labels["org.opencontainers.image.revision"] == commit
    assert labels["org.opencontainers.image.created"] == "2024-10-01T12:00:00Z"
    assert labels["org.opencontainers.image.source"] == "https://github.com/example/hello"
    assert labels["org.opencontainers.image.title"] == "hello"
    # No tag yet: the snapshot of the first release, as `goship version` plans it.
    snapshot = goship("version", "--snapshot", cwd=example).stdout.strip()
    assert snapshot == f"0.1.0-dev.1+{git(example, 'rev-parse', '--short', 'HEAD')}"
    assert labels["org.opencontainers.image.version"] == snapshot
    assert labels["org.opencontainers.image.base.digest"].startswith("sha256:")
    manifest = json.loads(blob(layout, digest))
    assert manifest["annotations"]["org.opencontainers.image.revision"] == commit


def test_version_from_git_tag_is_stamped_into_binary_and_labels(goship: Goship, example: Path) -> None:
    git(example, "tag", "v1.4.2")
    assert goship("build", cwd=example).code == 0
    layout = example / ".goship" / "oci"
    config = skopeo_inspect(f"oci:{layout}:hello:latest", "--config")["config"]
    assert config["Labels"]["org.opencontainers.image.version"] == "1.4.2"
    manifest = json.loads(blob(layout, layout_index(example)["manifests"][0]["digest"]))
    members = layer_members(layout, manifest["layers"][-1]["digest"])
    binary = members["app/hello"][1]
    assert b"1.4.2" in binary, "the -X main.version flag did not reach the binary"
    assert b"vcs.modified=false" in binary

    # An untracked file is a modification for Go (vcs.modified=true), and so for the version.
    (example / "scratch.txt").write_text("not committed\n")
    assert goship("build", cwd=example).code == 0
    config = skopeo_inspect(f"oci:{layout}:hello:latest", "--config")["config"]
    version = config["Labels"]["org.opencontainers.image.version"]
    assert version == f"1.4.3-dev.0+{git(example, 'rev-parse', '--short', 'HEAD')}.dirty"
    assert goship("version", "--snapshot", cwd=example).stdout == version + "\n"
    manifest = json.loads(blob(layout, layout_index(example)["manifests"][0]["digest"]))
    binary = layer_members(layout, manifest["layers"][-1]["digest"])["app/hello"][1]
    assert b"vcs.modified=true" in binary and version.encode() in binary


def test_static_base_layer_has_certificates_passwd_and_tmp(goship: Goship, example: Path) -> None:
    assert goship("build", cwd=example).code == 0
    layout = example / ".goship" / "oci"
    manifest = json.loads(blob(layout, layout_index(example)["manifests"][0]["digest"]))
    base = layer_members(layout, manifest["layers"][0]["digest"])
    assert b"BEGIN CERTIFICATE" in base["etc/ssl/certs/ca-certificates.crt"][1]
    assert b"nonroot:x:65532:65532" in base["etc/passwd"][1]
    assert base["tmp"][0].mode == 0o1777
    app = layer_members(layout, manifest["layers"][1]["digest"])
    info, _ = app["app/hello"]
    assert info.mode == 0o755 and info.uid == 0
    assert info.mtime == 1727784000  # the commit time, 2024-10-01T12:00:00Z


def test_two_builds_in_two_directories_at_two_times_are_bit_identical(
    goship: Goship, tmp_path: Path
) -> None:
    first = copy_example(tmp_path / "one")
    second = copy_example(tmp_path / "elsewhere" / "two")
    assert goship("build", cwd=first, env={"GOSHIP_CACHE": str(tmp_path / "c1")}).code == 0
    time.sleep(1.1)
    assert goship("build", cwd=second, env={"GOSHIP_CACHE": str(tmp_path / "c2")}).code == 0
    assert layout_index(first) == layout_index(second)
    blobs_one = sorted(p.name for p in (first / ".goship/oci/blobs/sha256").iterdir())
    blobs_two = sorted(p.name for p in (second / ".goship/oci/blobs/sha256").iterdir())
    assert blobs_one == blobs_two and len(blobs_one) == 4  # manifest, config, base, app


def test_multi_platform_build_publishes_an_index_of_exactly_those_platforms(
    goship: Goship, example: Path
) -> None:
    result = goship("build", "--platform", "linux/amd64,linux/arm64,linux/arm/v7", cwd=example)
    assert result.code == 0, result.output
    assert "linux/amd64,linux/arm64,linux/arm/v7" in result.stdout
    layout = example / ".goship" / "oci"
    [entry] = layout_index(example)["manifests"]
    assert entry["mediaType"] == "application/vnd.oci.image.index.v1+json"
    index = json.loads(blob(layout, entry["digest"]))
    platforms = [(m["platform"]["os"], m["platform"]["architecture"], m["platform"].get("variant", ""))
                 for m in index["manifests"]]
    assert platforms == [("linux", "amd64", ""), ("linux", "arm64", ""), ("linux", "arm", "v7")]
    for item in index["manifests"]:
        manifest = json.loads(blob(layout, item["digest"]))
        config = json.loads(blob(layout, manifest["config"]["digest"]))
        assert config["architecture"] == item["platform"]["architecture"]
        binary = layer_members(layout, manifest["layers"][-1]["digest"])["app/hello"][1]
        machine = int.from_bytes(binary[18:20], "little")
        assert machine == ELF_MACHINE[item["platform"]["architecture"]]
    # the base layer is shared by all platforms: stored once
    layers = {json.loads(blob(layout, m["digest"]))["layers"][0]["digest"] for m in index["manifests"]}
    assert len(layers) == 1


def test_rebuild_with_nothing_changed_compresses_nothing(goship: Goship, example: Path,
                                                          tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert goship("build", cwd=example, env={"GOSHIP_CACHE": str(cache)}).code == 0
    blobs = {p: p.stat().st_mtime_ns for p in (cache / "blobs" / "sha256").iterdir()}
    layout_blobs = {p: p.stat().st_mtime_ns for p in (example / ".goship/oci/blobs/sha256").iterdir()}
    result = goship("build", cwd=example, env={"GOSHIP_CACHE": str(cache)})
    assert result.code == 0
    assert {p: p.stat().st_mtime_ns for p in (cache / "blobs" / "sha256").iterdir()} == blobs
    assert {p: p.stat().st_mtime_ns for p in (example / ".goship/oci/blobs/sha256").iterdir()} == layout_blobs


def test_extra_files_directory_gets_its_own_layer(goship: Goship, example: Path) -> None:
    (example / "kodata").mkdir()
    (example / "kodata" / "index.html").write_text("<h1>hi</h1>\n")
    (example / "goship.toml").write_text(
        '[[images]]\nname = "hello"\npackage = "./cmd/hello"\ndata = "kodata"\nports = [8080]\n'
    )
    result = goship("build", cwd=example)
    assert result.code == 0, result.output
    layout = example / ".goship" / "oci"
    manifest = json.loads(blob(layout, layout_index(example)["manifests"][0]["digest"]))
    assert len(manifest["layers"]) == 3
    data = layer_members(layout, manifest["layers"][1]["digest"])
    assert data["app/data/index.html"][1] == b"<h1>hi</h1>\n"
    config = json.loads(blob(layout, manifest["config"]["digest"]))["config"]
    assert "GOSHIP_DATA_PATH=/app/data" in config["Env"]
    assert config["ExposedPorts"] == {"8080/tcp": {}}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(os.geteuid() != 0, reason="chroot into the unpacked image needs root")
def test_umoci_unpacked_image_runs_as_nonroot_and_answers_http(
    goship: Goship, example: Path, tmp_path: Path
) -> None:
    git(example, "tag", "v2.0.0")
    assert goship("build", cwd=example).code == 0
    bundle = tmp_path / "bundle"
    subprocess.run(["umoci", "unpack", "--image", f"{example}/.goship/oci:hello:latest", str(bundle)],
                   check=True, capture_output=True)
    rootfs = bundle / "rootfs"
    assert (rootfs / "app" / "hello").is_file()
    port = _free_port()
    server = subprocess.Popen(
        [shutil.which("chroot") or "/usr/sbin/chroot", "--userspec=65532:65532", str(rootfs),
         "/app/hello", "-addr", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={"PATH": "/usr/bin:/bin"},
    )
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    body = json.loads(response.read())
                break
            except OSError:
                time.sleep(0.1)
        assert body is not None, "the service in the image never answered"
        assert body["uid"] == 65532
        assert body["user"] == "nonroot"  # resolved through the base's /etc/passwd
        assert body["version"] == "2.0.0"
        assert body["commit"] == git(example, "rev-parse", "HEAD")
    finally:
        server.kill()
        server.wait()


def test_tarball_destination_is_readable_by_skopeo(goship: Goship, example: Path, tmp_path: Path) -> None:
    tarball = tmp_path / "hello.tar"
    result = goship("build", "--tarball", str(tarball), cwd=example)
    assert result.code == 0, result.output
    digest = result.stdout.split()[2]
    inspected = skopeo_inspect(f"docker-archive:{tarball}")
    assert inspected["Architecture"] == "amd64"
    assert inspected["Labels"]["org.opencontainers.image.title"] == "hello"
    copied = tmp_path / "copy"
    subprocess.run(["skopeo", "copy", f"docker-archive:{tarball}", f"oci:{copied}:hello"],
                   check=True, capture_output=True)
    assert not (example / ".goship" / "oci").exists(), "only the named destination is written"
    assert digest.startswith("sha256:")


def test_several_destinations_at_once(goship: Goship, example: Path, tmp_path: Path) -> None:
    tarball = tmp_path / "hello.tar"
    layout = tmp_path / "layout"
    result = goship("build", "--tarball", str(tarball), "--oci-layout", str(layout), cwd=example)
    assert result.code == 0, result.output
    assert tarball.is_file()
    index = json.loads((layout / "index.json").read_text())
    assert index["manifests"][0]["digest"] == result.stdout.split()[2]


def test_init_writes_a_config_that_builds(goship: Goship, example: Path) -> None:
    (example / "goship.toml").unlink()
    worker = example / "cmd" / "worker"
    worker.mkdir()
    (worker / "main.go").write_text('package main\n\nfunc main() { println("work") }\n')
    result = goship("init", cwd=example)
    assert result.code == 0, result.output
    text = (example / "goship.toml").read_text()
    assert 'package = "./cmd/hello"' in text and 'package = "./cmd/worker"' in text
    assert text.count("#") > 10, "the file explains itself in comments"
    again = goship("init", cwd=example)
    assert again.code == 2 and "exists" in again.stderr
    built = goship("build", cwd=example)
    assert built.code == 0, built.output
    assert [line.split()[0] for line in built.stdout.splitlines()] == ["hello", "worker"]


def test_build_named_packages_on_the_command_line(goship: Goship, example: Path) -> None:
    shutil.copytree(example / "cmd" / "hello", example / "cmd" / "other")
    result = goship("build", "./cmd/other", "--json", cwd=example)
    assert result.code == 0, result.output
    document = json.loads(result.stdout)
    assert [image["name"] for image in document["images"]] == ["other"]
    assert document["images"][0]["published"][0]["destination"] == "oci-layout"
