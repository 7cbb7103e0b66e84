"""Installing real Go archives from a local mirror, switching between them, and failing over."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from tests.fixtures.gomirror import (
    REAL_VERSIONS,
    GoMirror,
    ServedArchive,
    running_mirror,
    tampered_bytes,
)
from tests.integration.toolchain.conftest import SessionInstalls, go_env, install_from_mirror, run_go

from goship.progress import SilentReporter
from goship.toolchain.current import read_global, use_global
from goship.toolchain.errors import DownloadError, IndexUnavailableError
from goship.toolchain.index import load_index
from goship.toolchain.install import install, prune
from goship.toolchain.installed import list_installed
from goship.toolchain.layout import ToolchainHome
from goship.toolchain.select import SelectionSource, select_version
from goship.toolchain.shell import shell_lines
from goship.toolchain.versions import GoVersion, VersionSpec

pytestmark = pytest.mark.integration
V = GoVersion.from_name
ROOT = Path(__file__).resolve().parents[3]


def _nothing_installed(home: ToolchainHome) -> None:
    assert list_installed(home) == []
    assert [entry.name for entry in home.versions_dir.iterdir() if not entry.name.endswith(".lock")] == []


def test_each_installed_version_runs_as_itself(installed_home: ToolchainHome, go_mirror: GoMirror,
                                               tmp_path: Path) -> None:
    env = go_env(tmp_path)
    for version in REAL_VERSIONS:
        name = "go" + version
        tree = installed_home.version_dir(V(version))
        assert run_go(tree / "bin" / "go", "version", env=env) == f"go version {name} linux/amd64"
        assert run_go(tree / "bin" / "go", "env", "GOROOT", env=env) == str(tree)
        # the launcher Go's GOTOOLCHAIN finds on PATH
        assert run_go(installed_home.bin_dir / name, "version", env=env) == f"go version {name} linux/amd64"
    installed = {item.version.number: item for item in list_installed(installed_home)}
    assert sorted(installed) == sorted(REAL_VERSIONS)
    assert installed["1.22.10"].source == go_mirror.base_url + "go1.22.10.linux-amd64.tar.gz"


def test_global_link_switches_the_go_that_runs(installed_home: ToolchainHome, tmp_path: Path) -> None:
    env = go_env(tmp_path)
    current_go = installed_home.current_link / "bin" / "go"
    for version in ("1.21.13", "1.22.10", "1.21.13"):
        use_global(V(version), installed_home)
        assert run_go(current_go, "version", env=env) == f"go version go{version} linux/amd64"
        assert read_global(installed_home) == V(version)
    selection = select_version(tmp_path, installed_home)
    assert (selection.source, selection.version) == (SelectionSource.GLOBAL, V("1.21.13"))
    # The shell lines put the version first on PATH: bash runs them and then `go`.
    lines = shell_lines(installed_home.version_dir(V("1.22.10")), "bash")
    script = "\n".join([*lines, "go version", 'echo "$GOROOT"'])
    output = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, check=True)
    assert output.stdout.splitlines() == ["go version go1.22.10 linux/amd64",
                                   str(installed_home.version_dir(V("1.22.10")))]


def test_the_gotoolchain_warning_matches_what_go_does(installed_home: ToolchainHome, tmp_path: Path) -> None:
    """go1.21.13 with a go.mod asking for go1.22.10 switches, through goship's launcher on PATH."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "go.mod").write_text("module example.com/m\n\ngo 1.21.0\n\ntoolchain go1.22.10\n")
    (project / ".go-version").write_text("1.21.13\n")
    selection = select_version(project, installed_home, gotoolchain="path")
    assert selection.version == V("1.21.13")
    assert selection.warning is not None
    assert "run go1.22.10 instead of the selected go1.21.13" in selection.warning
    go = installed_home.version_dir(V("1.21.13")) / "bin" / "go"
    on_path = f"{installed_home.bin_dir}:/usr/bin:/bin"
    switched = run_go(go, "version", env=go_env(tmp_path, GOTOOLCHAIN="path", PATH=on_path), cwd=project)
    assert switched == "go version go1.22.10 linux/amd64"
    assert select_version(project, installed_home, gotoolchain="local").warning is None
    kept = run_go(go, "version", env=go_env(tmp_path, GOTOOLCHAIN="local", PATH=on_path), cwd=project)
    assert kept == "go version go1.21.13 linux/amd64"


def test_a_tampered_archive_is_refused_and_nothing_is_installed(
    go_archives: dict[str, ServedArchive], go_mirror: GoMirror, fresh_home: ToolchainHome, tmp_path: Path,
) -> None:
    archive = go_archives["1.21.13"]
    truncated = archive.path.read_bytes()[: archive.size // 3]
    with running_mirror(list(go_archives.values()),
                        tamper={archive.filename: tampered_bytes(archive)}) as tampered, \
            running_mirror(list(go_archives.values()), tamper={archive.filename: truncated}) as short:
        with pytest.raises(DownloadError) as caught:
            install_from_mirror("1.21.13", fresh_home, go_mirror, tmp_path / "cache",
                                mirrors=[tampered.base_url, short.base_url])
        assert tampered.downloads_of(archive.filename) == 1
    assert [failure.mirror for failure in caught.value.failures] == [tampered.base_url, short.base_url]
    reasons = [failure.reason for failure in caught.value.failures]
    assert f"does not match {archive.sha256} from the release index" in reasons[0]
    assert reasons[1] == f"it offers {len(truncated)} bytes, the release index lists {archive.size}"
    assert "remove it from the mirror list" in caught.value.hint
    _nothing_installed(fresh_home)


def test_after_a_tampered_mirror_a_good_one_installs(session_installs: SessionInstalls,
                                                     go_archives: dict[str, ServedArchive],
                                                     tmp_path: Path) -> None:
    result = session_installs.results["1.21.13"]
    assert not result.already_installed
    assert [failure.mirror for failure in result.failures] == [session_installs.tampered_mirror]
    assert "SHA-256" in result.failures[0].reason
    assert result.installed.sha256 == go_archives["1.21.13"].sha256
    go = session_installs.home.version_dir(V("1.21.13")) / "bin" / "go"
    assert run_go(go, "version", env=go_env(tmp_path)) == "go version go1.21.13 linux/amd64"


def test_dead_404_and_503_mirrors_fail_over(session_installs: SessionInstalls, tmp_path: Path) -> None:
    result = session_installs.results["1.22.10"]
    filename = "go1.22.10.linux-amd64.tar.gz"
    assert [(failure.mirror, failure.reason) for failure in result.failures] == [
        (session_installs.dead_mirror, "connection refused"),
        (session_installs.missing_mirror, f"HTTP 404 for {session_installs.missing_mirror}{filename}"),
        (session_installs.busy_mirror, f"HTTP 503 for {session_installs.busy_mirror}{filename}"),
    ]
    go = session_installs.home.version_dir(V("1.22.10")) / "bin" / "go"
    assert run_go(go, "version", env=go_env(tmp_path)) == "go version go1.22.10 linux/amd64"


_CONCURRENT_INSTALL = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    from goship.toolchain.index import load_index
    from goship.toolchain.install import install
    from goship.toolchain.layout import ToolchainHome
    from goship.toolchain.versions import VersionSpec

    index_url, mirror, root, cache = sys.argv[1:]
    index = load_index(index_url, cache_dir=Path(cache))
    archive = index.find(VersionSpec.parse("1.21.13")).archive_for("linux", "amd64")
    started = time.time()
    result = install(archive, ToolchainHome(Path(root)), mirrors=[mirror])
    print(json.dumps({"already": result.already_installed, "path": str(result.installed.path),
                      "started": started, "ended": time.time()}))
""")


def test_two_concurrent_installs_end_with_one_good_install(go_mirror: GoMirror, fresh_home: ToolchainHome,
                                                          tmp_path: Path) -> None:
    home = fresh_home
    filename = "go1.21.13.linux-amd64.tar.gz"
    downloads_before = go_mirror.downloads_of(filename)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    command = [sys.executable, "-c", _CONCURRENT_INSTALL, go_mirror.index_url, go_mirror.base_url,
               str(home.root), str(tmp_path / "cache")]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                 for _ in range(2)]
    outputs = [process.communicate(timeout=300) for process in processes]
    for process, (_, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
    results = [json.loads(stdout.splitlines()[-1]) for stdout, _ in outputs]
    assert sorted(result["already"] for result in results) == [False, True]
    # Both were installing at once: the second began before the first had finished.
    assert max(result["started"] for result in results) < min(result["ended"] for result in results)
    assert {result["path"] for result in results} == {str(home.version_dir(V("1.21.13")))}
    assert go_mirror.downloads_of(filename) - downloads_before == 1  # the second one waited, then saw it
    assert [item.version.name for item in list_installed(home)] == ["go1.21.13"]
    assert sorted(entry.name for entry in home.versions_dir.iterdir()) == [
        ".go1.21.13.lock", ".launchers.lock", "go1.21.13"]  # no temporary files left
    go = home.version_dir(V("1.21.13")) / "bin" / "go"
    assert run_go(go, "version", env=go_env(tmp_path)) == "go version go1.21.13 linux/amd64"


def test_prune_keeps_the_newest_per_minor_and_never_the_global_one(
    go_mirror: GoMirror, fresh_home: ToolchainHome, tmp_path: Path,
) -> None:
    home = fresh_home
    # The small fake archives the mirror also serves: pruning does not need 230 MB trees.
    for version in ("1.21.10", "1.21.11", "1.21.12", "1.22.8", "1.22.9"):
        install_from_mirror(version, home, go_mirror, tmp_path / "cache")
    use_global(V("1.21.10"), home)
    result = prune(home, keep_per_minor=1, reporter=SilentReporter())
    assert [version.name for version in result.removed] == ["go1.22.8", "go1.21.11"]
    assert [version.name for version in result.kept] == ["go1.22.9", "go1.21.12", "go1.21.10"]
    assert sorted(entry.name for entry in home.versions_dir.iterdir() if not entry.name.startswith(".")) == [
        "go1.21.10", "go1.21.12", "go1.22.9"]
    assert sorted(entry.name for entry in home.bin_dir.iterdir()) == ["go1.21.10", "go1.21.12", "go1.22.9"]
    env = go_env(tmp_path)
    assert run_go(home.current_link / "bin" / "go", "version", env=env) == "go version go1.21.10 linux/amd64"
    assert run_go(home.bin_dir / "go1.22.9", "version", env=env) == "go version go1.22.9 linux/amd64"


class _InterruptExtraction(SilentReporter):
    """Interrupts when the download is half done: the .tar.gz is unpacked as it arrives, so
    thousands of files are written by then."""

    def transfer(self, task: str, done: int, total: int) -> None:
        if task.startswith("downloading") and done > total // 2:
            raise KeyboardInterrupt


def test_an_install_interrupted_while_extracting_leaves_nothing(
    go_mirror: GoMirror, fresh_home: ToolchainHome, tmp_path: Path,
) -> None:
    home = fresh_home
    index = load_index(go_mirror.index_url, cache_dir=tmp_path / "cache")
    archive = index.find(VersionSpec.parse("1.22")).archive_for("linux", "amd64")
    with pytest.raises(KeyboardInterrupt):
        install(archive, home, mirrors=[go_mirror.base_url], reporter=_InterruptExtraction())
    _nothing_installed(home)


def test_index_is_cached_refreshed_and_used_stale_when_unreachable(
    go_archives: dict[str, ServedArchive], tmp_path: Path,
) -> None:
    cache = tmp_path / "cache"
    with running_mirror(list(go_archives.values())) as mirror:
        fetched = load_index(mirror.index_url, cache_dir=cache, max_age=3600)
        assert not fetched.from_cache and fetched.releases[0].version == V("1.22.10")
        assert load_index(mirror.index_url, cache_dir=cache, max_age=3600).from_cache
        assert mirror.requests.count("/dl/") == 1
        assert not load_index(mirror.index_url, cache_dir=cache, refresh=True).from_cache
        later = time.time() + 7200
        assert not load_index(mirror.index_url, cache_dir=cache, max_age=3600, now=later).from_cache
        assert mirror.requests.count("/dl/") == 3
        url = mirror.index_url
    stale = load_index(url, cache_dir=cache, refresh=True)
    assert stale.from_cache and stale.releases == fetched.releases
    assert "connection refused" in stale.stale_reason and "using a copy cached" in stale.stale_reason
    with pytest.raises(IndexUnavailableError) as caught:
        load_index(url, cache_dir=tmp_path / "empty-cache")
    assert "connection refused" in caught.value.message and "GOSHIP_GO_INDEX" in caught.value.hint
