"""`goship server`: builds through the server give what in-process builds give, faster."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import Goship, Result

pytestmark = pytest.mark.integration


def command(env: dict[str, str], *args: str, cwd: Path) -> Result:
    """The `goship` console command (goship.cli.entry), which talks to a running server."""
    done = subprocess.run([sys.executable, "-c", "from goship.cli.entry import entry; entry()", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    return Result(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def server_env(base_env: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    runtime = Path(tempfile.mkdtemp(prefix="gs-", dir="/tmp"))  # sockets need short paths
    env = {**base_env, "GOSHIP_CACHE": str(tmp_path / "cache"), "XDG_RUNTIME_DIR": str(runtime)}
    yield env
    command(env, "server", "stop", cwd=tmp_path)
    shutil.rmtree(runtime, ignore_errors=True)


def test_builds_through_the_server_match_in_process_builds(server_env: dict[str, str], example: Path,
                                                           goship: Goship, tmp_path: Path) -> None:
    assert command(server_env, "server", "status", cwd=example).code == 3
    started = command(server_env, "server", "start", cwd=example)
    assert started.code == 0, started.output
    assert "running" in command(server_env, "server", "status", cwd=example).stdout
    through_server = command(server_env, "build", "--json", cwd=example)
    assert through_server.code == 0, through_server.output
    # in-process, with the server told to stay out
    in_process = command({**server_env, "GOSHIP_SERVER": "off"}, "build", "--json", cwd=example)
    assert json.loads(through_server.stdout)["images"][0]["digest"] == \
        json.loads(in_process.stdout)["images"][0]["digest"]
    # errors and exit codes come back as they are
    failed = command(server_env, "build", "--platform", "plan9/amd64", cwd=example)
    assert failed.code == 2 and "unknown platform" in failed.stderr
    # the server used the client's environment and directory, not its own
    other = tmp_path / "elsewhere"
    other.mkdir()
    assert command(server_env, "build", cwd=other).code == 4
    assert command(server_env, "server", "stop", cwd=example).code == 0
    assert command(server_env, "server", "status", cwd=example).code == 3


def test_a_socket_directory_others_can_write_is_not_used(server_env: dict[str, str], example: Path) -> None:
    runtime = Path(server_env["XDG_RUNTIME_DIR"])
    (runtime / "goship").mkdir(mode=0o777)
    os.chmod(runtime / "goship", 0o777)
    result = command(server_env, "server", "start", cwd=example)
    assert result.code == 2 and "not private" in result.stderr
    assert command(server_env, "build", cwd=example).code == 0  # builds in-process instead


def test_a_build_leaves_a_server_for_the_next_one_except_in_ci(server_env: dict[str, str],
                                                               example: Path) -> None:
    in_ci = command({**server_env, "CI": "true"}, "build", cwd=example)
    assert in_ci.code == 0 and "build server" not in in_ci.stderr
    assert command(server_env, "server", "status", cwd=example).code == 3

    outside_ci = {key: value for key, value in server_env.items() if key != "CI"}
    first = command(outside_ci, "build", cwd=example)
    assert first.code == 0, first.output
    assert "started a build server" in first.stderr
    for _ in range(100):
        if command(outside_ci, "server", "status", cwd=example).code == 0:
            break
        time.sleep(0.05)
    else:
        pytest.fail("no server came up after the first build")
    second = command(outside_ci, "build", cwd=example)
    assert second.code == 0 and "started a build server" not in second.stderr
    assert second.stdout == first.stdout

    off = command({**outside_ci, "GOSHIP_SERVER": "off"}, "server", "stop", cwd=example)
    assert off.code == 0
    assert "build server" not in command({**outside_ci, "GOSHIP_SERVER": "off"}, "build",
                                         cwd=example).stderr
