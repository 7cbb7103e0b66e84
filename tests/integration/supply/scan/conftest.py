"""Real Go binaries that depend on vulnerable and fixed module versions, images holding them,
and an HTTP server that serves a copy of the Go vulnerability database's v1 API."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from tests.fixtures.gomodules import Dependency, go_build, write_program
from tests.fixtures.httpserver import QuietHandler, serve

TESTDB = Path(__file__).resolve().parents[3] / "unit" / "supply" / "scan" / "govulndb"
CRYPTO = "golang.org/x/crypto"
CRYPTO_OLD = "v0.0.0-20190308221718-c2843e01d9a2"
CRYPTO_FIX = "v0.0.0-20200124225646-8b5121be2f68"
BEEGO_V2 = "github.com/beego/beego/v2"


@dataclass(frozen=True)
class Programs:
    vulnerable: Path  # linux/amd64: x/crypto before the fix, beego/v2 v2.0.1, astaxie/beego replaced
    fixed: Path  # linux/amd64: the same modules at fixed versions
    vulnerable_arm64: Path
    fixed_arm64: Path


def _program(directory: Path, crypto: str, beego: str, env: dict[str, str]) -> dict[str, str]:
    return write_program(directory, [
        Dependency(CRYPTO, crypto, "cryptobyte"),
        Dependency(BEEGO_V2, beego, "server/web"),
        # affected by three entries with no fix, but replaced: matched as the fork, which is clean
        Dependency("github.com/astaxie/beego", "v1.12.3", "", ("example.com/beego-fork", "v1.0.0")),
    ], env=env)


@pytest.fixture(scope="session")
def programs(base_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Programs:
    root = tmp_path_factory.mktemp("scan-programs")
    vulnerable_env = _program(root / "vulnerable", CRYPTO_OLD, "v2.0.1", base_env)
    fixed_env = _program(root / "fixed", CRYPTO_FIX, "v2.0.4", base_env)
    out = root / "bin"
    out.mkdir()
    return Programs(
        vulnerable=go_build(root / "vulnerable", out / "vulnerable", vulnerable_env),
        fixed=go_build(root / "fixed", out / "fixed", fixed_env),
        vulnerable_arm64=go_build(root / "vulnerable", out / "vulnerable-arm64", vulnerable_env,
                                  goarch="arm64"),
        fixed_arm64=go_build(root / "fixed", out / "fixed-arm64", fixed_env, goarch="arm64"),
    )


@dataclass
class DatabaseServer:
    url: str
    root: Path  # what it serves: edit files here to change the database
    requests: list[str] = field(default_factory=list)
    html: bool = False  # answer every request with a web page instead
    stop: Callable[[], None] = lambda: None  # shut the server down: nothing listens any more


@pytest.fixture
def database_server(tmp_path: Path) -> Iterator[DatabaseServer]:
    """The test database over HTTP on 127.0.0.1, recording the paths asked for."""
    root = Path(shutil.copytree(TESTDB, tmp_path / "served"))
    state = DatabaseServer("", root)

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            if state.html:
                self.answer(200, b"<html><body>Welcome</body></html>", "text/html")
                return
            target = (root / self.path.lstrip("/")).resolve()
            if root.resolve() not in target.parents or not target.is_file():
                self.answer(404, b"not found\n", "text/plain")
                return
            self.answer(200, target.read_bytes(), "application/json")

    with contextlib.ExitStack() as running:
        state.url = f"http://{running.enter_context(serve(Handler))}"
        state.stop = running.close
        yield state
