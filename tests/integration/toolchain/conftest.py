"""A Go download mirror on 127.0.0.1 with real archives, and a home where both are installed."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.fixtures.gomirror import (
    REAL_VERSIONS,
    GoMirror,
    ServedArchive,
    closed_port_url,
    go_archives,
    go_mirror,
    running_mirror,
    tampered_bytes,
)

from goship.toolchain.index import load_index
from goship.toolchain.install import InstallResult, install
from goship.toolchain.layout import ToolchainHome
from goship.toolchain.versions import VersionSpec

__all__ = ["go_archives", "go_mirror"]


def go_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A minimal environment for running an installed go: no GOROOT, no user go.env."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GOENV": "off", "GOTOOLCHAIN": "local",
            "GOFLAGS": "", **extra}


def run_go(go: Path, *args: str, env: dict[str, str], cwd: Path | None = None) -> str:
    completed = subprocess.run([str(go), *args], capture_output=True, text=True, env=env, cwd=cwd,
                               timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


def install_from_mirror(version: str, home: ToolchainHome, mirror: GoMirror, cache: Path,
                        mirrors: list[str] | None = None) -> InstallResult:
    index = load_index(mirror.index_url, cache_dir=cache)
    archive = index.find(VersionSpec.parse(version)).archive_for("linux", "amd64")
    return install(archive, home, mirrors=mirrors or [mirror.base_url])


@pytest.fixture
def fresh_home(tmp_path: Path) -> Iterator[ToolchainHome]:
    """An empty toolchain home, deleted afterwards: Go trees are ~230 MB each, and pytest keeps
    the temporary directories of the last three runs."""
    home = ToolchainHome(tmp_path / "go")
    yield home
    shutil.rmtree(home.root, ignore_errors=True)


@dataclass(frozen=True)
class SessionInstalls:
    """The real versions, each installed once per session through mirrors that fail first."""

    home: ToolchainHome
    results: dict[str, InstallResult]  # by version
    tampered_mirror: str  # served other bytes for go1.21.13 (tried before the good mirror)
    dead_mirror: str  # a closed port          } tried, in this order, before the good mirror
    missing_mirror: str  # answers 404            } for go1.22.10
    busy_mirror: str  # answers 503             }


@pytest.fixture(scope="session")
def session_installs(go_archives: dict[str, ServedArchive], go_mirror: GoMirror,
                     tmp_path_factory: pytest.TempPathFactory) -> Iterator[SessionInstalls]:
    root = tmp_path_factory.mktemp("installed-home")
    home = ToolchainHome(root / "go")
    old = go_archives["1.21.13"]
    dead = closed_port_url()
    good = go_mirror.base_url
    with running_mirror(list(go_archives.values()), tamper={old.filename: tampered_bytes(old)}) as tampered, \
            running_mirror([]) as missing, running_mirror([], status=503) as busy:
        results = {
            "1.21.13": install_from_mirror("1.21.13", home, go_mirror, root / "cache",
                                           mirrors=[tampered.base_url, good]),
            "1.22.10": install_from_mirror("1.22.10", home, go_mirror, root / "cache",
                                           mirrors=[dead, missing.base_url, busy.base_url, good]),
        }
        installs = SessionInstalls(home, results, tampered.base_url, dead, missing.base_url, busy.base_url)
    assert sorted(results) == sorted(REAL_VERSIONS)
    yield installs
    shutil.rmtree(home.root, ignore_errors=True)


@pytest.fixture
def installed_home(session_installs: SessionInstalls) -> ToolchainHome:
    """A toolchain home where every real version is installed (shared by the session)."""
    return session_installs.home
