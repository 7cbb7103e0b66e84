"""The go.dev/dl release index: parsing, finding a release, picking the archive for a platform."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from goship.errors import ExitCode
from goship.toolchain.errors import (
    IndexUnavailableError,
    NoArchiveError,
    ReleaseIndexError,
    UnknownVersionError,
)
from goship.toolchain.index import load_index, parse_index
from goship.toolchain.versions import VersionSpec


def _file(version: str, os_name: str, arch: str, extension: str, kind: str = "archive") -> dict[str, Any]:
    suffix = f"{os_name}-{arch}{extension}" if os_name else "src.tar.gz"
    return {"filename": f"{version}.{suffix}", "os": os_name, "arch": arch, "version": version,
            "sha256": f"{abs(hash((version, suffix))):064x}"[-64:], "size": 1000 + len(suffix),
            "kind": kind}


def _release(version: str, stable: bool = True) -> dict[str, Any]:
    return {"version": version, "stable": stable, "files": [
        _file(version, "", "", "", "source"),
        _file(version, "darwin", "arm64", ".pkg", "installer"),
        _file(version, "darwin", "arm64", ".tar.gz"),
        _file(version, "linux", "amd64", ".tar.gz"),
        _file(version, "linux", "armv6l", ".tar.gz"),
        _file(version, "windows", "amd64", ".msi", "installer"),
        _file(version, "windows", "amd64", ".zip"),
    ]}


# In go.dev's order (newest first) but with one entry out of place, as include=all has had.
OFFICIAL = [_release("go1.23rc1", stable=False), _release("go1.22.10"), _release("go1.21.13"),
            _release("go1.22.9"), _release("go1.22rc2", stable=False), _release("go1.21.0"),
            _release("go1.20")]


@pytest.fixture
def index_file(tmp_path: Path) -> Path:
    path = tmp_path / "go-index.json"
    path.write_text(json.dumps(OFFICIAL, indent=1))
    return path


def test_parses_the_official_format_newest_first(index_file: Path) -> None:
    index = parse_index(index_file.read_bytes(), str(index_file))
    assert [release.version.name for release in index] == [
        "go1.23rc1", "go1.22.10", "go1.22.9", "go1.22rc2", "go1.21.13", "go1.21.0", "go1.20"]
    first = index.releases[1].files[3]
    assert (first.filename, first.os, first.arch, first.kind, first.version) == (
        "go1.22.10.linux-amd64.tar.gz", "linux", "amd64", "archive", "go1.22.10")
    assert [release.version.name for release in index.stable_only()] == [
        "go1.22.10", "go1.22.9", "go1.21.13", "go1.21.0", "go1.20"]


@pytest.mark.parametrize(
    ("spec", "unstable", "found"),
    [("latest", False, "go1.22.10"), ("latest", True, "go1.23rc1"), ("1.22", False, "go1.22.10"),
     ("1.21", False, "go1.21.13"), ("1.22.9", False, "go1.22.9"), ("1.22rc2", False, "go1.22rc2"),
     ("1.20", False, "go1.20")],
)
def test_find_a_release(index_file: Path, spec: str, unstable: bool, found: str) -> None:
    index = load_index(str(index_file), cache_dir=index_file.parent / "cache")
    assert index.find(VersionSpec.parse(spec), include_unstable=unstable).version.name == found


def test_unknown_version_names_what_exists(index_file: Path) -> None:
    index = load_index(str(index_file), cache_dir=index_file.parent)
    with pytest.raises(UnknownVersionError) as caught:
        index.find(VersionSpec.parse("1.22.11"))
    assert "1.22.11" in caught.value.message and str(index_file) in caught.value.message
    assert "1.22.10, 1.22.9, 1.22rc2" in caught.value.hint
    with pytest.raises(UnknownVersionError) as caught:
        index.find(VersionSpec.parse("1.99"))
    assert "newest stable release is 1.22.10" in caught.value.hint
    with pytest.raises(UnknownVersionError):
        index.find(VersionSpec.parse("1.23"))  # only an rc exists


@pytest.mark.parametrize(
    ("os_name", "arch", "filename"),
    [("linux", "amd64", "go1.22.10.linux-amd64.tar.gz"),
     ("darwin", "arm64", "go1.22.10.darwin-arm64.tar.gz"),  # the archive, not the .pkg installer
     ("windows", "amd64", "go1.22.10.windows-amd64.zip"),  # the .zip, not the .msi
     ("linux", "arm", "go1.22.10.linux-armv6l.tar.gz")],
)
def test_archive_for_each_platform(index_file: Path, os_name: str, arch: str, filename: str) -> None:
    release = load_index(str(index_file), cache_dir=index_file.parent).find(VersionSpec.parse("1.22.10"))
    archive = release.archive_for(os_name, arch)
    assert archive.filename == filename
    assert archive.kind == "archive"


def test_no_archive_for_a_platform_lists_the_ones_that_exist(index_file: Path) -> None:
    release = load_index(str(index_file), cache_dir=index_file.parent).find(VersionSpec.parse("1.22"))
    with pytest.raises(NoArchiveError) as caught:
        release.archive_for("linux", "riscv64")
    assert "linux/riscv64" in caught.value.message
    assert caught.value.hint == "archives exist for: darwin/arm64, linux/amd64, linux/armv6l, windows/amd64"
    assert caught.value.exit_code == ExitCode.BUILD


def test_file_url_and_path_are_read_without_caching(index_file: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    index = load_index(f"file://{index_file}", cache_dir=cache)
    assert len(index.releases) == 7 and not index.from_cache
    assert not cache.exists()


def test_a_missing_index_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IndexUnavailableError) as caught:
        load_index(str(tmp_path / "nope.json"), cache_dir=tmp_path)
    assert "nope.json" in caught.value.message
    assert "GOSHIP_GO_INDEX" in caught.value.hint


@pytest.mark.parametrize(
    ("raw", "message"),
    [(b"<html>captive portal</html>", "is not JSON"),
     (b'{"version": "go1.22.10"}', "not a JSON list"),
     (b'[{"stable": true}]', "has no version"),
     (b'[{"version": "go1.22.10", "stable": true, "files": [{"filename": "x.tar.gz"}]}]', "no valid size"),
     (b'[{"version": "go1.22.10", "files": [{"filename": "a", "os": 1, "arch": "amd64", '
      b'"version": "go1.22.10", "sha256": "00", "size": 12, "kind": "archive"}]}]', "no valid os"),
     (b'[{"version": "go1.22.10", "files": [{"filename": "a", "os": "linux", "arch": "amd64", '
      b'"version": "go1.22.10", "sha256": "00", "size": "12", "kind": "archive"}]}]', "no valid size")],
)
def test_malformed_index_is_refused(raw: bytes, message: str) -> None:
    with pytest.raises(ReleaseIndexError, match=message):
        parse_index(raw, "test-index")


def test_entries_that_are_not_go_versions_are_skipped() -> None:
    raw = json.dumps([_release("go1.22.10"), {"version": "weekly.2011-01-01", "stable": False, "files": []}])
    assert [release.version.name for release in parse_index(raw.encode(), "x")] == ["go1.22.10"]
