"""The version and modified flag `goship build` stamps, read from real git repositories: the
same snapshot version `goship version` plans, and Go's rule for a modified tree."""

from __future__ import annotations

from pathlib import Path

from tests.unit.release.scripted import ScriptedRepo, git_env

from goship.gobuild.vcs import read_source_facts
from goship.release.settings import ReleaseSettings
from goship.versioning.versions import plan_version


def facts(repo: ScriptedRepo, settings: ReleaseSettings | None = None):
    return read_source_facts(repo.path, git_env(repo.clock), settings)


def test_between_releases_the_build_gets_the_snapshot_of_the_next_release(tmp_path: Path) -> None:
    repo = ScriptedRepo(tmp_path / "app")
    repo.commit("feat: first")
    repo.tag("v1.2.0")
    repo.commit("fix(api): handle a nil body")
    repo.commit("feat(auth): passkeys")
    found = facts(repo)
    short = repo.git("rev-parse", "--short", "HEAD")
    assert found.version() == f"1.3.0-dev.2+{short}"
    assert found.commit == repo.head() and not found.dirty
    settings = ReleaseSettings()
    assert found.version() == str(plan_version(repo.history(settings), settings).snapshot)


def test_a_clean_head_at_a_tag_builds_that_version(tmp_path: Path) -> None:
    repo = ScriptedRepo(tmp_path / "app")
    repo.commit("feat: first")
    repo.tag("v2.0.0-rc.1", annotated=True)
    assert facts(repo).version() == "2.0.0-rc.1"


def test_untracked_files_mark_the_build_modified_as_go_does(tmp_path: Path) -> None:
    repo = ScriptedRepo(tmp_path / "app")
    repo.commit("feat: first")
    repo.tag("v1.0.0")
    work = repo.path / ".goship"  # as goship build leaves it
    work.mkdir()
    (work / ".gitignore").write_text("*\n")
    (work / "cache").write_text("x\n")
    assert facts(repo).version() == "1.0.0" and not facts(repo).dirty
    (repo.path / "scratch.go").write_text("package main\n")
    found = facts(repo)
    assert found.dirty
    assert found.version() == f"1.0.1-dev.0+{repo.git('rev-parse', '--short', 'HEAD')}.dirty"


def test_the_tag_prefix_and_initial_version_of_goship_toml_count(tmp_path: Path) -> None:
    repo = ScriptedRepo(tmp_path / "svc")
    repo.commit("feat: first")
    short = repo.git("rev-parse", "--short", "HEAD")
    settings = ReleaseSettings(tag_prefix="svc/v", initial_version="1.0.0")
    assert facts(repo, settings).version() == f"1.0.0-dev.1+{short}"
    repo.tag("v7.0.0")  # not this service's prefix
    repo.tag("svc/v1.0.0")
    assert facts(repo, settings).version() == "1.0.0"
    assert facts(repo).version() == "7.0.0"


def test_outside_git_the_build_gets_the_initial_dev_version(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    env = {**git_env(0), "GIT_CEILING_DIRECTORIES": str(tmp_path)}
    found = read_source_facts(plain, env)
    assert (found.commit, found.version(), found.dirty) == ("", "0.1.0-dev", False)
    assert read_source_facts(plain, env, ReleaseSettings(initial_version="2.0.0")).version() == "2.0.0-dev"


def test_a_repository_without_commits_has_no_commit(tmp_path: Path) -> None:
    repo = ScriptedRepo(tmp_path / "empty")
    found = facts(repo)
    assert (found.commit, found.version()) == ("", "0.1.0-dev")
