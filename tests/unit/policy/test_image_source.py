"""Opening sources for the image rules (OCI layouts, tarballs, bad paths), reading layers as
streams (plain tar, hard links, corrupt data) and the [policy] settings applied to findings."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path
from typing import Any

import pytest

from goship.errors import ImageError, UsageError
from goship.oci import mediatypes
from goship.oci.digest import Digest
from goship.oci.image import Image, ImageIndex
from goship.oci.layer import FileLayer, TarEntry
from goship.oci.layout import write_layout
from goship.oci.manifest import Descriptor
from goship.oci.tarball import write_tarball
from goship.policy.image_rules import lint_image
from goship.policy.interface import PolicySettings, Severity

from .image_builder import APP, BASE, SETTINGS, Builder, check, messages, rules


@pytest.fixture
def build(tmp_path: Path) -> Builder:
    return Builder(tmp_path / "blobs")


def test_overrides_and_disabled_rules_apply(build: Builder) -> None:
    settings = PolicySettings(severity_overrides={"GS617": Severity.ERROR},
                              disabled_rules=frozenset({"GS601"}))
    findings = check(build.image(user="root"), settings)
    assert [(f.rule, f.severity) for f in findings] == [("GS617", Severity.ERROR)]


class ExplodingLayer:
    """A layer that must not be read."""

    def __init__(self, real: FileLayer) -> None:
        self.descriptor, self.diff_id, self.origin = real.descriptor, real.diff_id, None

    def open(self) -> Any:
        raise AssertionError("the layer was read although every file rule is disabled")


def test_layers_are_not_read_when_every_file_rule_is_disabled(build: Builder) -> None:
    from goship.policy.image_rules import FILE_RULES

    image = build.image()
    image = Image(image.config, tuple(ExplodingLayer(layer) for layer in image.layers))  # type: ignore[arg-type]
    findings = check(image, PolicySettings(disabled_rules=FILE_RULES))
    assert rules(findings) == {"GS617"}


def test_a_corrupt_layer_is_an_image_error(build: Builder, tmp_path: Path) -> None:
    good = build.image()
    path = tmp_path / "corrupt"
    path.write_bytes(gzip.compress(b"this is not a tar archive" * 40))
    descriptor = Descriptor(mediatypes.OCI_LAYER_GZIP, Digest.of_bytes(path.read_bytes()),
                            path.stat().st_size)
    broken = Image(good.config, (FileLayer(path, descriptor, good.layers[0].diff_id), good.layers[1]))
    with pytest.raises(ImageError, match=r"layer 1 \(sha256:.*\) of oci:test .* cannot be read"):
        check(broken)


def _bad_and_good_index(build: Builder) -> ImageIndex:
    shell = [TarEntry("bin/sh", data=b"x", mode=0o755)]
    return ImageIndex((build.image(), build.image(BASE, shell, APP, platform="linux/arm64", user="0")))


def test_lint_image_reads_every_platform_of_a_layout_and_reports_the_tag_once(
        build: Builder, tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    write_layout(layout, _bad_and_good_index(build), "hello:latest")
    source = f"oci:{layout}"
    findings = lint_image(source, SETTINGS)
    assert {f.location.path for f in findings} == {source}
    assert [f.message for f in findings if f.rule in ("GS601", "GS605", "GS610")] == [
        "linux/arm64: User '0' is root", "is tagged 'latest', which moves with every push",
        "linux/arm64: has a shell: /bin/sh"]
    for named in (f"oci:{layout}:latest", f"oci:{layout}:hello:latest"):
        again = lint_image(named, SETTINGS)
        assert [(f.rule, f.message, f.location.path) for f in again] == [
            (f.rule, f.message, named) for f in findings]


def test_lint_image_reads_tarballs_and_names_each_entry(build: Builder, tmp_path: Path) -> None:
    tarball = tmp_path / "images.tar"
    good = build.image()
    bad = build.image(user="root")
    write_tarball(tarball, [(good, ["hello:v1.2.3"]), (bad, ["hello:v1.2.4"])])
    findings = lint_image(f"tarball:{tarball}", SETTINGS)
    assert [f.message for f in findings if f.severity >= Severity.WARNING] == [
        "hello:v1.2.4 linux/amd64: User 'root' is root",
        "hello:v1.2.4: tag 'v1.2.4' does not match the version label '1.2.3'"]
    only_good = lint_image(f"tarball:{tarball}:v1.2.3", SETTINGS)
    assert rules(only_good) == {"GS617"}


@pytest.mark.parametrize(("source", "error", "text"), [
    ("oci:{tmp}/nothing", ImageError, "does not exist"),
    ("tarball:{tmp}/nothing.tar", ImageError, "cannot read tarball"),
    ("{tmp}", UsageError, "is a directory here, not an image reference"),
    ("Not A Reference", UsageError, "is not an image reference"),
    ("oci:", UsageError, "no path after the source prefix"),
    ("tarball:{tmp}", UsageError, "is a directory, not an image tarball"),
    ("oci:{tmp}/file.tar", UsageError, "is a file, not an OCI layout directory"),
    ("tarball:{tmp}/file.tar", ImageError, "is not a readable tar file"),
])
def test_unreadable_sources_are_goship_errors_with_hints(tmp_path: Path, source: str,
                                                        error: type[Exception], text: str) -> None:
    (tmp_path / "file.tar").write_bytes(b"not a tar file" * 100)
    with pytest.raises(error, match=text) as caught:
        lint_image(source.format(tmp=tmp_path), SETTINGS)
    assert getattr(caught.value, "hint", "")


def test_a_layout_without_the_named_image_lists_its_names(build: Builder, tmp_path: Path) -> None:
    write_layout(tmp_path / "layout", build.image(), "hello:v1.2.3")
    with pytest.raises(ImageError, match="no image named 'v9'") as caught:
        lint_image(f"oci:{tmp_path / 'layout'}:v9", SETTINGS)
    assert "hello:v1.2.3" in caught.value.hint  # type: ignore[attr-defined]


def test_hard_links_and_plain_tar_layers_are_read(build: Builder, tmp_path: Path) -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        data = b"-----BEGIN EC PRIVATE KEY-----\n"
        info = tarfile.TarInfo("keys/a.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("keys/b.txt")
        link.type, link.linkname, link.mode = tarfile.LNKTYPE, "keys/a.txt", 0o4755
        tar.addfile(link)
    path = tmp_path / "plain.tar"
    path.write_bytes(raw.getvalue())
    digest = Digest.of_bytes(raw.getvalue())
    layer = FileLayer(path, Descriptor(mediatypes.OCI_LAYER, digest, len(raw.getvalue())), digest)
    findings = check(build.image(build.layer(BASE), layer, build.layer(APP)))
    assert messages(findings, "GS608") == ["linux/amd64: /keys/a.txt looks like a PEM private key",
                                           "linux/amd64: /keys/b.txt looks like a PEM private key"]
    assert messages(findings, "GS606") == ["linux/amd64: /keys/b.txt is setuid (mode 4755)"]


def test_a_zstd_layer_is_skipped_with_a_reason(build: Builder, tmp_path: Path) -> None:
    path = tmp_path / "layer.zst"
    path.write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 60)
    digest = Digest.of_bytes(path.read_bytes())
    zstd = FileLayer(path, Descriptor(mediatypes.OCI_LAYER_ZSTD, digest, 64), digest)
    findings = check(build.image(build.layer(BASE), zstd, build.layer(APP), entrypoint=["/app/gone"]))
    assert rules(findings) == {"GS617", "GS618"}  # the entrypoint may be in the unread layer
    assert "is zstd-compressed" in messages(findings, "GS618")[0]
