"""The order of a push: blobs, then manifests by digest, then tags; a failure leaves no tag."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pytest

from goship.errors import RegistryError
from goship.oci.compress import Compression
from goship.oci.digest import Digest
from goship.oci.image import Image, ImageIndex
from goship.oci.imageconfig import ImageConfig
from goship.oci.layer import TarEntry, write_layer
from goship.oci.platform import Platform
from goship.oci.reference import Reference
from goship.progress import SilentReporter
from goship.publish.registry import PushStats, push_artifact


class RecordingRegistry:
    """A stand-in for our RegistryWriter protocol that keeps what it was sent, in order."""

    def __init__(self, fail_on_blob: Digest | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.blobs: dict[Digest, bytes] = {}
        self.manifests: dict[str, tuple[bytes, str]] = {}
        self.fail_on_blob = fail_on_blob

    def head_manifest(self, ref: Reference) -> tuple[str, Digest, int] | None:
        found = self.manifests.get(ref.identifier)
        if found is None:
            return None
        return found[1], Digest.of_bytes(found[0]), len(found[0])

    def put_manifest(self, ref: Reference, raw: bytes, media_type: str) -> Digest:
        self.calls.append(("manifest", ref.identifier))
        self.manifests[ref.identifier] = (raw, media_type)
        return Digest.of_bytes(raw)

    def upload_blob(self, ref: Reference, digest: Digest, size: int, opener: Callable[[], BinaryIO], *,
                    mount_from: Reference | None = None,
                    on_progress: Callable[[int], None] | None = None,
                    likely_present: bool = False) -> str:
        if digest in self.blobs:
            return "exists"
        if digest == self.fail_on_blob:
            raise RegistryError("connection reset while uploading", "retry")
        data = opener().read()
        assert Digest.of_bytes(data) == digest and len(data) == size
        self.calls.append(("blob", str(digest)))
        self.blobs[digest] = data
        return "uploaded"


def _image(tmp_path: Path, arch: str, payload: bytes) -> Image:
    layer = write_layer([TarEntry("app/bin", data=payload)], tmp_path / arch, mtime=0,
                        compression=Compression())
    config = ImageConfig.empty(Platform("linux", arch)).with_layer(layer.diff_id, "test",
                                                                   "1970-01-01T00:00:00Z")
    return Image(config=config, layers=(layer,))


TARGET = Reference.parse("127.0.0.1:5000/team/api", default_tag="")


def test_blobs_then_manifests_by_digest_then_tags(tmp_path: Path) -> None:
    index = ImageIndex((_image(tmp_path, "amd64", b"a" * 1000), _image(tmp_path, "arm64", b"b" * 1000)))
    registry = RecordingRegistry()
    stats = PushStats()
    digest = push_artifact(registry, index, TARGET, ["v1", "latest"], reporter=SilentReporter(), stats=stats)
    assert digest == index.digest
    kinds = [kind for kind, _ in registry.calls]
    assert kinds == ["blob"] * 4 + ["manifest"] * 4
    manifests = [name for kind, name in registry.calls if kind == "manifest"]
    # platform manifests by digest first; the index goes up with its tags
    assert manifests == [str(index.images[0].digest), str(index.images[1].digest), "v1", "latest"]
    assert registry.manifests["v1"][0] == index.index_bytes
    assert stats.uploaded == 4


def test_a_failed_blob_upload_leaves_no_tag(tmp_path: Path) -> None:
    image = _image(tmp_path, "amd64", b"x" * 5000)
    registry = RecordingRegistry(fail_on_blob=image.layers[0].descriptor.digest)
    with pytest.raises(RegistryError):
        push_artifact(registry, image, TARGET, ["latest"], reporter=SilentReporter())
    assert not any(kind == "manifest" for kind, _ in registry.calls)


def test_what_the_tags_were_seen_to_name_is_not_asked_again(tmp_path: Path) -> None:
    image = _image(tmp_path, "amd64", b"k" * 100)
    registry = RecordingRegistry()
    push_artifact(registry, image, TARGET, ["latest"], reporter=SilentReporter())
    registry.calls.clear()
    asked: list[str] = []
    original = registry.head_manifest
    registry.head_manifest = lambda ref: asked.append(ref.identifier) or original(ref)  # type: ignore[method-assign]
    push_artifact(registry, image, TARGET, ["latest"], reporter=SilentReporter(),
                  known_tags={"latest": image.digest})
    assert asked == [] and registry.calls == []


def test_tag_already_at_the_digest_uploads_nothing(tmp_path: Path) -> None:
    image = _image(tmp_path, "amd64", b"y" * 5000)
    registry = RecordingRegistry()
    push_artifact(registry, image, TARGET, ["latest"], reporter=SilentReporter())
    registry.calls.clear()
    stats = PushStats()
    push_artifact(registry, image, TARGET, ["latest"], reporter=SilentReporter(), stats=stats)
    assert registry.calls == []
    assert stats.uploaded_bytes == 0


def test_new_tag_for_an_existing_image_only_writes_the_tag(tmp_path: Path) -> None:
    image = _image(tmp_path, "amd64", b"z" * 5000)
    registry = RecordingRegistry()
    push_artifact(registry, image, TARGET, ["v1"], reporter=SilentReporter())
    registry.calls.clear()
    push_artifact(registry, image, TARGET, ["v2"], reporter=SilentReporter())
    assert registry.calls == [("manifest", "v2")]


def test_config_blob_bytes(tmp_path: Path) -> None:
    image = _image(tmp_path, "amd64", b"q")
    registry = RecordingRegistry()
    push_artifact(registry, image, TARGET, ["latest"], reporter=SilentReporter())
    assert registry.blobs[image.config_descriptor.digest] == image.config_bytes
