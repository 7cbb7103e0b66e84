"""Per-version GOPATH: goship's line in each version's go.env, and the recorded mode."""

from __future__ import annotations

from pathlib import Path

from goship.toolchain.gopath import gopath_for, per_version, reads_go_env, set_mode, write_go_env
from goship.toolchain.layout import ToolchainHome
from goship.toolchain.versions import GoVersion

GO_ENV = "# defaults of the go command, as a distribution ships them\nGOPROXY=https://goproxy.example.com,direct\nGOTOOLCHAIN=auto\n"


def test_the_line_is_added_once_and_removed_leaving_go_s_own_lines(tmp_path: Path) -> None:
    home = ToolchainHome(tmp_path / "go")
    version = GoVersion.from_name("go1.22.10")
    tree = home.version_dir(version)
    tree.mkdir(parents=True)
    (tree / "go.env").write_text(GO_ENV)

    write_go_env(tree, home, version, enabled=True)
    write_go_env(tree, home, version, enabled=True)
    lines = (tree / "go.env").read_text().splitlines()
    assert lines[:3] == GO_ENV.splitlines()
    assert [line for line in lines if line.startswith("GOPATH=")] == [f"GOPATH={gopath_for(home, version)}"]

    write_go_env(tree, home, version, enabled=False)
    assert (tree / "go.env").read_text() == GO_ENV


def test_mode_is_recorded_for_later_installs(tmp_path: Path) -> None:
    home = ToolchainHome(tmp_path / "go")
    versions = [GoVersion.from_name("go1.21.13"), GoVersion.from_name("go1.22.10")]
    for version in versions:
        home.version_dir(version).mkdir(parents=True)
    assert not per_version(home)
    set_mode(home, "per-version", versions)
    assert per_version(home)
    assert all("GOPATH=" in (home.version_dir(v) / "go.env").read_text() for v in versions)
    set_mode(home, "shared", versions)
    assert not per_version(home)
    assert all("GOPATH=" not in (home.version_dir(v) / "go.env").read_text() for v in versions)


def test_versions_before_go_env() -> None:
    assert not reads_go_env(GoVersion.from_name("go1.20.14"))
    assert reads_go_env(GoVersion.from_name("go1.21.0"))
