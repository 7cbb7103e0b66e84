"""`goship build --push` against the real distribution registry, read back with skopeo."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import tarfile
from pathlib import Path

import pytest
from tests.conftest import Goship

from goship.oci.compress import Compression
from goship.oci.image import Image
from goship.oci.imageconfig import ImageConfig
from goship.oci.layer import TarEntry, write_layer
from goship.oci.layout import write_layout
from goship.oci.platform import Platform
from goship.oci.windows import windows_entries

pytestmark = pytest.mark.integration


def skopeo(*args: str) -> str:
    result = subprocess.run(["skopeo", *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def raw_manifest(ref: str, *tls: str) -> dict:
    return json.loads(skopeo("inspect", "--raw", *(tls or ("--tls-verify=false",)), f"docker://{ref}"))


def pushed(result) -> list[dict]:
    assert result.code == 0, result.output
    return json.loads(result.stdout)["images"]


def blob_count(storage: Path) -> int:
    return len(list((storage / "docker/registry/v2/blobs/sha256").glob("*/*")))


def test_push_to_plain_registry_is_readable_by_skopeo(goship: Goship, example: Path,
                                                      registry_plain, tmp_path: Path) -> None:
    target = f"{registry_plain.host}/team/hello:v1"
    result = goship("build", "--push", target, cwd=example)
    assert result.code == 0, result.output
    lines = result.stdout.splitlines()
    digest = lines[0].split()[2]
    assert lines[1] == f"{target}@{digest}"
    inspected = json.loads(skopeo("inspect", "--tls-verify=false", f"docker://{target}"))
    assert inspected["Digest"] == digest
    assert inspected["Labels"]["org.opencontainers.image.title"] == "hello"
    skopeo("copy", "--src-tls-verify=false", f"docker://{target}", f"oci:{tmp_path / 'copy'}:hello")
    index = json.loads((tmp_path / "copy" / "index.json").read_text())
    assert index["manifests"][0]["digest"] == digest
    assert not (example / ".goship" / "oci").exists(), "a push alone writes no layout"


def test_rebuild_with_nothing_changed_uploads_zero_bytes(goship: Goship, example: Path,
                                                         registry_plain) -> None:
    target = f"{registry_plain.host}/team/unchanged"
    first = pushed(goship("build", "--push", target, "--json", cwd=example))
    assert first[0]["published"][0]["uploaded_bytes"] > 1_000_000
    before = blob_count(registry_plain.storage)
    second = pushed(goship("build", "--push", target, "--json", cwd=example))
    assert second[0]["digest"] == first[0]["digest"]
    assert second[0]["published"][0]["uploaded_bytes"] == 0
    assert blob_count(registry_plain.storage) == before


def test_one_line_change_uploads_only_the_application_layer(goship: Goship, example: Path,
                                                            registry_plain) -> None:
    target = f"{registry_plain.host}/team/changed"
    first = pushed(goship("build", "--push", target, "--json", cwd=example))
    main = example / "cmd" / "hello" / "main.go"
    main.write_text(main.read_text().replace("hello from goship", "hello again from goship"))
    second = pushed(goship("build", "--push", target, "--json", cwd=example))
    assert second[0]["digest"] != first[0]["digest"]
    uploaded = second[0]["published"][0]["uploaded_bytes"]
    manifest = raw_manifest(f"{target}:latest")
    app_layer = manifest["layers"][-1]["size"]
    assert uploaded == app_layer + manifest["config"]["size"]


def test_push_over_tls_with_htpasswd_from_docker_config(goship: Goship, example: Path,
                                                        registry_tls, tmp_path: Path) -> None:
    config_dir = tmp_path / "docker"
    registry_tls.docker_config(config_dir)
    target = f"{registry_tls.host}/secure/hello:1.0.0"
    result = goship("build", "--push", target, "--ca-file", str(registry_tls.ca_file), cwd=example,
                    env={"DOCKER_CONFIG": str(config_dir)})
    assert result.code == 0, result.output
    assert registry_tls.password not in result.output
    digest = result.stdout.splitlines()[0].split()[2]
    inspected = json.loads(skopeo("inspect", "--creds", f"{registry_tls.username}:{registry_tls.password}",
                                  "--tls-verify=false", f"docker://{target}"))
    assert inspected["Digest"] == digest


def test_push_with_token_auth(goship: Goship, example: Path, registry_token, tmp_path: Path) -> None:
    config_dir = tmp_path / "docker"
    registry_token.docker_config(config_dir)
    target = f"{registry_token.host}/tokens/hello:v2"
    result = goship("build", "--push", target, "--platform", "linux/amd64,linux/arm64", cwd=example,
                    env={"DOCKER_CONFIG": str(config_dir)})
    assert result.code == 0, result.output
    index = json.loads(skopeo("inspect", "--raw", "--tls-verify=false", "--creds",
                              f"{registry_token.username}:{registry_token.password}",
                              f"docker://{target}"))
    assert [m["platform"]["architecture"] for m in index["manifests"]] == ["amd64", "arm64"]


def test_multi_platform_push_is_one_index(goship: Goship, example: Path, registry_plain) -> None:
    target = f"{registry_plain.host}/team/multi:latest"
    result = goship("build", "--push", target, "--platform", "linux/arm64,linux/amd64", cwd=example)
    assert result.code == 0, result.output
    index = raw_manifest(target)
    assert index["mediaType"] == "application/vnd.oci.image.index.v1+json"
    assert [(m["platform"]["os"], m["platform"]["architecture"]) for m in index["manifests"]] == [
        ("linux", "arm64"), ("linux", "amd64")]
    copied = json.loads(skopeo("inspect", "--tls-verify=false", "--override-arch", "arm64",
                               f"docker://{target}"))
    assert copied["Architecture"] == "arm64"


def test_base_image_by_reference_is_pinned_and_its_layers_mounted(goship: Goship, example: Path,
                                                                  registry_plain) -> None:
    base = f"{registry_plain.host}/bases/hello:1"
    assert goship("build", "--push", base, cwd=example).code == 0
    base_digest = json.loads(skopeo("inspect", "--tls-verify=false", f"docker://{base}"))["Digest"]
    target = f"{registry_plain.host}/apps/on-base"
    main = example / "cmd" / "hello" / "main.go"
    main.write_text(main.read_text().replace("hello from goship", "built on a base"))
    result = goship("build", "--base", base, "--push", target, "--json", "-v", cwd=example)
    image = pushed(result)[0]
    manifest = raw_manifest(f"{target}:latest")
    base_manifest = raw_manifest(base)
    assert [layer["digest"] for layer in manifest["layers"][:2]] == \
        [layer["digest"] for layer in base_manifest["layers"]]
    assert manifest["annotations"]["org.opencontainers.image.base.name"] == base
    assert manifest["annotations"]["org.opencontainers.image.base.digest"] == base_digest
    # the base's layers were mounted from bases/hello, not uploaded again
    assert image["published"][0]["uploaded_bytes"] == \
        manifest["layers"][-1]["size"] + manifest["config"]["size"]
    assert "mounted" in result.stderr


def test_base_without_the_platform_is_refused(goship: Goship, example: Path, registry_plain) -> None:
    base = f"{registry_plain.host}/bases/amd64-only:1"
    assert goship("build", "--push", base, cwd=example).code == 0
    result = goship("build", "--base", base, "--platform", "linux/arm64", cwd=example)
    assert result.code == 5, result.output
    assert "linux/arm64" in result.stderr and "Traceback" not in result.output


def _fake_nanoserver(tmp_path: Path, registry_host: str) -> str:
    """A stand-in for mcr.microsoft.com/windows/nanoserver: the shape of a Windows base."""
    entries = windows_entries([
        TarEntry("Windows", kind="dir", mode=0o755),
        TarEntry("Windows/System32", kind="dir", mode=0o755),
        TarEntry("Windows/System32/cmd.exe", data=b"MZ fake"),
    ])
    layer = write_layer(entries, tmp_path / "blobs", mtime=0, compression=Compression())
    platform = Platform("windows", "amd64", os_version="10.0.20348.2762")
    config = (ImageConfig.empty(platform)
              .with_runtime(Env=["PATH=C:\\Windows\\system32;C:\\Windows"], User="ContainerUser")
              .with_layer(layer.diff_id, "Apply image 10.0.20348.2762", "2024-10-01T00:00:00Z"))
    write_layout(tmp_path / "nano", Image(config=config, layers=(layer,)), "nanoserver:ltsc2022")
    target = f"{registry_host}/windows/nanoserver:ltsc2022"
    skopeo("copy", "--dest-tls-verify=false", f"oci:{tmp_path / 'nano'}:nanoserver:ltsc2022",
           f"docker://{target}")
    return target


def test_windows_image_has_the_windows_layer_layout(goship: Goship, example: Path, registry_plain,
                                                    tmp_path: Path) -> None:
    nanoserver = _fake_nanoserver(tmp_path, registry_plain.host)
    (example / "goship.toml").write_text(
        f'windows_base = "{nanoserver}"\n[[images]]\nname = "hello"\npackage = "./cmd/hello"\n')
    target = f"{registry_plain.host}/team/hello-win:latest"
    result = goship("build", "--platform", "linux/amd64,windows/amd64", "--push", target, cwd=example)
    assert result.code == 0, result.output
    index = raw_manifest(target)
    windows = [m for m in index["manifests"] if m["platform"]["os"] == "windows"]
    assert [m["platform"].get("os.version") for m in windows] == ["10.0.20348.2762"]
    manifest = raw_manifest(f"{target.rsplit(':', 1)[0]}@{windows[0]['digest']}")
    config = json.loads(skopeo("inspect", "--config", "--raw", "--tls-verify=false",
                               f"docker://{target.rsplit(':', 1)[0]}@{windows[0]['digest']}"))
    assert config["os"] == "windows" and config["os.version"] == "10.0.20348.2762"
    assert config["config"]["Entrypoint"] == ["C:\\app\\hello.exe"]
    assert config["config"]["User"] == "ContainerUser"
    copied = tmp_path / "win"
    skopeo("copy", "--src-tls-verify=false", "--override-os", "windows",
           f"docker://{target}", f"dir:{copied}")
    app_digest = manifest["layers"][-1]["digest"].split(":")[1]
    data = gzip.decompress((copied / app_digest).read_bytes())
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = tar.getmembers()
        names = [m.name.rstrip("/") for m in members]
        assert names[:2] == ["Files", "Hives"]
        assert "Files/app/hello.exe" in names
        for member in members[2:]:
            assert member.name.startswith("Files/")
            assert "MSWINDOWS.rawsd" in member.pax_headers
        exe = tar.extractfile("Files/app/hello.exe").read()
    assert exe[:2] == b"MZ"


def test_several_tags_count_the_upload_once(goship: Goship, example: Path, registry_plain) -> None:
    target = f"{registry_plain.host}/team/two-tags"
    result = goship("build", "--push", target, "--tag", "a", "--tag", "b", "--json", cwd=example)
    [image] = pushed(result)
    references = [p["reference"] for p in image["published"]]
    assert references == [f"{target}:a@{image['digest']}", f"{target}:b@{image['digest']}"]
    uploaded = [p["uploaded_bytes"] for p in image["published"]]
    manifest = raw_manifest(f"{target}:b")
    assert uploaded == [sum(layer["size"] for layer in manifest["layers"]) + manifest["config"]["size"], 0]


def test_a_new_layer_streams_to_the_registry_while_it_is_compressed(goship: Goship, example: Path,
                                                                      registry_factory) -> None:
    registry = registry_factory("plain", access_log=True)
    target = f"{registry.host}/team/streamed"
    assert goship("build", "--push", target, cwd=example).code == 0
    main = example / "cmd" / "hello" / "main.go"
    main.write_text(main.read_text().replace("hello from goship", "streamed from goship"))
    result = goship("build", "--push", target, "--json", cwd=example)
    [image] = pushed(result)
    manifest = raw_manifest(f"{target}:latest")
    app_layer = manifest["layers"][-1]
    log = registry.log_file.read_text()
    assert "PATCH /v2/team/streamed/blobs/uploads/" in log
    assert 'PUT /v2/team/streamed/blobs/uploads/' in log and app_layer["digest"] in log
    # counted once, as uploaded, though no ordinary upload of it took place
    assert image["published"][0]["uploaded_bytes"] == app_layer["size"] + manifest["config"]["size"]
