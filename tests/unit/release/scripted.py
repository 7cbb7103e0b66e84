"""Scripted git histories for release tests: a real git repository in a temporary directory,
commits at fixed, increasing times by a fixed author, so hashes are the same on every run."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from goship.release.settings import ReleaseSettings
from goship.versioning.commits import History, read_history

START = 1_767_225_600  # 2026-01-01T00:00:00Z


def git_env(epoch: int) -> dict[str, str]:
    stamp = f"@{epoch} +0000"
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update({
        "GIT_AUTHOR_NAME": "goship", "GIT_AUTHOR_EMAIL": "goship@example.com",
        "GIT_COMMITTER_NAME": "goship", "GIT_COMMITTER_EMAIL": "goship@example.com",
        "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp,
        "GIT_CONFIG_NOSYSTEM": "1", "HOME": os.environ.get("HOME", "/nonexistent"),
        "GIT_CONFIG_GLOBAL": os.devnull,
    })
    return env


class ScriptedRepo:
    def __init__(self, path: Path, *, branch: str = "main") -> None:
        self.path = path
        self.clock = START
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", branch)

    def git(self, *args: str) -> str:
        self.clock += 60
        return subprocess.run(["git", "-C", str(self.path), *args], check=True, capture_output=True,
                              text=True, env=git_env(self.clock)).stdout.strip()

    def commit(self, message: str, *, file: str = "main.go") -> str:
        """A commit changing ``file``; its full hash."""
        target = self.path / file
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a") as out:
            out.write(f"// {message.splitlines()[0]}\n")
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str, *, annotated: bool = False, at: str = "HEAD") -> None:
        if annotated:
            self.git("tag", "-a", "-m", f"release {name}", name, at)
        else:
            self.git("tag", name, at)

    def history(self, settings: ReleaseSettings | None = None) -> History:
        return read_history(self.path, settings or ReleaseSettings(), env=git_env(self.clock))
