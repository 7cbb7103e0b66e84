"""`goship release` on a scratch git repository of examples/hello, against the real registry."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest
from tests.conftest import Goship, copy_example, git

pytestmark = pytest.mark.integration

ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
])
FEAT_DATE = "2024-10-02T12:00:00Z"


def project(tmp_path: Path, registry_host: str, repository: str, environments: str = "") -> Path:
    """examples/hello in a fresh repository, configured for releases, with a feat commit."""
    directory = copy_example(tmp_path / "hello")
    git(directory, "config", "user.name", "Release Bot")
    git(directory, "config", "user.email", "release@example.com")
    config = directory / "goship.toml"
    config.write_text(f'repository = "{registry_host}/{repository}"\n' + config.read_text() + environments)
    commit(directory, "feat(api): say hello in goship.toml", date=FEAT_DATE)
    return directory


def commit(directory: Path, message: str, *, date: str = FEAT_DATE) -> None:
    git(directory, "add", "-A")
    git(directory, "commit", "-q", "--allow-empty", "-m", message,
        env={"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})


def registry_tags(registry, repository: str) -> dict[str, str]:
    """tag -> digest, as the registry answers for them now ({} for no such repository)."""
    listing = httpx.get(f"{registry.url}/v2/{repository}/tags/list")
    if listing.status_code == 404:
        return {}
    listing.raise_for_status()
    found = {}
    for tag in listing.json().get("tags") or []:
        head = httpx.head(f"{registry.url}/v2/{repository}/manifests/{tag}", headers={"Accept": ACCEPT})
        head.raise_for_status()
        found[tag] = head.headers["docker-content-digest"]
    return found


def image_labels(registry, repository: str, tag: str) -> dict[str, str]:
    manifest = httpx.get(f"{registry.url}/v2/{repository}/manifests/{tag}", headers={"Accept": ACCEPT}).json()
    config = httpx.get(f"{registry.url}/v2/{repository}/blobs/{manifest['config']['digest']}",
                       follow_redirects=True).json()
    return config["config"]["Labels"]


def tree_state(directory: Path, *, builds: bool = True) -> dict[str, str]:
    """Every file under the directory (.git included) with a hash of its bytes; without
    ``builds``, not goship's own ignored work directory (.goship)."""
    return {str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(directory.rglob("*"))
            if path.is_file() and (builds or not str(path.relative_to(directory)).startswith(".goship"))}


PROD = '''
[environments.prod]
branches = ["main"]
tags = ["{version}", "v{major}.{minor}", "{version}-{env}-{short_commit}", "latest-{env}", "build-{date}"]
'''


def test_dry_run_shows_everything_and_changes_nothing(goship: Goship, tmp_path: Path, registry_plain) -> None:
    directory = project(tmp_path, registry_plain.host, "release/dry", PROD)
    head = git(directory, "rev-parse", "HEAD")
    before = tree_state(directory)

    shown = goship("release", "--dry-run", cwd=directory)
    assert shown.code == 0, shown.output
    short = head[:7]
    for expected in ("0.1.0 (first release)", "environment  prod", "git tag      v0.1.0",
                     f"{registry_plain.host}/release/dry:0.1.0  immutable, new",
                     f"{registry_plain.host}/release/dry:0.1.0-prod-{short}",
                     f"{registry_plain.host}/release/dry:latest-prod",
                     f"{registry_plain.host}/release/dry:build-20241002",
                     "## [0.1.0]", "### Features", "**api:** say hello in goship.toml"):
        assert expected in shown.stdout, (expected, shown.stdout)

    as_json = goship("release", "--dry-run", "--json", cwd=directory)
    assert as_json.code == 0, as_json.output
    plan = json.loads(as_json.stdout)
    assert plan["dry_run"] is True and plan["version"] == "0.1.0" and plan["git_tag"] == "v0.1.0"
    assert plan["images"][0]["tags"] == ["0.1.0", "v0.1", f"0.1.0-prod-{short}", "latest-prod",
                                         "build-20241002"]
    notes = goship("release", "--notes", cwd=directory)
    assert notes.code == 0 and notes.stdout.startswith("## [0.1.0] - ") and "dry run" not in notes.stdout

    assert tree_state(directory) == before, "a dry run wrote a file (or git state)"
    assert git(directory, "tag") == ""
    assert git(directory, "rev-parse", "HEAD") == head
    assert not (directory / "CHANGELOG.md").exists()
    assert registry_tags(registry_plain, "release/dry") == {}


def test_release_pushes_the_schemes_tags_then_tags_and_writes_the_changelog(
        goship: Goship, tmp_path: Path, registry_plain) -> None:
    directory = project(tmp_path, registry_plain.host, "release/real", PROD)
    built_commit = git(directory, "rev-parse", "HEAD")

    result = goship("release", "--json", cwd=directory)
    assert result.code == 0, result.output
    summary = json.loads(result.stdout)
    digest = summary["images"][0]["digest"]
    expected = ["0.1.0", "v0.1", f"0.1.0-prod-{built_commit[:7]}", "latest-prod", "build-20241002"]
    assert registry_tags(registry_plain, "release/real") == dict.fromkeys(expected, digest)
    assert summary["images"][0]["published"] == [f"{registry_plain.host}/release/real:{tag}@{digest}"
                                                 for tag in expected]
    labels = image_labels(registry_plain, "release/real", "0.1.0")
    assert labels["org.opencontainers.image.version"] == "0.1.0"
    assert labels["org.opencontainers.image.revision"] == built_commit

    # The annotated tag names the commit built; the changelog is committed on top of it.
    assert git(directory, "cat-file", "-t", "v0.1.0") == "tag"
    assert git(directory, "rev-list", "-n", "1", "v0.1.0") == built_commit
    message = git(directory, "tag", "-l", "--format=%(contents)", "v0.1.0")
    assert "## [0.1.0]" in message and "say hello in goship.toml" in message
    assert git(directory, "log", "-1", "--format=%s") == "chore(release): v0.1.0"
    assert git(directory, "rev-parse", "HEAD~1") == built_commit
    changelog = (directory / "CHANGELOG.md").read_text()
    assert changelog.startswith("# Changelog\n\n## [0.1.0] - ")
    assert "- **api:** say hello in goship.toml" in changelog
    assert git(directory, "status", "--porcelain") == ""
    assert summary["git_tag_created"] is True and summary["git_tag_pushed"] is False

    # The next release: a fix makes 0.1.1; the mutable latest-prod moves, 0.1.0 stays.
    main = directory / "cmd" / "hello" / "main.go"
    main.write_text(main.read_text().replace("hello from goship", "hello again from goship"))
    commit(directory, "fix: greet again", date="2024-10-03T12:00:00Z")
    again = goship("release", "--json", cwd=directory)
    assert again.code == 0, again.output
    second = json.loads(again.stdout)
    assert second["version"] == "0.1.1" and second["previous"] == "0.1.0"
    tags = registry_tags(registry_plain, "release/real")
    assert tags["0.1.0"] == digest
    assert tags["0.1.1"] == tags["latest-prod"] == second["images"][0]["digest"] != digest
    changelog = (directory / "CHANGELOG.md").read_text()
    assert changelog.index("## [0.1.1]") < changelog.index("## [0.1.0]")
    assert "- greet again" in changelog


def test_an_immutable_tag_that_would_move_is_refused_unless_forced(
        goship: Goship, tmp_path: Path, registry_plain) -> None:
    directory = project(tmp_path, registry_plain.host, "release/immutable", PROD)
    plan = json.loads(goship("release", "--dry-run", "--json", cwd=directory).stdout)
    target = f"{registry_plain.host}/release/immutable"
    # Someone pushed another image as 0.1.0 before this release.
    occupied = goship("build", "--push", f"{target}:{plan['version']}", "--version-string", "9.9.9",
                      "--json", cwd=directory)
    assert occupied.code == 0, occupied.output
    other = json.loads(occupied.stdout)["images"][0]["digest"]
    before = tree_state(directory, builds=False)

    refused = goship("release", cwd=directory)
    assert refused.code == 10, refused.output
    assert "immutable tags would move, so nothing was pushed" in refused.stderr
    assert f"{target}:0.1.0 names {other}" in refused.stderr
    assert "--force" in refused.stderr
    assert registry_tags(registry_plain, "release/immutable") == {"0.1.0": other}
    assert git(directory, "tag") == ""
    assert not (directory / "CHANGELOG.md").exists()
    assert tree_state(directory, builds=False) == before

    forced = goship("release", "--force", "--json", cwd=directory)
    assert forced.code == 0, forced.output
    summary = json.loads(forced.stdout)
    assert summary["moved"] == [{"repository": target, "tag": "0.1.0", "from": other,
                                 "to": summary["images"][0]["digest"]}]
    assert registry_tags(registry_plain, "release/immutable")["0.1.0"] == summary["images"][0]["digest"]


def test_a_release_run_again_after_a_lost_tag_reproduces_its_images(
        goship: Goship, tmp_path: Path, registry_plain) -> None:
    """Images go out before git is touched; a run that failed after the push is finished by
    running it again: the same commit builds the same digests, so no immutable tag moves."""
    directory = project(tmp_path, registry_plain.host, "release/rerun", PROD)
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    # Pushes go to the local bare repository; origin's URL stays the image's source label.
    git(directory, "config", f"url.{remote}.pushInsteadOf", git(directory, "remote", "get-url", "origin"))
    first = goship("release", "--json", cwd=directory)
    assert first.code == 0, first.output
    # Undo the git side only, as if the run had died before tagging.
    git(directory, "tag", "-d", "v0.1.0")
    git(directory, "reset", "-q", "--hard", "HEAD~1")
    again = goship("release", "--json", "--push-tag", cwd=directory)
    assert again.code == 0, again.output
    assert json.loads(again.stdout)["images"][0]["digest"] == json.loads(first.stdout)["images"][0]["digest"]
    assert json.loads(again.stdout)["moved"] == []
    assert json.loads(again.stdout)["git_tag_pushed"] is True
    assert git(remote, "cat-file", "-t", "v0.1.0") == "tag"


def test_a_failing_image_standard_stops_the_release_before_any_push(
        goship: Goship, tmp_path: Path, registry_plain) -> None:
    strict = PROD + '\n[policy]\nrequired-labels = ["com.example.team"]\n'
    directory = project(tmp_path, registry_plain.host, "release/policy", strict)
    refused = goship("release", cwd=directory)
    assert refused.code == 9, refused.output
    assert "no manifest or tag was published" in refused.stderr
    assert registry_tags(registry_plain, "release/policy") == {}
    assert git(directory, "tag") == ""
    assert not (directory / "CHANGELOG.md").exists()


def test_a_changelog_commit_that_fails_says_what_is_done_and_what_is_left(
        goship: Goship, tmp_path: Path, registry_plain) -> None:
    directory = project(tmp_path, registry_plain.host, "release/hook", PROD)
    hook = directory / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'commits are frozen' >&2\nexit 1\n")
    hook.chmod(0o755)
    result = goship("release", cwd=directory)
    assert result.code == 10, result.output
    assert "the images are pushed and v0.1.0 is tagged, but the changelog was not committed" in result.stderr
    assert "git tag -l --format='%(contents)' v0.1.0" in result.stderr
    assert "0.1.0" in registry_tags(registry_plain, "release/hook")
    assert git(directory, "cat-file", "-t", "v0.1.0") == "tag"


ENVIRONMENTS = '''
[environments.prod]
branches = ["main", "release/*"]
tags = ["{version}"]

[environments.dev]
repository = "REGISTRY/release/dev"
branches = ["feature/*"]
tags = ["dev-{short_commit}", "latest-{env}", "{branch}"]
'''


def test_the_branch_chooses_the_environment(goship: Goship, tmp_path: Path, registry_plain) -> None:
    directory = project(tmp_path, registry_plain.host, "release/envs",
                        ENVIRONMENTS.replace("REGISTRY", registry_plain.host))

    def planned(*extra: str) -> dict:
        result = goship("release", "--dry-run", "--json", *extra, cwd=directory)
        assert result.code == 0, result.output
        return json.loads(result.stdout)

    on_main = planned()
    assert on_main["environment"] == "prod"
    assert on_main["images"][0]["repository"] == f"{registry_plain.host}/release/envs"
    assert on_main["images"][0]["tags"] == ["0.1.0"]

    git(directory, "checkout", "-q", "-b", "feature/Login")
    short = git(directory, "rev-parse", "--short=7", "HEAD")
    on_feature = planned()
    assert on_feature["environment"] == "dev"
    assert on_feature["images"][0]["repository"] == f"{registry_plain.host}/release/dev"
    assert on_feature["images"][0]["tags"] == [f"dev-{short}", "latest-dev", "feature-Login"]
    assert planned("--env", "prod")["environment"] == "prod"

    unknown = goship("release", "--dry-run", "--env", "qa", cwd=directory)
    assert unknown.code == 2
    assert "unknown environment 'qa' (configured: prod, dev)" in unknown.stderr

    git(directory, "checkout", "-q", "-b", "wip")
    unmatched = goship("release", "--dry-run", cwd=directory)
    assert unmatched.code == 2
    assert "branch 'wip' matches no environment" in unmatched.stderr and "--env" in unmatched.stderr
    # A CI checkout is a detached HEAD: the branch comes from the CI's variable.
    git(directory, "checkout", "-q", "--detach")
    from_ci = goship("release", "--dry-run", "--json", cwd=directory,
                     env={"GITHUB_REF_NAME": "release/2.0"})
    assert from_ci.code == 0, from_ci.output
    assert json.loads(from_ci.stdout)["environment"] == "prod"


def test_a_snapshot_from_a_feature_branch_pushes_its_tags_and_records_nothing(
        goship: Goship, tmp_path: Path, registry_plain) -> None:
    directory = project(tmp_path, registry_plain.host, "release/snap",
                        ENVIRONMENTS.replace("REGISTRY", registry_plain.host).replace("release/dev",
                                                                                       "release/snap-dev"))
    git(directory, "checkout", "-q", "-b", "feature/x")
    short = git(directory, "rev-parse", "--short=7", "HEAD")
    result = goship("release", "--snapshot", "--json", cwd=directory)
    assert result.code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["snapshot"] is True and summary["version"].startswith("0.1.0-dev.")
    assert set(registry_tags(registry_plain, "release/snap-dev")) == {f"dev-{short}", "latest-dev",
                                                                      "feature-x"}
    assert git(directory, "tag") == ""
    assert not (directory / "CHANGELOG.md").exists()


def test_an_environment_marked_snapshot_publishes_the_snapshot_without_the_flag(
        goship: Goship, tmp_path: Path, registry_plain) -> None:
    # The articles' branch strategy: develop builds snapshots for staging, no flag in CI.
    develop = ENVIRONMENTS.replace("REGISTRY", registry_plain.host) + (
        f'\n[environments.staging]\nrepository = "{registry_plain.host}/release/snap-staging"\n'
        'branches = ["develop"]\nsnapshot = true\ntags = ["snapshot-{short_commit}", "latest-{env}"]\n')
    directory = project(tmp_path, registry_plain.host, "release/snapenv", develop)
    git(directory, "checkout", "-q", "-b", "develop")
    short = git(directory, "rev-parse", "--short=7", "HEAD")
    result = goship("release", "--json", cwd=directory)
    assert result.code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["environment"] == "staging" and summary["snapshot"] is True
    assert summary["version"].startswith("0.1.0-dev.") and summary["version"].endswith(f"+{short}")
    assert set(registry_tags(registry_plain, "release/snap-staging")) == {f"snapshot-{short}",
                                                                          "latest-staging"}
    assert git(directory, "tag") == ""
    assert not (directory / "CHANGELOG.md").exists()
    # On main the same project makes a real release.
    git(directory, "checkout", "-q", "main")
    planned = goship("release", "--dry-run", "--json", cwd=directory)
    assert planned.code == 0, planned.output
    assert json.loads(planned.stdout)["snapshot"] is False


def test_final_tags_go_to_final_releases_only(goship: Goship, tmp_path: Path, registry_plain) -> None:
    # A release candidate must not take the moving tags that name the newest release.
    prod = ('\n[environments.prod]\nbranches = ["main"]\ntags = ["{version}"]\n'
            'final-tags = ["{major}.{minor}", "latest"]\n')
    directory = project(tmp_path, registry_plain.host, "release/final", prod)

    def planned(*args: str) -> list[str]:
        result = goship("release", "--dry-run", "--json", *args, cwd=directory)
        assert result.code == 0, result.output
        return json.loads(result.stdout)["images"][0]["tags"]

    assert planned("--pre", "rc") == ["0.1.0-rc.1"]
    assert planned() == ["0.1.0", "0.1", "latest"]
    bad = project(tmp_path / "bad", registry_plain.host, "release/final-bad",
                  '\n[environments.prod]\nbranches = ["main"]\nfinal-tags = ["{nope}"]\n')
    refused = goship("release", "--dry-run", cwd=bad)
    assert refused.code == 3 and "final-tags" in refused.stderr, refused.output


def test_a_template_rendering_a_bad_tag_is_refused_before_any_push(
        goship: Goship, tmp_path: Path, registry_plain) -> None:
    bad = '\n[environments.prod]\nbranches = ["main"]\ntags = ["{version}", "{prerelease}"]\n'
    directory = project(tmp_path, registry_plain.host, "release/badtag", bad)
    result = goship("release", cwd=directory)
    assert result.code == 2, result.output
    assert "tag template '{prerelease}' renders '(empty)' for version 0.1.0" in result.stderr
    assert "nothing was pushed" in result.stderr
    assert registry_tags(registry_plain, "release/badtag") == {}
    assert git(directory, "tag") == ""
    assert not (directory / "CHANGELOG.md").exists()


def test_refusals_before_anything_happens(goship: Goship, tmp_path: Path, registry_plain) -> None:
    directory = project(tmp_path, registry_plain.host, "release/refused", PROD)
    (directory / "notes.txt").write_text("not committed\n")
    dirty = goship("release", "--dry-run", cwd=directory)
    assert dirty.code == 10
    assert "not committed: notes.txt" in dirty.stderr and "--allow-dirty" in dirty.stderr
    assert goship("release", "--dry-run", "--allow-dirty", cwd=directory).code == 0
    notes = goship("release", "--notes", cwd=directory)  # the notes need no clean tree
    assert notes.code == 0 and notes.stdout.startswith("## [0.1.0]"), notes.output
    (directory / "notes.txt").unlink()

    unknown = directory / "goship.toml"
    unknown.write_text(unknown.read_text() + 'tagz = ["x"]\n')
    config = goship("release", "--dry-run", "--allow-dirty", cwd=directory)
    assert config.code == 3 and "unknown key 'environments.prod.tagz'" in config.stderr
    git(directory, "checkout", "-q", "goship.toml")

    git(directory, "tag", "-a", "v0.1.0", "-m", "by hand")
    commit(directory, "docs: nothing to release")
    nothing = goship("release", "--dry-run", cwd=directory)
    assert nothing.code == 10 and "nothing to release at v0.1.0" in nothing.stderr
    assert "Traceback" not in nothing.output


def test_push_tag_goes_to_the_named_remote_and_a_missing_one_is_refused_first(
        goship: Goship, tmp_path: Path, registry_plain) -> None:
    directory = project(tmp_path, registry_plain.host, "release/remote", PROD)
    upstream = tmp_path / "upstream.git"
    git(tmp_path, "init", "-q", "--bare", str(upstream))
    git(directory, "remote", "add", "upstream", str(upstream))

    for args in (("--dry-run",), ()):
        missing = goship("release", *args, "--push-tag", "--remote", "nowhere", cwd=directory)
        assert missing.code == 10, missing.output
        assert ("the git remote 'nowhere' to push the release tag to does not exist (the configured "
                "remotes are origin, upstream)") in missing.stderr
        assert "git remote add nowhere URL" in missing.stderr and "Traceback" not in missing.output
    assert registry_tags(registry_plain, "release/remote") == {}
    assert git(directory, "tag") == ""

    alone = goship("release", "--dry-run", "--remote", "upstream", cwd=directory)
    assert alone.code == 2 and "--push-tag is not given" in alone.stderr
    snapshot = goship("release", "--snapshot", "--push-tag", cwd=directory)
    assert snapshot.code == 2 and "--snapshot and --push-tag cannot be combined" in snapshot.stderr

    planned = goship("release", "--dry-run", "--push-tag", "--remote", "upstream", cwd=directory)
    assert planned.code == 0 and "pushed to upstream" in planned.stdout, planned.output
    result = goship("release", "--push-tag", "--remote", "upstream", "--json", cwd=directory)
    assert result.code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["git_tag_pushed"] is True and summary["push_remote"] == "upstream"
    assert git(upstream, "cat-file", "-t", "v0.1.0") == "tag"
    assert git(upstream, "rev-list", "-n", "1", "v0.1.0") == summary["commit"]


SECTIONS = '''
[release]
changelog-sections = [{type = "fix", title = "Fixed"}, {type = "feat", title = "Added"}]
'''


def test_the_notes_follow_the_configured_sections(goship: Goship, tmp_path: Path, registry_plain) -> None:
    directory = project(tmp_path, registry_plain.host, "release/sections", PROD + SECTIONS)
    commit(directory, "fix: greet politely")
    commit(directory, "docs: explain greeting")
    notes = goship("release", "--notes", cwd=directory)
    assert notes.code == 0, notes.output
    assert "### Fixed" in notes.stdout and "### Added" in notes.stdout
    assert notes.stdout.index("### Fixed") < notes.stdout.index("### Added")
    assert "Features" not in notes.stdout and "explain greeting" not in notes.stdout

    config = directory / "goship.toml"
    config.write_text(config.read_text().replace('title = "Added"', 'heading = "Added"'))
    bad = goship("release", "--notes", cwd=directory)
    assert bad.code == 3, bad.output
    line = next(number for number, text in enumerate(config.read_text().splitlines(), 1)
                if text.startswith("changelog-sections"))
    assert f"goship.toml:{line}: unknown key 'heading' in 'release.changelog-sections[1]'" in bad.stderr


def test_a_major_release_needs_the_module_suffix_and_odd_tags_are_reported(
        goship: Goship, tmp_path: Path, registry_plain) -> None:
    directory = project(tmp_path, registry_plain.host, "release/major", PROD)
    git(directory, "tag", "v1.0.0")
    git(directory, "tag", "v1.1")  # not SemVer: skipped, and said so
    commit(directory, "feat!: a new API")

    refused = goship("release", "--dry-run", cwd=directory)
    assert refused.code == 10, refused.output
    assert "declares module example.com/hello, but from v2 on, the module path must end in /v2" \
        in refused.stderr
    assert "module example.com/hello/v2" in refused.stderr and "Traceback" not in refused.output

    gomod = directory / "go.mod"
    gomod.write_text(gomod.read_text().replace("module example.com/hello", "module example.com/hello/v2"))
    commit(directory, "fix: module path for v2")
    planned = goship("release", "--dry-run", "--json", cwd=directory)
    assert planned.code == 0, planned.output
    document = json.loads(planned.stdout)
    assert document["version"] == "2.0.0" and document["git_tag"] == "v2.0.0"
    assert document["skipped_tags"] == [
        {"name": "v1.1", "reason": "'1.1' is not SemVer: it needs MAJOR.MINOR.PATCH (write v1.1.0)"}]
    assert "goship: warning: skipped tag v1.1: '1.1' is not SemVer" in planned.stderr
