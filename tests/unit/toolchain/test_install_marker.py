"""The marker is what makes a version directory an installation, also after a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.unit.toolchain.builders import archive_for

from goship.toolchain.install import install, install_from_file
from goship.toolchain.installed import list_installed
from goship.toolchain.layout import MARKER, ToolchainHome
from goship.toolchain.versions import GoVersion

V = GoVersion.from_name


@pytest.fixture
def home(tmp_path: Path) -> ToolchainHome:
    return ToolchainHome(tmp_path / "home" / "go")


@pytest.mark.parametrize("torn", [b"", b'{"version": "go1.22'], ids=["empty", "cut"])
def test_a_marker_that_did_not_reach_the_disk_whole_is_no_installation(
    home: ToolchainHome, tmp_path: Path, torn: bytes,
) -> None:
    path, entry = archive_for(tmp_path / "archives", "1.22.9")
    install_from_file(path, entry, home)
    tree = home.version_dir(V("1.22.9"))
    (tree / MARKER).write_bytes(torn)  # what a power cut can leave of a marker
    assert list_installed(home) == []
    again = install_from_file(path, entry, home)
    assert not again.already_installed and again.removed_leftovers == (tree,)
    assert json.loads((tree / MARKER).read_text())["sha256"] == entry.sha256
    assert [item.version.name for item in list_installed(home)] == ["go1.22.9"]


def test_a_streamed_install_appears_with_its_marker_and_leaves_no_work_files(
    home: ToolchainHome, tmp_path: Path,
) -> None:
    path, entry = archive_for(tmp_path / "archives", "1.22.9")
    result = install(entry, home, mirrors=[str(path.parent)])
    assert result.installed.path == home.version_dir(V("1.22.9"))
    assert json.loads((result.installed.path / MARKER).read_text())["source"] == str(path)
    assert sorted(entry.name for entry in home.versions_dir.iterdir()) == [
        ".go1.22.9.lock", ".launchers.lock", "go1.22.9"]
