"""The global version link, the Windows junction-or-PATH decision, and the launcher text."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest
from tests.unit.toolchain.builders import archive_for

from goship.toolchain.current import LinkKind, LinkPlan, plan_global_link, read_global, use_global
from goship.toolchain.errors import InstallError, NotInstalledError
from goship.toolchain.launchers import windows_launcher_text
from goship.toolchain.layout import ToolchainHome
from goship.toolchain.versions import GoVersion

V = GoVersion.from_name
HOME = PureWindowsPath(r"C:\Users\ada\AppData\Local\goship\go")
TARGET = HOME / "versions" / "go1.22.10"


@pytest.mark.parametrize(
    ("root", "target", "remote", "filesystem", "kind", "reason"),
    [
        (HOME, TARGET, False, "NTFS", LinkKind.JUNCTION, ""),
        (HOME, TARGET, False, None, LinkKind.JUNCTION, ""),  # unknown file system: try, fall back
        (HOME, TARGET, False, "ReFS", LinkKind.JUNCTION, ""),
        (PureWindowsPath(r"D:\tools\goship"), PureWindowsPath(r"E:\go\go1.22.10"), False, "NTFS",
         LinkKind.JUNCTION, ""),  # junctions may point to another local volume
        (PureWindowsPath(r"\\fileserver\home\ada\goship"), PureWindowsPath(r"\\fileserver\home\ada\goship\v"),
         False, None, LinkKind.PATH, r"\\fileserver\home\ada\goship is on a network path"),
        (HOME, PureWindowsPath(r"\\fileserver\go\go1.22.10"), False, "NTFS", LinkKind.PATH, "network path"),
        (PureWindowsPath(r"Z:\goship"), PureWindowsPath(r"Z:\goship\versions\go1.22.10"), True, "NTFS",
         LinkKind.PATH, "drive Z: is a network drive"),
        (PureWindowsPath(r"E:\goship"), PureWindowsPath(r"E:\goship\versions\go1.22.10"), False, "FAT32",
         LinkKind.PATH, "drive E: is FAT32, which cannot hold junctions"),
        (PureWindowsPath(r"E:\goship"), PureWindowsPath(r"E:\goship\versions\go1.22.10"), False, "exFAT",
         LinkKind.PATH, "exFAT"),
    ],
)
def test_windows_junction_or_path(root: PureWindowsPath, target: PureWindowsPath, remote: bool,
                                  filesystem: str | None, kind: LinkKind, reason: str) -> None:
    plan = plan_global_link(root, target, windows=True, remote_drive=remote, filesystem=filesystem)
    assert plan.kind is kind
    assert reason in plan.reason
    assert (plan.reason == "") == (kind is LinkKind.JUNCTION)


def test_unix_always_uses_a_symlink() -> None:
    root = PurePosixPath("/home/ada/.local/share/goship/go")
    plan = plan_global_link(root, root / "versions" / "go1.22.10", windows=False)
    assert plan == LinkPlan(LinkKind.SYMLINK)


def test_windows_launcher_runs_go_exe_next_to_it_with_all_arguments() -> None:
    assert windows_launcher_text(V("1.22.10")) == (
        "@echo off\r\n"
        "rem goship launcher go1.22.10\r\n"
        '"%~dp0..\\versions\\go1.22.10\\bin\\go.exe" %*\r\n'
        "exit /b %ERRORLEVEL%\r\n"
    )


@pytest.fixture
def home(tmp_path: Path) -> ToolchainHome:
    home = ToolchainHome(tmp_path / "go")
    from goship.toolchain.install import install_from_file

    for version in ("1.21.13", "1.22.10"):
        install_from_file(*archive_for(tmp_path / "archives", version), home)
    return home


def test_use_global_switches_one_relative_symlink(home: ToolchainHome) -> None:
    assert read_global(home) is None
    switched = use_global(V("1.21.13"), home)
    assert switched.kind is LinkKind.SYMLINK and switched.link == home.current_link
    assert os.readlink(home.current_link) == "versions/go1.21.13"
    assert switched.bin_dir == home.current_link / "bin"
    assert (home.current_link / "VERSION").read_text() == "go1.21.13\n"
    use_global(V("1.22.10"), home)
    assert read_global(home) == V("1.22.10")
    assert (home.current_link / "VERSION").read_text() == "go1.22.10\n"
    assert sorted(path.name for path in home.root.iterdir()) == ["bin", "current", "versions"]


def test_use_global_needs_an_installed_version(home: ToolchainHome) -> None:
    with pytest.raises(NotInstalledError) as caught:
        use_global(V("1.20.1"), home)
    assert caught.value.message == "Go 1.20.1 is not installed (installed: 1.22.10, 1.21.13)"


def test_a_real_directory_named_current_is_not_replaced(home: ToolchainHome) -> None:
    home.current_link.mkdir()
    (home.current_link / "notes.txt").write_text("mine")
    with pytest.raises(InstallError, match="is a directory, not the link"):
        use_global(V("1.22.10"), home)
    assert (home.current_link / "notes.txt").read_text() == "mine"


def test_the_path_fallback_file_is_read_when_there_is_no_link(home: ToolchainHome) -> None:
    home.current_file.write_text("go1.21.13\n")
    assert read_global(home) == V("1.21.13")
    use_global(V("1.22.10"), home)  # a link now: the fallback file goes
    assert not home.current_file.exists()
    assert read_global(home) == V("1.22.10")
