"""`goship version` as a user runs it on scratch repositories: what it prints, and its exit
codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import Goship
from tests.unit.release.scripted import ScriptedRepo

pytestmark = pytest.mark.integration

OK, USAGE, CONFIG, RELEASE = 0, 2, 3, 10


@pytest.fixture
def repo(tmp_path: Path) -> ScriptedRepo:
    """v1.2.0, then a fix and a feature."""
    repo = ScriptedRepo(tmp_path / "app")
    (repo.path / "go.mod").write_text("module example.com/app\n\ngo 1.22\n")
    repo.commit("feat: first")
    repo.tag("v1.2.0")
    repo.commit("fix(api): handle a nil body")
    repo.commit("feat(auth): log in with a passkey")
    return repo


def short(repo: ScriptedRepo) -> str:
    return repo.git("rev-parse", "--short", "HEAD")


def test_text_report(goship: Goship, repo: ScriptedRepo) -> None:
    result = goship("version", cwd=repo.path)
    assert result.code == OK, result.output
    assert result.stdout.splitlines() == [
        "current:  1.2.0 (tag v1.2.0)",
        "next:     1.3.0 (minor bump: 1 feature, 1 fix since v1.2.0)",
        f"snapshot: 1.3.0-dev.2+{short(repo)}",
        f"commit:   {short(repo)} on main, clean, 2 commits since v1.2.0",
    ]
    assert result.stderr == ""


def test_one_version_for_scripts(goship: Goship, repo: ScriptedRepo) -> None:
    assert goship("version", "-q", cwd=repo.path).stdout == "1.3.0\n"
    assert goship("version", "--snapshot", cwd=repo.path).stdout == f"1.3.0-dev.2+{short(repo)}\n"
    prerelease = goship("version", "-q", "--pre", "rc", "--build", "ci.7", cwd=repo.path)
    assert prerelease.stdout == "1.3.0-rc.1+ci.7\n"
    repo.tag("v1.3.0-rc.1")
    assert goship("version", "-q", "--pre", "rc", cwd=repo.path).stdout == "1.3.0-rc.2\n"
    assert goship("version", "-q", "--bump", "major", cwd=repo.path).stdout == "2.0.0\n"


def test_directory_option(goship: Goship, repo: ScriptedRepo, tmp_path: Path) -> None:
    result = goship("-C", str(repo.path), "version", "-q", cwd=tmp_path)
    assert (result.code, result.stdout) == (OK, "1.3.0\n")


def test_json_has_every_part(goship: Goship, repo: ScriptedRepo) -> None:
    repo.tag("v1.3")  # not SemVer: skipped and reported
    (repo.path / "main.go").write_text("// edited\n")
    result = goship("version", "--json", cwd=repo.path)
    assert result.code == OK, result.output
    document = json.loads(result.stdout)
    assert {key: document[key] for key in ("current", "next", "bump", "branch", "dirty")} == {
        "current": "1.2.0", "next": "1.3.0", "bump": "minor", "branch": "main", "dirty": True}
    assert document["snapshot"] == f"1.3.0-dev.2+{short(repo)}.dirty"
    assert document["commit"] == repo.head() and document["short_commit"] == short(repo)
    assert [(c["type"], c["scope"], c["breaking"], c["subject"]) for c in document["commits"]] == [
        ("feat", "auth", False, "log in with a passkey"), ("fix", "api", False, "handle a nil body")]
    assert document["skipped_tags"] == [
        {"name": "v1.3", "reason": "'1.3' is not SemVer: it needs MAJOR.MINOR.PATCH (write v1.3.0)"}]
    assert "skipped tag v1.3" in result.stderr


def test_release_notes(goship: Goship, repo: ScriptedRepo) -> None:
    repo.commit("docs: readme", file="README.md")
    result = goship("version", "--notes", "--date", "2026-11-22", cwd=repo.path)
    assert result.code == OK, result.output
    log = repo.git("log", "--format=%h %s", "-3").splitlines()
    hashes = {subject: hash_ for hash_, subject in (line.split(" ", 1) for line in log)}
    assert result.stdout == (
        "## [1.3.0] - 2026-11-22\n\n"
        "### Features\n\n"
        f"- **auth:** log in with a passkey ({hashes['feat(auth): log in with a passkey']})\n\n"
        "### Bug Fixes\n\n"
        f"- **api:** handle a nil body ({hashes['fix(api): handle a nil body']})\n")
    dated = goship("version", "--notes", cwd=repo.path, env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert dated.stdout.startswith("## [1.3.0] - 2023-11-14\n")


def test_no_tags_yet(goship: Goship, tmp_path: Path) -> None:
    repo = ScriptedRepo(tmp_path / "new")
    repo.commit("feat: first")
    result = goship("version", cwd=repo.path)
    assert result.code == OK, result.output
    assert result.stdout.splitlines()[:2] == [
        "current:  none (no release tag like v1.2.3 reachable from HEAD)",
        "next:     0.1.0 (first release: initial-version 0.1.0)"]


def test_release_settings_come_from_goship_toml(goship: Goship, tmp_path: Path) -> None:
    repo = ScriptedRepo(tmp_path / "svc")
    (repo.path / "goship.toml").write_text('[release]\ntag-prefix = "svc/v"\ninitial-version = "1.0.0"\n')
    repo.commit("feat: first")
    assert goship("version", "-q", cwd=repo.path).stdout == "1.0.0\n"
    repo.tag("v7.0.0")  # another prefix: not this service's release
    repo.tag("svc/v1.0.0")
    repo.commit("fix: x")
    assert goship("version", "-q", cwd=repo.path).stdout == "1.0.1\n"


def test_v2_without_the_module_suffix_is_flagged(goship: Goship, repo: ScriptedRepo) -> None:
    repo.commit("feat!: new API")
    result = goship("version", "-q", cwd=repo.path)
    assert (result.code, result.stdout) == (OK, "2.0.0\n")
    assert "declares module example.com/app, but from v2 on, the module path must end in /v2" in result.stderr
    assert "hint: change the module line of go.mod to `module example.com/app/v2`" in result.stderr


def test_not_a_git_repository(goship: Goship, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    result = goship("version", cwd=plain, env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert result.code == RELEASE
    assert result.stdout == ""
    assert f"goship: error: reading versions from git: {plain} is not in a git repository" in result.stderr
    assert "hint: " in result.stderr and "Traceback" not in result.output


def test_bad_flags(goship: Goship, repo: ScriptedRepo) -> None:
    result = goship("version", "--pre", "r c", cwd=repo.path)
    assert result.code == USAGE and "prerelease label 'r c' is not valid" in result.stderr
    result = goship("version", "--notes", "--date", "22.11.2026", cwd=repo.path)
    assert result.code == USAGE and "--date '22.11.2026' is not a date" in result.stderr
    result = goship("version", "--json", "--notes", cwd=repo.path)
    assert result.code == USAGE and "not allowed with" in result.stderr
    assert "Traceback" not in result.output


def test_a_detached_head_in_ci_reports_the_branch_ci_names(goship: Goship, repo: ScriptedRepo) -> None:
    # CI checks out a commit, not a branch; `goship version` and `goship release` must agree.
    repo.git("checkout", "--detach", "HEAD")
    result = goship("version", "--json", cwd=repo.path, env={"GITHUB_REF_NAME": "develop"})
    assert result.code == OK, result.output
    assert json.loads(result.stdout)["branch"] == "develop"
    plain = goship("version", "--json", cwd=repo.path,
                   env={"GITHUB_REF_NAME": "", "GOSHIP_BRANCH": "", "CI_COMMIT_BRANCH": ""})
    assert json.loads(plain.stdout)["branch"] in (None, "")


def test_notes_use_the_changelog_sections_of_goship_toml(goship: Goship, repo: ScriptedRepo) -> None:
    (repo.path / "goship.toml").write_text(
        '[release]\nchangelog-sections = [\n'
        '  {type = "feat", title = "New"},\n  {type = "docs", title = "Docs"},\n]\n')
    repo.commit("docs: readme", file="README.md")
    result = goship("version", "--notes", "--date", "2026-11-22", cwd=repo.path)
    assert result.code == OK, result.output
    headings = [line for line in result.stdout.splitlines() if line.startswith("###")]
    assert headings == ["### New", "### Docs"]  # fix is not listed: left out
    assert "handle a nil body" not in result.stdout

    (repo.path / "goship.toml").write_text('[release]\nchangelog-sections = [{type = "feat"}]\n')
    bad = goship("version", "--notes", cwd=repo.path)
    assert bad.code == CONFIG
    assert "goship.toml:2: 'release.changelog-sections[0].title' must be a one-line heading" in bad.stderr
