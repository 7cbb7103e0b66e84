"""`goship verify` on images the real `goship build` pushed to a real registry: it passes on a
consistent release, and names the check that fails on a wrong version, a moved git tag, a
revision label the binary contradicts, an unexpected digest and a program that is not Go."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.conftest import Goship, git
from tests.fixtures.registry import RunningRegistry
from tests.integration.release.release_images import PLATFORMS, VERSION, Release, release_project

from goship.oci.compress import Compression
from goship.oci.image import Image, ImageIndex
from goship.oci.imageconfig import ImageConfig
from goship.oci.layer import TarEntry, write_layer
from goship.oci.layout import load_artifact
from goship.oci.platform import Platform
from goship.oci.reference import Reference
from goship.progress import SilentReporter
from goship.publish.registry import push_artifact
from goship.registry import AnonymousKeychain, RegistryClient, RegistryOptions

pytestmark = pytest.mark.integration

REVISION_LABEL = "org.opencontainers.image.revision"


@dataclass(frozen=True)
class Built:
    release: Release
    layout: Path
    repository: str
    goship: Goship


@pytest.fixture(scope="module")
def built(base_env: dict[str, str], registry_plain: RunningRegistry,
          tmp_path_factory: pytest.TempPathFactory) -> Built:
    work = tmp_path_factory.mktemp("verify")
    project = release_project(work / "hello", "")
    repository = f"{registry_plain.host}/verify/hello"
    goship = Goship(dict(base_env))
    result = goship("build", "--platform", ",".join(PLATFORMS), "--push", repository, "--tag", f"v{VERSION}",
                    "--oci-layout", str(work / "layout"), "--json", cwd=project)
    assert result.code == 0, result.output
    digest = json.loads(result.stdout)["images"][0]["digest"]
    return Built(Release(project, repository, digest, git(project, "rev-parse", "HEAD")), work / "layout",
                 repository, goship)


def verify(built: Built, reference: str, *args: str, cwd: Path | None = None):
    return built.goship("verify", reference, *args, cwd=cwd or built.release.project)


def checks(result) -> list[tuple[str, str, str | None]]:
    return [(item["check"], item["status"], item["platform"]) for item in json.loads(result.stdout)["checks"]]


def push(artifact: Image | ImageIndex, reference: str, tag: str) -> None:
    with RegistryClient(RegistryOptions(), AnonymousKeychain()) as client:
        push_artifact(client, artifact, Reference.parse(reference, default_tag=""), [tag],
                      reporter=SilentReporter())


def test_a_goship_release_passes_every_check(built: Built) -> None:
    result = verify(built, f"{built.repository}:v{VERSION}", "--version", f"v{VERSION}",
                    "--digest", built.release.digest, "--json")

    assert result.code == 0, result.output
    found = checks(result)
    assert {status for _, status, _ in found} == {"pass"}
    names = [name for name, _, _ in found]
    assert names[:5] == ["resolve", "digest", "version-label", "version-tag", "revision-git"]
    platforms = [str(Platform.parse(text)) for text in PLATFORMS]
    for check in ("binary-revision", "binary-go-version", "binary-platform"):
        assert [platform for name, _, platform in found if name == check] == platforms
    text = verify(built, f"{built.repository}:v{VERSION}", "--version", VERSION)
    assert text.code == 0 and all(line.startswith("PASS  ") for line in text.stdout.splitlines())


def test_a_wrong_version_fails_the_label_and_tag_checks(built: Built) -> None:
    result = verify(built, f"{built.repository}:v{VERSION}", "--version", "1.2.4")

    assert result.code == 10, result.output
    assert "FAIL  version-label: org.opencontainers.image.version is 1.2.3, expected 1.2.4" in result.stdout
    assert "FAIL  version-tag: tag v1.2.3 names 1.2.3, not 1.2.4" in result.stdout
    assert "skip  revision-git: " in result.stdout  # the repository has no tag v1.2.4
    assert "2 check(s) failed (version-label, version-tag)" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_git_tag_that_moved_fails_the_revision_check(built: Built, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    shutil.copytree(built.release.project, clone, ignore=shutil.ignore_patterns(".goship"))
    git(clone, "commit", "-q", "--allow-empty", "-m", "later")
    git(clone, "tag", "-f", f"v{VERSION}")
    moved = git(clone, "rev-parse", "HEAD")

    result = verify(built, f"{built.repository}:v{VERSION}", "--version", VERSION,
                    "--module-dir", str(clone), "--json")

    assert result.code == 10, result.output
    failed = [(name, platform) for name, status, platform in checks(result) if status == "fail"]
    assert failed == [("revision-git", None)]
    detail = next(item["detail"] for item in json.loads(result.stdout)["checks"]
                  if item["check"] == "revision-git")
    assert built.release.commit[:12] in detail and moved[:12] in detail


def test_a_revision_label_the_binary_contradicts_fails_for_every_platform(built: Built) -> None:
    index = load_artifact(built.layout, f"hello:v{VERSION}")
    assert isinstance(index, ImageIndex)
    other = "0123456789abcdef0123456789abcdef01234567"
    relabelled = ImageIndex(tuple(
        image.with_config(image.config.with_runtime(Labels={**image.config.labels, REVISION_LABEL: other}))
        for image in index.images), index.annotations)
    push(relabelled, built.repository, "relabelled")

    result = verify(built, f"{built.repository}:relabelled", "--version", VERSION, "--json")

    assert result.code == 10, result.output
    failed = [(name, platform) for name, status, platform in checks(result) if status == "fail"]
    platforms = [str(Platform.parse(text)) for text in PLATFORMS]
    assert failed == [("revision-git", None)] + [("binary-revision", p) for p in platforms]
    assert "vcs.revision is " + built.release.commit[:12] in result.stdout


def test_an_unexpected_digest_fails_the_digest_check(built: Built) -> None:
    result = verify(built, f"{built.repository}:v{VERSION}", "--version", VERSION,
                    "--digest", "sha256:" + "0" * 64)
    assert result.code == 10
    assert "FAIL  digest: expected sha256:000" in result.stdout and "(digest)" in result.stderr


def test_a_missing_tag_fails_to_resolve(built: Built) -> None:
    result = verify(built, f"{built.repository}:v9.9.9", "--version", "9.9.9")
    assert result.code == 10
    assert result.stdout.startswith("FAIL  resolve: image ") and "not found" in result.stdout
    assert "Traceback" not in result.stderr


def test_a_program_that_is_not_go_fails_the_buildinfo_check(built: Built, tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\necho hello\n")
    layer = write_layer([TarEntry("app", kind="dir", mode=0o755),
                         TarEntry("app/run.sh", source=script, mode=0o755)],
                        tmp_path / "blobs", mtime=0, compression=Compression())
    platform = Platform.parse("linux/amd64")
    config = ImageConfig.empty(platform).with_runtime(
        Entrypoint=["/app/run.sh"], Labels={"org.opencontainers.image.version": VERSION})
    push(Image(config.with_fields(rootfs={"type": "layers", "diff_ids": [str(layer.diff_id)]}), (layer,)),
         built.repository, "script")

    result = verify(built, f"{built.repository}:script", "--version", VERSION)

    assert result.code == 10, result.output
    assert "FAIL  buildinfo [linux/amd64]: /app/run.sh in " in result.stdout
    assert "is not an executable goship can read (ELF, PE or Mach-O)" in result.stdout
    assert "Traceback" not in result.output
