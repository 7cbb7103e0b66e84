"""What a release lists as uncommitted: every path `git status` shows, untracked ones included,
exactly as named."""

from __future__ import annotations

from pathlib import Path

from tests.unit.release.scripted import ScriptedRepo, git_env

from goship.versioning.git import changed_paths


def test_changed_paths_are_named_exactly(tmp_path: Path) -> None:
    repo = ScriptedRepo(tmp_path / "app")
    repo.commit("feat: first", file="cmd/api/main.go")
    repo.commit("feat: second", file="old name.go")
    (repo.path / ".gitignore").write_text("*.log\n")
    repo.git("add", ".gitignore")
    repo.git("commit", "-qm", "chore: ignore logs")
    env = git_env(repo.clock)
    assert changed_paths(repo.path, env) == []

    (repo.path / "cmd/api/main.go").write_text("// edited\n")  # " M": the leading space matters
    repo.git("mv", "old name.go", "new name.go")
    (repo.path / "notes ü.txt").write_text("untracked\n")
    (repo.path / "debug.log").write_text("ignored\n")
    assert sorted(changed_paths(repo.path, env)) == ["cmd/api/main.go", "new name.go", "notes ü.txt"]
