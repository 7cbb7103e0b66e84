"""Installing from archives on disk: path safety, leftovers, uninstall, prune, launchers.

Mirrors here are local directories (the same code path as HTTP mirrors after the fetch);
HTTP mirrors are exercised in tests/integration/toolchain.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from tests.unit.toolchain.builders import (
    Entry,
    archive_for,
    go_tree,
    release_file_for,
    write_tar_gz,
    write_zip,
)

from goship.errors import ExitCode, UsageError
from goship.progress import SilentReporter
from goship.toolchain.current import read_global, use_global
from goship.toolchain.errors import (
    ActiveVersionError,
    ArchiveError,
    DownloadError,
    InstallError,
    NotInstalledError,
)
from goship.toolchain.install import install, install_from_file, prune, uninstall
from goship.toolchain.installed import list_installed
from goship.toolchain.layout import MARKER, ToolchainHome
from goship.toolchain.oserrors import write_failure
from goship.toolchain.versions import GoVersion

V = GoVersion.from_name


@pytest.fixture
def home(tmp_path: Path) -> ToolchainHome:
    return ToolchainHome(tmp_path / "home" / "go")


def _assert_nothing_installed(home: ToolchainHome, tmp_path: Path) -> None:
    assert list_installed(home) == []
    leftovers = [entry.name for entry in home.versions_dir.iterdir() if not entry.name.endswith(".lock")]
    assert leftovers == []
    assert not any(path.name == "evil" for path in tmp_path.rglob("*"))


def test_installs_a_tree_with_marker_last_and_a_launcher(home: ToolchainHome, tmp_path: Path) -> None:
    path, entry = archive_for(tmp_path / "archives", "1.22.9")
    result = install_from_file(path, entry, home)
    assert not result.already_installed
    tree = home.version_dir(V("1.22.9"))
    assert result.installed.path == tree
    assert (tree / "VERSION").read_text() == "go1.22.9\n"
    assert os.access(tree / "bin" / "go", os.X_OK) and not os.access(tree / "VERSION", os.X_OK)
    marker = json.loads((tree / MARKER).read_text())
    assert marker == {"version": "go1.22.9", "sha256": entry.sha256, "source": str(path),
                      "filename": "go1.22.9.linux-amd64.tar.gz"}
    launcher = home.bin_dir / "go1.22.9"
    assert os.readlink(launcher) == "../versions/go1.22.9/bin/go"
    assert subprocess.run([str(launcher)], capture_output=True, text=True, check=True).stdout == \
        "go version go1.22.9 linux/amd64\n"
    again = install_from_file(path, entry, home)
    assert again.already_installed and again.installed == result.installed


def test_installs_from_a_zip_with_executable_bits(home: ToolchainHome, tmp_path: Path) -> None:
    path, entry = archive_for(tmp_path / "archives", "1.22.9", zip_format=True)
    install_from_file(path, entry, home)
    assert os.access(home.go_binary(V("1.22.9")), os.X_OK)


TAR_ATTACKS = {
    "symlink": Entry("go/bin/gofmt", kind="symlink", target="/etc/passwd"),
    "symlink inside the tree": Entry("go/bin/gofmt", kind="symlink", target="go"),
    "hard link": Entry("go/bin/gofmt", kind="hardlink", target="go/bin/go"),
    "absolute path": Entry("/tmp/evil", b"x"),
    "dot-dot escape": Entry("go/../../evil", b"x"),
    "outside go/": Entry("evil", b"x"),
    "fifo": Entry("go/bin/pipe", kind="fifo"),
}


@pytest.mark.parametrize("attack", sorted(TAR_ATTACKS))
def test_malicious_tar_is_refused_and_nothing_is_installed(home: ToolchainHome, tmp_path: Path,
                                                          attack: str) -> None:
    # The bad entry comes after a good tree, so extraction has begun when it is met.
    path, entry = archive_for(tmp_path / "archives", "1.22.9", [*go_tree("1.22.9"), TAR_ATTACKS[attack]])
    with pytest.raises(ArchiveError, match="refusing entry") as caught:
        install_from_file(path, entry, home)
    assert caught.value.exit_code == ExitCode.BUILD
    _assert_nothing_installed(home, tmp_path)
    assert not home.bin_dir.exists() or list(home.bin_dir.iterdir()) == []


ZIP_ATTACKS = {
    "symlink": Entry("go/bin/gofmt", kind="symlink", target="/etc/passwd"),
    "absolute path": Entry("/evil", b"x"),
    "dot-dot escape": Entry("go/../../evil", b"x"),
    "backslash escape": Entry("go\\..\\..\\evil", b"x"),
    "drive letter": Entry("C:/evil", b"x"),
}


@pytest.mark.parametrize("attack", sorted(ZIP_ATTACKS))
def test_malicious_zip_is_refused_and_nothing_is_installed(home: ToolchainHome, tmp_path: Path,
                                                          attack: str) -> None:
    path, entry = archive_for(tmp_path / "archives", "1.22.9", [*go_tree("1.22.9"), ZIP_ATTACKS[attack]],
                              zip_format=True)
    with pytest.raises(ArchiveError, match="refusing entry"):
        install_from_file(path, entry, home)
    _assert_nothing_installed(home, tmp_path)


def test_an_archive_without_go_bin_go_is_not_a_go_distribution(home: ToolchainHome, tmp_path: Path) -> None:
    path, entry = archive_for(tmp_path / "archives", "1.22.9", [Entry("go/VERSION", b"go1.22.9\n")])
    with pytest.raises(ArchiveError, match="not a Go distribution"):
        install_from_file(path, entry, home)
    _assert_nothing_installed(home, tmp_path)


def test_a_corrupt_archive_is_refused(home: ToolchainHome, tmp_path: Path) -> None:
    path, _ = archive_for(tmp_path / "archives", "1.22.9")
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    entry = release_file_for(path, "1.22.9")  # the index lists the damaged bytes: only extraction fails
    with pytest.raises(ArchiveError, match="corrupt"):
        install_from_file(path, entry, home)
    _assert_nothing_installed(home, tmp_path)


def test_a_file_that_is_not_the_index_entry_is_refused(home: ToolchainHome, tmp_path: Path) -> None:
    path, entry = archive_for(tmp_path / "archives", "1.22.9")
    with pytest.raises(DownloadError, match=r"is not go1\.22\.9\.linux-amd64\.tar\.gz as the release index"):
        install_from_file(path, replace(entry, sha256="0" * 64), home)
    assert list_installed(home) == []


def test_leftovers_of_an_interrupted_install_are_removed(home: ToolchainHome, tmp_path: Path) -> None:
    unfinished = home.version_dir(V("1.22.9"))
    (unfinished / "bin").mkdir(parents=True)
    (unfinished / "bin" / "go").write_text("half")
    work = home.versions_dir / ".tmp-go1.22.9-abcd"
    work.mkdir()
    download = home.versions_dir / ".tmp-download-x1y2-go1.22.9.linux-amd64.tar.gz"
    download.write_bytes(b"partial")
    other = home.versions_dir / ".tmp-go1.22.10-abcd"  # another version's install: not ours to touch
    other.mkdir()
    assert list_installed(home) == []  # no marker: not an installation
    path, entry = archive_for(tmp_path / "archives", "1.22.9")
    result = install_from_file(path, entry, home)
    assert set(result.removed_leftovers) == {unfinished, work, download}
    assert (unfinished / MARKER).is_file() and (unfinished / "bin" / "go").read_text() != "half"
    assert other.exists() and not work.exists() and not download.exists()


def test_failover_between_directory_mirrors(home: ToolchainHome, tmp_path: Path) -> None:
    path, entry = archive_for(tmp_path / "good", "1.22.9")
    tampered = tmp_path / "tampered"
    tampered.mkdir()
    data = bytearray(path.read_bytes())
    data[40] ^= 1
    (tampered / path.name).write_bytes(bytes(data))
    mirrors = [str(tmp_path / "empty"), f"file://{tampered}", str(tmp_path / "good")]
    result = install(entry, home, mirrors=mirrors)
    assert [failure.mirror for failure in result.failures] == [str(tmp_path / "empty"), f"file://{tampered}"]
    assert "does not exist" in result.failures[0].reason
    assert "SHA-256" in result.failures[1].reason and entry.sha256 in result.failures[1].reason
    assert result.installed.source == str(path)


def test_every_mirror_failing_lists_each_failure(home: ToolchainHome, tmp_path: Path) -> None:
    path, entry = archive_for(tmp_path / "good", "1.22.9")
    short = tmp_path / "short"
    short.mkdir()
    (short / path.name).write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DownloadError) as caught:
        install(entry, home, mirrors=[str(tmp_path / "none"), str(short)])
    assert [failure.mirror for failure in caught.value.failures] == [str(tmp_path / "none"), str(short)]
    assert f"it served {entry.size - 10} bytes, the release index lists {entry.size}" in caught.value.message
    assert "other bytes than the release index lists" in caught.value.hint
    assert caught.value.exit_code == ExitCode.REGISTRY
    _assert_nothing_installed(home, tmp_path)


class _InterruptingReporter(SilentReporter):
    def __init__(self, task_prefix: str, fraction: float = 0.0) -> None:
        self.task_prefix = task_prefix
        self.fraction = fraction

    def transfer(self, task: str, done: int, total: int) -> None:
        if task.startswith(self.task_prefix) and done > 0 and done >= self.fraction * total:
            raise KeyboardInterrupt


@pytest.mark.parametrize("fraction", [0.0, 0.9])
def test_an_interrupted_install_leaves_nothing_behind(home: ToolchainHome, tmp_path: Path,
                                                      fraction: float) -> None:
    # A .tar.gz unpacks while it downloads: at 90% most of the tree is already written.
    _, entry = archive_for(tmp_path / "good", "1.22.9")
    with pytest.raises(KeyboardInterrupt):
        install(entry, home, mirrors=[str(tmp_path / "good")],
                reporter=_InterruptingReporter("downloading", fraction))
    _assert_nothing_installed(home, tmp_path)


def test_an_install_from_a_file_interrupted_while_extracting_leaves_nothing_behind(
        home: ToolchainHome, tmp_path: Path) -> None:
    path, entry = archive_for(tmp_path / "good", "1.22.9")
    with pytest.raises(KeyboardInterrupt):
        install_from_file(path, entry, home, reporter=_InterruptingReporter("extracting"))
    _assert_nothing_installed(home, tmp_path)


def test_not_enough_space_is_said_before_downloading(home: ToolchainHome, tmp_path: Path) -> None:
    _, entry = archive_for(tmp_path / "good", "1.22.9")
    with pytest.raises(InstallError, match="MiB free") as caught:
        install(replace(entry, size=2**60), home, mirrors=[str(tmp_path / "good")])
    assert caught.value.exit_code == ExitCode.OUTPUT
    assert "GOSHIP_HOME" in caught.value.hint


def test_a_home_that_cannot_be_created_is_an_install_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    path, entry = archive_for(tmp_path / "good", "1.22.9")
    with pytest.raises(InstallError, match="cannot write") as caught:
        install_from_file(path, entry, ToolchainHome(blocker / "go"))
    assert caught.value.exit_code == ExitCode.OUTPUT


@pytest.mark.parametrize(
    ("code", "message", "hint"),
    [(errno.ENOSPC, "no space left on the device holding /h", "free some space"),
     (errno.EDQUOT, "no space left", "GOSHIP_HOME"),
     (errno.EACCES, "permission denied writing /h", "writable by you"),
     (errno.EROFS, "permission denied", "GOSHIP_HOME"),
     (errno.EIO, "cannot write /h", "check the goship home")],
)
def test_write_failures_say_what_to_do(code: int, message: str, hint: str) -> None:
    error = write_failure("installing Go 1.22.9", Path("/h"), OSError(code, os.strerror(code)))
    assert message in error.message and error.message.startswith("installing Go 1.22.9: ")
    assert hint in error.hint and "nothing was installed" in error.hint


def _install_fakes(home: ToolchainHome, tmp_path: Path, *versions: str) -> None:
    for version in versions:
        path, entry = archive_for(tmp_path / "archives", version)
        install_from_file(path, entry, home)


def test_uninstall_refuses_the_global_version_unless_forced(home: ToolchainHome, tmp_path: Path) -> None:
    _install_fakes(home, tmp_path, "1.22.8", "1.22.9")
    use_global(V("1.22.9"), home)
    with pytest.raises(ActiveVersionError, match="is the global version"):
        uninstall(V("1.22.9"), home)
    assert uninstall(V("1.22.8"), home) == home.version_dir(V("1.22.8"))
    assert not home.version_dir(V("1.22.8")).exists()
    assert sorted(entry.name for entry in home.bin_dir.iterdir()) == ["go1.22.9"]
    uninstall(V("1.22.9"), home, force=True)
    assert read_global(home) is None and not home.current_link.is_symlink()
    assert list_installed(home) == [] and list(home.bin_dir.iterdir()) == []
    with pytest.raises(NotInstalledError, match="installed: none"):
        uninstall(V("1.22.9"), home)


def test_prune_keeps_the_newest_per_minor_the_global_and_the_protected(home: ToolchainHome,
                                                                        tmp_path: Path) -> None:
    _install_fakes(home, tmp_path, "1.21.11", "1.21.12", "1.22.7", "1.22.8", "1.22.9")
    use_global(V("1.21.11"), home)
    planned = prune(home, keep_per_minor=1, protect={V("1.22.7")}, dry_run=True)
    assert [version.name for version in planned.removed] == ["go1.22.8"]
    assert len(list_installed(home)) == 5
    result = prune(home, keep_per_minor=1, protect={V("1.22.7")})
    assert result == planned
    assert [version.name for version in result.kept] == ["go1.22.9", "go1.22.7", "go1.21.12", "go1.21.11"]
    assert [item.version.name for item in list_installed(home)] == [version.name for version in result.kept]
    assert sorted(entry.name for entry in home.bin_dir.iterdir()) == [
        "go1.21.11", "go1.21.12", "go1.22.7", "go1.22.9"]
    assert [version.name for version in prune(home, keep_per_minor=1).removed] == ["go1.22.7"]
    with pytest.raises(UsageError):
        prune(home, keep_per_minor=0)


def test_a_user_file_in_the_launcher_directory_is_left_alone(home: ToolchainHome, tmp_path: Path) -> None:
    home.bin_dir.mkdir(parents=True)
    (home.bin_dir / "go1.19.1").write_text("#!/bin/sh\n")  # not a link goship made
    (home.bin_dir / "go1.18.1").symlink_to("/usr/local/go/bin/go")
    _install_fakes(home, tmp_path, "1.22.9")
    assert sorted(entry.name for entry in home.bin_dir.iterdir()) == ["go1.18.1", "go1.19.1", "go1.22.9"]


def test_write_zip_and_tar_helpers_make_what_the_tests_claim(tmp_path: Path) -> None:
    # Guards the builders: a refused symlink must really be a symlink entry.
    import tarfile
    import zipfile

    tar = write_tar_gz(tmp_path / "a.tar.gz", [Entry("go/x", kind="symlink", target="/etc")])
    with tarfile.open(tar) as opened:
        assert opened.getmembers()[0].issym()
    bundle = write_zip(tmp_path / "a.zip", [Entry("go/x", kind="symlink", target="/etc")])
    with zipfile.ZipFile(bundle) as opened:
        assert (opened.infolist()[0].external_attr >> 16) & 0o170000 == 0o120000



@pytest.mark.parametrize("attack", ["symlink", "dot-dot escape", "absolute path"])
def test_a_malicious_archive_the_index_vouches_for_is_refused_while_it_streams(
        home: ToolchainHome, tmp_path: Path, attack: str) -> None:
    _, entry = archive_for(tmp_path / "mirror", "1.22.9", [*go_tree("1.22.9"), TAR_ATTACKS[attack]])
    with pytest.raises(ArchiveError, match="refusing entry"):
        install(entry, home, mirrors=[str(tmp_path / "mirror")])
    _assert_nothing_installed(home, tmp_path)


def test_a_mirror_serving_a_malicious_archive_is_passed_over_for_the_next(
        home: ToolchainHome, tmp_path: Path) -> None:
    # The index names the good archive; the first mirror serves one with a link in it, which the
    # extraction refuses before the checksum is known. The checksum then says "bad mirror".
    good, entry = archive_for(tmp_path / "good", "1.22.9")
    (tmp_path / "evil").mkdir()
    tree = go_tree("1.22.9")
    evil = write_tar_gz(tmp_path / "evil" / good.name, [tree[0], TAR_ATTACKS["symlink"], *tree[1:]])
    evil.write_bytes(evil.read_bytes()[:entry.size].ljust(entry.size, b"\0"))  # same size, other bytes
    result = install(entry, home, mirrors=[str(tmp_path / "evil"), str(tmp_path / "good")])
    assert [failure.mirror for failure in result.failures] == [str(tmp_path / "evil")]
    assert "does not match" in result.failures[0].reason
    assert (home.version_dir(entry.go_version) / "bin" / "go").is_file()
    assert not (home.version_dir(entry.go_version) / "bin" / "gofmt").exists()
    assert [path.name for path in home.versions_dir.iterdir() if path.name.startswith(".tmp-")] == []


def test_an_archive_unpacking_to_far_more_than_a_go_tree_is_refused(home: ToolchainHome,
                                                                    tmp_path: Path) -> None:
    bomb = Entry("go/pkg/zeros", b"\0" * (80 << 20))  # gzip makes this a few hundred KiB
    _, entry = archive_for(tmp_path / "mirror", "1.22.9", [*go_tree("1.22.9"), bomb])
    assert entry.size * 20 + (64 << 20) < 80 << 20
    with pytest.raises(ArchiveError, match="unpacks to more than"):
        install(entry, home, mirrors=[str(tmp_path / "mirror")])
    _assert_nothing_installed(home, tmp_path)
