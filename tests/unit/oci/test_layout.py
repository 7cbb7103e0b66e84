from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pytest

from goship.errors import ImageError, OutputError
from goship.oci import mediatypes
from goship.oci.blobstore import ForeignLayer
from goship.oci.digest import Digest
from goship.oci.image import Image, ImageIndex
from goship.oci.layer import FileLayer, Layer
from goship.oci.layout import (
    REF_NAME,
    load_artifact,
    read_layout,
    write_layout,
)
from goship.oci.manifest import Descriptor
from goship.oci.platform import Platform
from goship.oci.reference import Reference

from .conftest import build_image


def tree(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def layer_bytes(layer: Layer) -> bytes:
    with layer.open() as stream:
        return stream.read()


def test_image_round_trips_with_the_same_digests(tmp_path: Path, image: Image) -> None:
    layout = tmp_path / "layout"
    entry = write_layout(layout, image, "api:latest")

    loaded = load_artifact(layout, "api:latest", None)

    assert isinstance(loaded, Image)
    assert entry.digest == image.digest == loaded.digest
    assert loaded.config_descriptor == image.config_descriptor
    assert loaded.manifest.layers == image.manifest.layers
    assert [layer.diff_id for layer in loaded.layers] == [layer.diff_id for layer in image.layers]
    for original, copy in zip(image.layers, loaded.layers, strict=True):
        assert isinstance(copy, FileLayer)
        assert copy.path.parent == layout / "blobs" / "sha256"
        assert layer_bytes(copy) == layer_bytes(original)


def test_layout_files_follow_the_image_spec(tmp_path: Path, image: Image) -> None:
    layout = tmp_path / "layout"
    write_layout(layout, image, "api:latest")

    assert json.loads((layout / "oci-layout").read_bytes()) == {"imageLayoutVersion": "1.0.0"}
    index = json.loads((layout / "index.json").read_bytes())
    assert index["schemaVersion"] == 2
    assert index["mediaType"] == mediatypes.OCI_INDEX
    [entry] = index["manifests"]
    assert entry["mediaType"] == mediatypes.OCI_MANIFEST
    assert entry["digest"] == str(image.digest)
    assert entry["size"] == len(image.manifest_bytes)
    assert entry["annotations"] == {REF_NAME: "api:latest"}
    blobs = {p.name for p in (layout / "blobs" / "sha256").iterdir()}
    expected = {image.digest.hex, image.config_descriptor.digest.hex}
    expected |= {layer.descriptor.digest.hex for layer in image.layers}
    assert blobs == expected
    assert (layout / "blobs" / "sha256" / image.digest.hex).read_bytes() == image.manifest_bytes


def test_index_with_two_platforms_round_trips(tmp_path: Path, index: ImageIndex) -> None:
    layout = tmp_path / "layout"
    entry = write_layout(layout, index, "api:multi")
    assert entry.media_type == mediatypes.OCI_INDEX

    loaded = load_artifact(layout, "api:multi", None)
    assert isinstance(loaded, ImageIndex)
    assert loaded.digest == index.digest
    assert [i.digest for i in loaded.images] == [i.digest for i in index.images]

    arm = load_artifact(layout, "api:multi", Platform.parse("linux/arm64"))
    assert isinstance(arm, Image)
    assert arm.digest == index.images[1].digest
    with pytest.raises(ImageError, match="linux/amd64, linux/arm64"):
        load_artifact(layout, "api:multi", Platform.parse("linux/s390x"))


def test_load_by_digest(tmp_path: Path, index: ImageIndex) -> None:
    layout = tmp_path / "layout"
    write_layout(layout, index, "api:multi")

    child = load_artifact(layout, str(index.images[0].digest), None)
    assert isinstance(child, Image)
    assert child.digest == index.images[0].digest
    assert load_artifact(layout, str(index.digest), None).digest == index.digest


def test_same_image_twice_gives_byte_identical_trees(tmp_path: Path) -> None:
    first = build_image(tmp_path / "cache-one")
    second = build_image(tmp_path / "cache-two")
    write_layout(tmp_path / "one", first, "api:latest")
    write_layout(tmp_path / "two", second, "api:latest")

    assert tree(tmp_path / "one") == tree(tmp_path / "two")


def test_second_write_writes_no_blobs(tmp_path: Path, index: ImageIndex) -> None:
    layout = tmp_path / "layout"
    first: list[tuple[Descriptor, bool]] = []
    write_layout(layout, index, "api:latest", lambda d, written: first.append((d, written)))
    stamps = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in layout.rglob("*")}

    second: list[tuple[Descriptor, bool]] = []
    write_layout(layout, index, "api:latest", lambda d, written: second.append((d, written)))

    assert all(written for _, written in first)
    # shared layers are counted once: two configs, two manifests, one index, three layers
    assert len(first) == 8
    assert [d for d, _ in second] == [d for d, _ in first]
    assert not any(written for _, written in second)
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in layout.rglob("*")} == stamps


def test_rewriting_a_blob_with_the_wrong_size(tmp_path: Path, image: Image) -> None:
    layout = tmp_path / "layout"
    write_layout(layout, image, "api:latest")
    damaged = layout / "blobs" / "sha256" / image.layers[1].descriptor.digest.hex
    damaged.write_bytes(b"truncated")

    reports: list[tuple[Descriptor, bool]] = []
    write_layout(layout, image, "api:latest", lambda d, written: reports.append((d, written)))

    assert [written for _, written in reports] == [False, True, False, False]
    assert damaged.read_bytes() == layer_bytes(image.layers[1])


def test_replacing_an_entry_keeps_the_others(tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    old = build_image(tmp_path / "c1", payload=b"old")
    other = build_image(tmp_path / "c2", payload=b"other")
    new = build_image(tmp_path / "c3", payload=b"new")

    write_layout(layout, old, "api:v1")
    write_layout(layout, other, "api:v2")
    write_layout(layout, new, "api:v1")

    entries = {name: d.digest for name, d in read_layout(layout)}
    assert entries == {"api:v1": new.digest, "api:v2": other.digest}
    # old blobs are kept: nothing a reference might still need is deleted
    assert (layout / "blobs" / "sha256" / old.digest.hex).is_file()


def test_entries_are_sorted_whatever_the_order_of_writes(tmp_path: Path) -> None:
    one, two = build_image(tmp_path / "c1", payload=b"1"), build_image(tmp_path / "c2", payload=b"2")
    write_layout(tmp_path / "a", one, "api:b")
    write_layout(tmp_path / "a", two, "api:a")
    write_layout(tmp_path / "b", two, "api:a")
    write_layout(tmp_path / "b", one, "api:b")

    assert [name for name, _ in read_layout(tmp_path / "a")] == ["api:a", "api:b"]
    assert (tmp_path / "a" / "index.json").read_bytes() == (tmp_path / "b" / "index.json").read_bytes()


def test_existing_unnamed_and_foreign_entries_are_kept(tmp_path: Path, image: Image) -> None:
    layout = tmp_path / "layout"
    write_layout(layout, image, "api:latest")
    index = json.loads((layout / "index.json").read_bytes())
    unnamed = {"mediaType": mediatypes.OCI_MANIFEST, "digest": "sha256:" + "a" * 64, "size": 1}
    index["manifests"].append(unnamed)
    index["annotations"] = {"made.by": "another tool"}
    (layout / "index.json").write_text(json.dumps(index))

    write_layout(layout, image, "api:v2")

    rewritten = json.loads((layout / "index.json").read_bytes())
    assert unnamed in rewritten["manifests"]
    assert rewritten["annotations"] == {"made.by": "another tool"}
    assert sorted(name for name, _ in read_layout(layout)) == ["", "api:latest", "api:v2"]


def test_corrupt_index_json_is_an_error_not_a_traceback(tmp_path: Path, image: Image) -> None:
    layout = tmp_path / "layout"
    write_layout(layout, image, "api:latest")
    (layout / "index.json").write_text("{not json")

    with pytest.raises(OutputError) as written:
        write_layout(layout, image, "api:latest")
    assert str(layout / "index.json") in written.value.message
    assert written.value.hint
    with pytest.raises(ImageError, match=r"index\.json is corrupt"):
        read_layout(layout)

    (layout / "index.json").write_text('{"manifests": [{"digest": "nonsense"}]}')
    with pytest.raises(OutputError, match="corrupt"):
        write_layout(layout, image, "api:latest")


def test_layout_path_that_is_a_file(tmp_path: Path, image: Image) -> None:
    target = tmp_path / "layout"
    target.write_text("I am a file")
    with pytest.raises(OutputError, match="is a file") as error:
        write_layout(target, image, "api:latest")
    assert error.value.hint

    with pytest.raises(OutputError, match=re.escape(str(target))):
        write_layout(target / "inside", image, "api:latest")


def test_a_file_where_the_blobs_directory_should_be(tmp_path: Path, image: Image) -> None:
    layout = tmp_path / "layout"
    write_layout(layout, build_image(tmp_path / "other", payload=b"other"), "other:v1")
    for blob in (layout / "blobs" / "sha256").iterdir():
        blob.unlink()
    (layout / "blobs" / "sha256").rmdir()
    (layout / "blobs" / "sha256").write_text("in the way")

    with pytest.raises(OutputError, match="blobs/sha256") as error:
        write_layout(layout, image, "api:latest")
    assert "a file is in the way" in error.value.hint


def test_directory_with_other_content_is_refused(tmp_path: Path, image: Image) -> None:
    (tmp_path / "notes.txt").write_text("precious")
    with pytest.raises(OutputError, match="not an OCI layout"):
        write_layout(tmp_path, image, "api:latest")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "notes.txt"]


def test_existing_layout_with_extra_files_is_accepted(tmp_path: Path, image: Image) -> None:
    layout = tmp_path / "layout"
    write_layout(layout, image, "api:v1")
    (layout / "manifest.json").write_text("[]")  # as in an extracted docker save

    write_layout(layout, image, "api:v2")
    assert [name for name, _ in read_layout(layout)] == ["api:v1", "api:v2"]


PERMISSION_CHILD = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from conftest import build_image
from goship.errors import OutputError
from goship.oci.layout import write_layout
target = Path(sys.argv[1])
try:
    write_layout(target / "layout", build_image(target.parent / "cache"), "api:latest")
except OutputError as error:
    print(error.message)
    print(error.hint)
    sys.exit(0)
sys.exit("no OutputError")
"""


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_permission_denied_is_an_output_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    command = [sys.executable, "-c", PERMISSION_CHILD, str(locked), str(Path(__file__).parent)]
    if os.geteuid() == 0:
        # root writes anywhere; drop the capability that lets it, as an unprivileged user lacks it
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv to drop CAP_DAC_OVERRIDE")
        command = [setpriv, "--inh-caps=-all",
                   "--bounding-set=-dac_override,-dac_read_search", "--", *command]
    src = str(Path(__file__).parents[3] / "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    finally:
        locked.chmod(0o700)
    assert done.returncode == 0, done.stderr
    message, hint = done.stdout.splitlines()
    assert "Permission denied" in message and str(locked / "layout") in message
    assert hint.startswith("check that you may write to")
    assert "Traceback" not in done.stderr


def test_invalid_ref_name(tmp_path: Path, image: Image) -> None:
    with pytest.raises(OutputError, match="not a valid reference name"):
        write_layout(tmp_path / "layout", image, "has space")
    assert not (tmp_path / "layout").exists()


def test_unknown_ref_lists_the_known_ones(tmp_path: Path, image: Image) -> None:
    layout = tmp_path / "layout"
    write_layout(layout, image, "api:v1")
    write_layout(layout, image, "api:v2")

    with pytest.raises(ImageError, match="no image named 'api:v3'") as error:
        load_artifact(layout, "api:v3", None)
    assert "api:v1, api:v2" in error.value.hint


def test_not_a_layout(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="does not exist"):
        read_layout(tmp_path / "missing")
    with pytest.raises(ImageError, match="not an OCI layout"):
        load_artifact(tmp_path, "api:latest", None)


@dataclass(frozen=True)
class BrokenLayer:
    """A layer whose bytes fail: at open(), after some bytes, or by not matching its digest."""

    descriptor: Descriptor
    diff_id: Digest
    failure: str
    origin: Reference | None = None

    def open(self) -> contextlib.AbstractContextManager[BinaryIO]:
        if self.failure == "open":
            raise RuntimeError("build interrupted")
        return self._stream()

    @contextlib.contextmanager
    def _stream(self) -> Iterator[BinaryIO]:
        if self.failure == "wrong-bytes":
            yield io.BytesIO(b"x" * self.descriptor.size)
            return

        class Failing(io.BytesIO):
            def read(self, size: int | None = -1) -> bytes:
                if self.tell():
                    raise KeyboardInterrupt
                return super().read(3)

        yield Failing(b"abcdef" * 10)


@pytest.mark.parametrize(
    ("failure", "error"),
    [("open", RuntimeError), ("mid-read", KeyboardInterrupt), ("wrong-bytes", ImageError)],
)
def test_interrupted_write_leaves_no_partial_blob(
    tmp_path: Path, image: Image, failure: str, error: type[BaseException]
) -> None:
    good, real = image.layers
    broken = BrokenLayer(real.descriptor, real.diff_id, failure)
    layout = tmp_path / "layout"

    with pytest.raises(error):
        write_layout(layout, Image(image.config, (good, broken)), "api:latest")

    names = {p.name for p in (layout / "blobs" / "sha256").iterdir()}
    assert names == {good.descriptor.digest.hex}  # complete blobs only, no temp files
    assert not (layout / "index.json").exists()
    assert [p.name for p in layout.iterdir() if p.name.startswith(".tmp")] == []


def test_foreign_layers_are_not_written(tmp_path: Path, image: Image) -> None:
    foreign_descriptor = Descriptor(
        mediatypes.DOCKER_FOREIGN_LAYER,
        Digest.parse("sha256:" + "f" * 64),
        1234,
        urls=("https://mcr.microsoft.com/v2/blobs/sha256:" + "f" * 64,),
    )
    foreign = ForeignLayer(foreign_descriptor, Digest.parse("sha256:" + "e" * 64))
    config = image.config.with_layer(foreign.diff_id, "base", "2024-01-01T00:00:00Z")
    with_foreign = Image(config, (*image.layers, foreign))
    layout = tmp_path / "layout"
    reported: list[Descriptor] = []

    write_layout(layout, with_foreign, "win:latest", lambda d, _: reported.append(d))

    assert not (layout / "blobs" / "sha256" / ("f" * 64)).exists()
    assert foreign_descriptor not in reported
    loaded = load_artifact(layout, "win:latest", None)
    assert isinstance(loaded, Image)
    assert loaded.digest == with_foreign.digest
    assert isinstance(loaded.layers[-1], ForeignLayer)
    with pytest.raises(ImageError, match="foreign"):
        loaded.layers[-1].open()


def test_missing_layer_blob_is_an_image_error(tmp_path: Path, image: Image) -> None:
    layout = tmp_path / "layout"
    write_layout(layout, image, "api:latest")
    (layout / "blobs" / "sha256" / image.layers[0].descriptor.digest.hex).unlink()

    with pytest.raises(ImageError, match="missing"):
        load_artifact(layout, "api:latest", None)


def test_tampered_manifest_is_detected(tmp_path: Path, image: Image) -> None:
    layout = tmp_path / "layout"
    write_layout(layout, image, "api:latest")
    manifest = layout / "blobs" / "sha256" / image.digest.hex
    manifest.write_bytes(manifest.read_bytes().replace(b'"layers"', b'"layerz"'))

    with pytest.raises(ImageError, match="does not match"):
        load_artifact(layout, "api:latest", None)


def test_concurrent_writers_keep_every_entry(tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    images = [build_image(tmp_path / f"c{i}", payload=str(i).encode()) for i in range(12)]

    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(lambda pair: write_layout(layout, pair[1], f"api:v{pair[0]}"),
                      enumerate(images)))

    entries = {name: d.digest for name, d in read_layout(layout)}
    assert entries == {f"api:v{i}": image.digest for i, image in enumerate(images)}
    for i in range(12):
        assert load_artifact(layout, f"api:v{i}", None).digest == images[i].digest
