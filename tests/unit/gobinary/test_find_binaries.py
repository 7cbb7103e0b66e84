"""find_go_binaries on a binary given as a file and on hand-made images (OCI layouts and
tarballs) holding Go's own test binaries: a Go 1.17 program and a C program (real Go builds,
registries and goship-built images: tests/integration/gobinary)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from tests.unit.gobinary.handmade import (
    ELF_GO_PATH,
    Blobs,
    directory,
    file,
    hardlink,
    image,
    symlink,
    whiteout,
)
from tests.unit.gobinary.test_buildinfo_format import go_testdata

from goship.errors import ExitCode, UsageError
from goship.gobinary import image_scan
from goship.gobinary.moduleinfo import BuildInfoError
from goship.gobinary.subject import GoBinary, Skipped, describe, find_go_binaries
from goship.oci import mediatypes
from goship.oci.blobstore import ForeignLayer
from goship.oci.compress import Compression
from goship.oci.digest import Digest
from goship.oci.image import ImageIndex
from goship.oci.layer import TarEntry, write_layer
from goship.oci.layout import write_layout
from goship.oci.manifest import Descriptor
from goship.oci.tarball import write_tarball
from goship.oci.windows import windows_entries


@pytest.fixture(scope="module")
def go117() -> bytes:
    return go_testdata("go117")


@pytest.fixture(scope="module")
def c_program() -> bytes:
    return go_testdata("notgo")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- a binary on disk -------------------------------------------------------------------------


def test_a_go_binary_on_disk_is_one_subject(tmp_path: Path, go117: bytes) -> None:
    path = tmp_path / "app"
    path.write_bytes(go117)

    [subject] = find_go_binaries(str(path))

    assert (subject.source, subject.digest, subject.index_digest) == (str(path), None, None)
    assert subject.skipped == ()
    [binary] = subject.binaries
    assert (binary.path, binary.sha256, binary.size) == (str(path), sha256(go117), len(go117))
    assert binary.info.go_version == "go1.17" and binary.info.path == ELF_GO_PATH


@pytest.mark.parametrize(("content", "says"), [
    (b"#!/bin/sh\necho hello\n", "is not an executable (ELF, PE or Mach-O)"),
    (b"MZ" + b"\0" * 200, "is not an executable (ELF, PE or Mach-O)"),  # a DOS header, no PE
    (b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + b"\0" * 64, "is not an executable (ELF, PE or Mach-O)"),  # Java
    (None, "is an executable without Go build information (a C program, or built by a Go older "
           "than 1.13)"),
])
def test_a_file_that_is_not_a_go_program_is_a_clear_error(tmp_path: Path, c_program: bytes,
                                                          content: bytes | None, says: str) -> None:
    path = tmp_path / "thing"
    path.write_bytes(c_program if content is None else content)

    with pytest.raises(BuildInfoError) as caught:
        find_go_binaries(str(path))

    assert caught.value.message == f"{path} {says}"
    assert caught.value.exit_code == ExitCode.IMAGE and caught.value.hint


def test_a_truncated_go_binary_on_disk_is_named_truncated(tmp_path: Path, go117: bytes) -> None:
    path = tmp_path / "cut"
    path.write_bytes(go117[:4096])

    with pytest.raises(BuildInfoError, match=r"cut is truncated: it ends at byte 4096, its headers "
                                             r"describe \d+ bytes"):
        find_go_binaries(str(path))


@pytest.mark.parametrize("source", ["./bin/api", "/no/such/binary", "bin/api", "C:\\out\\api.exe",
                                    "Not A Reference"])
def test_a_missing_path_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         source: str) -> None:
    (tmp_path / "bin").mkdir()  # "bin/api" is a path when bin/ is a directory here
    monkeypatch.chdir(tmp_path)

    with pytest.raises(UsageError) as caught:
        find_go_binaries(source)

    assert source in caught.value.message
    assert "oci:DIR" in caught.value.hint and "tarball:FILE" in caught.value.hint


def test_a_directory_without_a_prefix_says_how_to_name_it(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a directory here") as caught:
        find_go_binaries(str(tmp_path))
    assert f"oci:{tmp_path}" in caught.value.hint


# -- images -----------------------------------------------------------------------------------


def test_only_the_final_file_system_counts(tmp_path: Path, go117: bytes, c_program: bytes) -> None:
    blobs = Blobs(tmp_path / "blobs")
    java_class = b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + b"\0" * 100
    first = blobs.layer([
        directory("app"), directory("usr"), directory("usr/bin"), directory("usr/share"),
        file("app/hello", go117),
        file("app/gone", go117),  # deleted by the next layer
        file("app/replaced", go117),  # replaced by a text file in the next layer
        file("app/run.sh", b"#!/bin/sh\nexec /app/hello\n"),  # a script: not an executable
        file("usr/share/readme.txt", c_program, mode=0o644),  # an executable whatever mode and name
        file("usr/share/Tool.class", java_class, mode=0o644),  # the fat Mach-O magic, but Java
        file("usr/share/dos.exe", b"MZ" + b"\0" * 100),  # no PE header
        hardlink("usr/bin/hello", "app/hello"),  # the same file: not a second binary
        symlink("usr/bin/hi", "/app/hello"),
    ])
    second = blobs.layer([directory("app"), whiteout("app/gone"), file("app/replaced", b"text\n")])

    layout = tmp_path / "layout"
    write_layout(layout, image([first, second]), "app:v1")
    [subject] = find_go_binaries(f"oci:{layout}")

    assert [binary.path for binary in subject.binaries] == ["/app/hello"]
    assert subject.binaries[0].sha256 == sha256(go117) and subject.binaries[0].size == len(go117)
    assert subject.skipped == (Skipped("/usr/share/readme.txt", "not a Go program"),)
    assert subject.platform == "linux/amd64" and subject.index_digest is None
    assert subject.digest == str(image([first, second]).digest)


def test_a_hard_link_keeps_a_binary_whose_first_name_is_deleted(tmp_path: Path, go117: bytes) -> None:
    blobs = Blobs(tmp_path / "blobs")
    first = blobs.layer([directory("app"), file("app/old", go117), hardlink("app/new", "app/old")])
    second = blobs.layer([directory("app"), whiteout("app/old")])
    write_layout(tmp_path / "layout", image([first, second]), "app")

    [subject] = find_go_binaries(f"oci:{tmp_path / 'layout'}")

    assert [(binary.path, binary.sha256) for binary in subject.binaries] == [("/app/new", sha256(go117))]


def test_an_opaque_directory_hides_the_binaries_below_it(tmp_path: Path, go117: bytes) -> None:
    blobs = Blobs(tmp_path / "blobs")
    first = blobs.layer([directory("opt"), file("opt/a", go117), file("opt/b", go117)])
    second = blobs.layer([directory("opt"), file("opt/.wh..wh..opq", b""), file("opt/c", go117)])
    write_layout(tmp_path / "layout", image([first, second]), "app")

    [subject] = find_go_binaries(f"oci:{tmp_path / 'layout'}")

    assert [binary.path for binary in subject.binaries] == ["/opt/c"]


def test_a_damaged_go_binary_in_an_image_is_skipped_with_its_reason(tmp_path: Path, go117: bytes) -> None:
    blobs = Blobs(tmp_path / "blobs")
    layer = blobs.layer([directory("app"), file("app/cut", go117[:4096]), file("app/hello", go117)])
    write_layout(tmp_path / "layout", image([layer]), "app")

    [subject] = find_go_binaries(f"oci:{tmp_path / 'layout'}")

    assert [binary.path for binary in subject.binaries] == ["/app/hello"]
    [skipped] = subject.skipped
    assert skipped.path == "/app/cut"
    assert skipped.reason.startswith("truncated: it ends at byte 4096, its headers describe ")


def test_a_go_binary_with_broken_headers_is_skipped_in_an_image_and_an_error_alone(
        tmp_path: Path, go117: bytes) -> None:
    broken = bytearray(go117)
    broken[0x20:0x28] = (1 << 40).to_bytes(8, "little")  # e_phoff: program headers far past the end
    blobs = Blobs(tmp_path / "blobs")
    layer = blobs.layer([directory("app"), file("app/api", bytes(broken))])
    write_layout(tmp_path / "layout", image([layer]), "app")

    [subject] = find_go_binaries(f"oci:{tmp_path / 'layout'}")

    assert subject.binaries == ()
    assert subject.skipped == (Skipped("/app/api", "a damaged executable: its headers point past the end "
                                                   "of the file"),)
    alone = tmp_path / "api"
    alone.write_bytes(bytes(broken))
    with pytest.raises(BuildInfoError) as caught:
        find_go_binaries(str(alone))
    assert caught.value.message == (f"{alone} is a damaged executable: its headers point past the end "
                                    "of the file")


def test_layers_that_cannot_be_read_are_skipped_by_name(tmp_path: Path, go117: bytes) -> None:
    blobs = Blobs(tmp_path / "blobs")
    zstd = blobs.zstd_layer()
    foreign = ForeignLayer(Descriptor(mediatypes.DOCKER_FOREIGN_LAYER, Digest.of_bytes(b"base"), 4,
                                      urls=("https://mcr.example.com/base",)), Digest.of_bytes(b"tar"))
    app = blobs.layer([directory("app"), file("app/hello", go117)])
    write_layout(tmp_path / "layout", image([foreign, zstd, app]), "app")

    [subject] = find_go_binaries(f"oci:{tmp_path / 'layout'}")

    assert [binary.path for binary in subject.binaries] == ["/app/hello"]
    assert subject.skipped == (
        Skipped(f"layer 1 ({foreign.descriptor.digest.short()})",
                "a foreign layer that the runtime fetches from https://mcr.example.com/base"),
        Skipped(f"layer 2 ({zstd.descriptor.digest.short()})", "zstd-compressed, which goship cannot read"),
    )


def test_a_windows_image_lists_its_files_from_the_root(tmp_path: Path, go117: bytes) -> None:
    entries = windows_entries([TarEntry("app", "dir", 0o755), TarEntry("app/api.exe", data=go117)])
    layer = write_layer(entries, tmp_path / "blobs", mtime=0, compression=Compression())
    write_layout(tmp_path / "layout", image([layer], "windows/amd64"), "app")

    [subject] = find_go_binaries(f"oci:{tmp_path / 'layout'}")

    assert subject.platform == "windows/amd64"
    assert [binary.path for binary in subject.binaries] == ["/app/api.exe"]


def test_an_index_gives_one_subject_per_platform_with_the_index_digest(tmp_path: Path, go117: bytes) -> None:
    blobs = Blobs(tmp_path / "blobs")
    amd64 = image([blobs.layer([directory("app"), file("app/hello", go117)])], "linux/amd64")
    arm64 = image([blobs.layer([directory("app"), file("app/hello", go117 + b"\0")])], "linux/arm64")
    index = ImageIndex((amd64, arm64))
    layout = tmp_path / "layout"
    write_layout(layout, index, "hello:v1")
    write_layout(layout, amd64, "single")  # another entry: a bare manifest

    subjects = find_go_binaries(f"oci:{layout}:v1")

    assert [(s.platform, s.digest, s.index_digest) for s in subjects] == [
        ("linux/amd64", str(amd64.digest), str(index.digest)),
        ("linux/arm64", str(arm64.digest), str(index.digest)),
    ]
    assert [s.binaries[0].sha256 for s in subjects] == [sha256(go117), sha256(go117 + b"\0")]
    # Asked for by the platform manifest's digest or by a bare manifest's name: no index.
    by_digest = find_go_binaries(f"oci:{layout}@{arm64.digest}")
    assert [(s.platform, s.index_digest) for s in by_digest] == [("linux/arm64", None)]
    assert [s.index_digest for s in find_go_binaries(f"oci:{layout}:single")] == [None]
    # The whole layout: each image with what it was listed under.
    assert [(s.platform, s.index_digest) for s in find_go_binaries(f"oci:{layout}")] == [
        ("linux/amd64", str(index.digest)), ("linux/arm64", str(index.digest)), ("linux/amd64", None)]


def test_a_tarball_is_read_like_a_layout(tmp_path: Path, go117: bytes) -> None:
    blobs = Blobs(tmp_path / "blobs")
    amd64 = image([blobs.layer([directory("app"), file("app/hello", go117)])])
    tarball = tmp_path / "image.tar"
    write_tarball(tarball, [(amd64, ["registry.example.com/app:v1"])])

    [subject] = find_go_binaries(f"tarball:{tarball}")

    assert (subject.digest, subject.index_digest) == (str(amd64.digest), None)
    assert [binary.path for binary in subject.binaries] == ["/app/hello"]


def test_a_binary_larger_than_the_memory_limit_goes_through_a_temp_file(
        tmp_path: Path, go117: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image_scan, "SPOOL_IN_MEMORY", 4096)
    monkeypatch.setattr(image_scan, "PIECE", 1000)
    blobs = Blobs(tmp_path / "blobs")
    write_layout(tmp_path / "layout", image([blobs.layer([directory("app"), file("app/hello", go117)])]), "a")

    [subject] = find_go_binaries(f"oci:{tmp_path / 'layout'}")

    [binary] = subject.binaries
    assert (binary.sha256, binary.size, binary.info.path) == (sha256(go117), len(go117), ELF_GO_PATH)


def test_describe_says_what_was_found_per_platform(tmp_path: Path, go117: bytes, c_program: bytes) -> None:
    blobs = Blobs(tmp_path / "blobs")
    layer = blobs.layer([directory("app"), file("app/hello", go117), file("app/c", c_program)])
    write_layout(tmp_path / "layout", image([layer]), "a")
    subjects = find_go_binaries(f"oci:{tmp_path / 'layout'}")

    text = describe(subjects)

    assert text == (f"oci:{tmp_path / 'layout'} linux/amd64 {str(subjects[0].digest)[:19]}: "
                    "1 Go binary: /app/hello (go1.17); 1 skipped")
    assert isinstance(subjects[0].binaries[0], GoBinary)
