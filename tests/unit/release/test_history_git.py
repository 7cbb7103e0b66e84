"""Versions from scripted git histories: real git, fixed authors and dates."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.release.scripted import ScriptedRepo

from goship.errors import ExitCode, ReleaseError
from goship.release.settings import ReleaseSettings
from goship.versioning.commits import read_history
from goship.versioning.versions import Version, VersionPlan, plan_version


@pytest.fixture
def repo(tmp_path: Path) -> ScriptedRepo:
    return ScriptedRepo(tmp_path / "repo")


def plan(repo: ScriptedRepo, settings: ReleaseSettings | None = None, *, pre: str | None = None,
         build: str | None = None) -> VersionPlan:
    settings = settings or ReleaseSettings()
    return plan_version(repo.history(settings), settings, pre=pre, build=build)


def test_no_tags_start_from_the_initial_version(repo: ScriptedRepo) -> None:
    for message in ("feat: first", "fix: second", "chore: third"):
        repo.commit(message)
    result = plan(repo)
    assert result.current is None and result.bump is None
    assert str(result.next) == "0.1.0"
    short = repo.git("rev-parse", "--short", "HEAD")
    assert str(result.snapshot) == f"0.1.0-dev.3+{short}"
    assert str(plan(repo, ReleaseSettings(initial_version="1.0.0")).next) == "1.0.0"


def test_commits_since_the_tag_decide_the_next_version(repo: ScriptedRepo) -> None:
    repo.commit("feat: first")
    repo.tag("v1.2.0")
    fix = repo.commit("fix(api): handle a nil body")
    feature = repo.commit("feat(auth): passkeys")
    result = plan(repo)
    assert (str(result.current), str(result.next), result.bump) == ("1.2.0", "1.3.0", "minor")
    assert [(c.hash, c.type, c.scope, c.subject) for c in result.commits] == [
        (feature, "feat", "auth", "passkeys"), (fix, "fix", "api", "handle a nil body")]
    assert result.snapshot == Version.parse("1.3.0-dev.2")
    assert result.snapshot.build == result.history.short_commit
    assert result.history.branch == "main" and not result.history.dirty


def test_a_breaking_footer_bumps_the_major(repo: ScriptedRepo) -> None:
    repo.commit("feat: first")
    repo.tag("v1.2.0")
    repo.commit("refactor(db): new schema\n\nBREAKING CHANGE: tables renamed")
    result = plan(repo)
    assert (str(result.next), result.bump) == ("2.0.0", "major")


def test_below_one_a_breaking_change_bumps_the_minor_unless_configured(repo: ScriptedRepo) -> None:
    repo.commit("feat: first")
    repo.tag("v0.4.2")
    repo.commit("feat!: new API")
    assert str(plan(repo).next) == "0.5.0"
    assert str(plan(repo, ReleaseSettings(zero_major_breaking="major")).next) == "1.0.0"


def test_a_clean_head_at_a_tag_is_that_version_and_nothing_to_release(repo: ScriptedRepo) -> None:
    repo.commit("feat: first")
    repo.tag("v1.2.0")
    result = plan(repo)
    assert result.current == result.next == result.snapshot == Version.parse("1.2.0")
    assert result.bump is None and not result.releasable


def test_a_modified_tracked_file_makes_a_dirty_snapshot(repo: ScriptedRepo) -> None:
    repo.commit("feat: first")
    repo.tag("v1.2.0")
    (repo.path / "main.go").write_text("// changed\n")
    result = plan(repo)
    assert result.history.dirty
    assert str(result.snapshot) == f"1.2.1-dev.0+{result.history.short_commit}.dirty"
    assert Version.parse("1.2.0") < result.snapshot < Version.parse("1.2.1")


def test_untracked_files_make_the_tree_dirty_as_for_go_but_ignored_ones_do_not(repo: ScriptedRepo) -> None:
    """Go stamps vcs.modified=true when `git status --porcelain` shows anything."""
    repo.commit("feat: first")
    repo.tag("v1.2.0")
    (repo.path / ".gitignore").write_text("*.log\n")
    repo.git("add", ".gitignore")
    repo.git("commit", "-qm", "chore: ignore logs")
    repo.tag("v1.2.1")
    (repo.path / "server.log").write_text("ignored\n")
    work = repo.path / ".goship"  # goship's work directory carries a .gitignore of "*"
    work.mkdir()
    (work / ".gitignore").write_text("*\n")
    (work / "oci").write_text("layout\n")
    assert not repo.history().dirty
    assert str(plan(repo).snapshot) == "1.2.1"
    (repo.path / "notes.txt").write_text("untracked\n")
    result = plan(repo)
    assert result.history.dirty
    assert str(result.snapshot) == f"1.2.2-dev.0+{result.history.short_commit}.dirty"


def test_only_tags_merged_into_head_count(repo: ScriptedRepo) -> None:
    repo.commit("feat: first")
    repo.tag("v1.0.0")
    repo.git("checkout", "-q", "-b", "side")
    repo.commit("feat!: side work")
    repo.tag("v2.0.0")
    repo.git("checkout", "-q", "main")
    repo.commit("fix: on main")
    result = plan(repo)
    assert (str(result.current), str(result.next)) == ("1.0.0", "1.0.1")
    side = next(tag for tag in result.history.tags if tag.name == "v2.0.0")
    assert not side.merged


def test_the_highest_version_wins_not_the_newest_or_the_lexically_last(repo: ScriptedRepo) -> None:
    repo.commit("feat: first")
    repo.tag("v1.10.0")
    repo.commit("fix: backport")
    repo.tag("v1.9.1")
    assert str(plan(repo).current) == "1.10.0"


def test_non_semver_tags_are_skipped_and_reported(repo: ScriptedRepo) -> None:
    repo.commit("feat: first")
    repo.tag("v1.2.0")
    repo.commit("fix: later")
    for name in ("v1.3", "latest", "v01.2.3", "vnext"):
        repo.tag(name)
    history = repo.history()
    reasons = {tag.name: tag.reason for tag in history.skipped_tags}
    assert set(reasons) == {"v1.3", "latest", "v01.2.3", "vnext"}
    assert "write v1.3.0" in reasons["v1.3"]
    assert "prefix 'v'" in reasons["latest"]
    assert "leading zeros" in reasons["v01.2.3"]
    assert str(plan(repo).current) == "1.2.0"


def test_annotated_tags_count_like_lightweight_ones(repo: ScriptedRepo) -> None:
    first = repo.commit("feat: first")
    repo.tag("v1.0.0", annotated=True)
    repo.commit("fix: later")
    history = repo.history()
    assert history.last_release is not None and history.last_release.commit == first
    assert len(history.commits) == 1


def test_merge_commits_bring_in_their_branch_commits(repo: ScriptedRepo) -> None:
    repo.commit("feat: first")
    repo.tag("v1.0.0")
    repo.git("checkout", "-q", "-b", "feature/x")
    repo.commit("feat(x): the x feature", file="x.go")
    repo.git("checkout", "-q", "main")
    repo.commit("docs: readme", file="README.md")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge branch 'feature/x'", "feature/x")
    result = plan(repo)
    merges = [c for c in result.commits if c.merge]
    assert [c.header for c in merges] == ["Merge branch 'feature/x'"] and merges[0].type is None
    assert (str(result.next), result.bump) == ("1.1.0", "minor")


def test_a_feature_reverted_before_the_release_does_not_bump(repo: ScriptedRepo) -> None:
    repo.commit("feat: first")
    repo.tag("v1.0.0")
    repo.commit("feat: risky", file="risky.go")
    repo.git("revert", "--no-edit", "HEAD")
    repo.commit("fix: small")
    result = plan(repo)
    assert (str(result.next), result.bump) == ("1.0.1", "patch")
    assert [c.subject for c in result.commits] == ["small"]
    assert len(result.history.commits) == 3


def test_prereleases_are_numbered_after_every_tag_of_that_version(repo: ScriptedRepo) -> None:
    repo.commit("feat: first")
    repo.tag("v1.2.0")
    repo.commit("feat: more")
    assert str(plan(repo, pre="rc").next) == "1.3.0-rc.1"
    repo.tag("v1.3.0-rc.1")
    repo.commit("fix: found in rc.1")
    assert str(plan(repo, pre="rc").next) == "1.3.0-rc.2"
    # rc.2 tagged on another branch still takes the name: the next one is rc.3.
    repo.git("checkout", "-q", "-b", "hotfix")
    repo.commit("fix: elsewhere", file="other.go")
    repo.tag("v1.3.0-rc.2")
    repo.git("checkout", "-q", "main")
    result = plan(repo, pre="rc", build="ci.7")
    assert str(result.next) == "1.3.0-rc.3+ci.7"
    assert result.next_tag == "v1.3.0-rc.3"
    assert str(plan(repo).next) == "1.3.0"
    assert str(plan(repo, pre="beta").next) == "1.3.0-beta.1"


def test_a_custom_prefix_keeps_components_apart(repo: ScriptedRepo) -> None:
    repo.commit("feat: first")
    repo.tag("api/v1.4.0")
    repo.tag("web/v7.0.0")
    repo.commit("fix(api): x")
    settings = ReleaseSettings(tag_prefix="api/v")
    result = plan(repo, settings)
    assert (str(result.current), result.current_tag, result.next_tag) == ("1.4.0", "api/v1.4.0", "api/v1.4.1")


def test_detached_head_has_no_branch(repo: ScriptedRepo) -> None:
    repo.commit("feat: first")
    repo.commit("fix: second")
    repo.git("checkout", "-q", "--detach", "HEAD~1")
    history = repo.history()
    assert history.branch is None and len(history.commits) == 1


def test_not_a_git_repository_is_a_release_error(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(ReleaseError) as caught:
        read_history(plain, ReleaseSettings(), env={"GIT_CEILING_DIRECTORIES": str(tmp_path),
                                                   "PATH": _path()})
    assert caught.value.exit_code == ExitCode.RELEASE == 10
    assert "not in a git repository" in caught.value.message and str(plain) in caught.value.message
    assert "git init" in caught.value.hint


def test_a_repository_without_commits_is_a_release_error(repo: ScriptedRepo) -> None:
    with pytest.raises(ReleaseError, match="no commits yet"):
        repo.history()


def _path() -> str:
    import os

    return os.environ.get("PATH", "")
