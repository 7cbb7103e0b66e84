"""`goship build` uses the Go version a project pins, installing it when missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import Goship
from tests.fixtures.gomirror import GoMirror

pytestmark = pytest.mark.integration


def test_build_installs_and_uses_the_pinned_version(goship: Goship, example: Path, go_mirror: GoMirror,
                                                    tmp_path: Path) -> None:
    (example / ".go-version").write_text("1.22.10\n")
    env = {"GOSHIP_HOME": str(tmp_path / "home"), "GOSHIP_GO_INDEX": go_mirror.index_url,
           "GOSHIP_GO_MIRRORS": go_mirror.base_url}

    offline = goship("build", "--offline", cwd=example, env=env)
    assert offline.code == 4 and "Traceback" not in offline.output
    assert "pinned by" in offline.stderr and "goship go install 1.22.10" in offline.stderr

    built = goship("build", cwd=example, env=env)
    assert built.code == 0, built.output
    assert "installing Go 1.22.10 (pinned by" in built.stderr
    assert (tmp_path / "home" / "go" / "versions" / "go1.22.10" / "bin" / "go").exists()
    digest = built.stdout.split()[2]
    layout = example / ".goship" / "oci"
    manifest = json.loads((layout / "blobs" / "sha256" / digest.split(":")[1]).read_text())
    assert manifest["annotations"]["dev.goship.go.version"] == "go1.22.10"

    again = goship("build", "--offline", cwd=example, env=env)  # installed now: no download
    assert again.code == 0 and "installing" not in again.stderr


def blobs(example: Path) -> Path:
    return example / ".goship" / "oci" / "blobs" / "sha256"


def test_go_line_newer_than_the_path_go_installs_a_release_meeting_it(
        goship: Goship, example: Path, go_mirror: GoMirror, tmp_path: Path) -> None:
    # No go on PATH at all, and go.mod asks for 1.22.3 or newer: the newest 1.22.x is installed.
    (example / "go.mod").write_text("module example.com/hello\n\ngo 1.22.3\n")
    home = tmp_path / "home"
    env = {"GOSHIP_HOME": str(home), "GOSHIP_GO_INDEX": go_mirror.index_url,
           "GOSHIP_GO_MIRRORS": go_mirror.base_url, "PATH": "/usr/bin:/bin"}

    offline = goship("build", "--offline", cwd=example, env=env)
    assert offline.code == 4 and "Traceback" not in offline.output
    assert "required by the go line" in offline.stderr and "goship go install 1.22" in offline.stderr
    assert not (home / "go" / "versions").exists() or not any((home / "go" / "versions").iterdir())

    built = goship("build", cwd=example, env=env)
    assert built.code == 0, built.output
    assert "installing Go 1.22.3 or a newer 1.22.x (required by the go line" in built.stderr
    digest = built.stdout.split()[2]
    manifest = json.loads((blobs(example) / digest.split(":")[1]).read_text())
    assert manifest["annotations"]["dev.goship.go.version"] == "go1.22.10"

    # A go line the Go on PATH meets is served by it: nothing is installed or switched.
    (example / "go.mod").write_text("module example.com/hello\n\ngo 1.21\n")
    older = goship("build", "--offline", cwd=example, env={**env, "PATH": goship.env["PATH"]})
    assert older.code == 0, older.output
    digest = older.stdout.split()[2]
    manifest = json.loads((blobs(example) / digest.split(":")[1]).read_text())
    assert manifest["annotations"]["dev.goship.go.version"] == "go1.25.5"
