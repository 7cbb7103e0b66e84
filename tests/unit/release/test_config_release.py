"""[release], [environments.NAME] and [[retention]] in goship.toml (goship.config_release)."""

from __future__ import annotations

from pathlib import Path

import pytest

from goship.config import Options, load_config
from goship.config_release import find_release_settings, read_release_settings
from goship.errors import ConfigError
from goship.release.settings import (
    CHANGELOG_SECTIONS,
    DEFAULT_IMMUTABLE,
    ChangelogSection,
    Environment,
    ReleaseSettings,
    RetentionPolicy,
)

FULL = '''\
repository = "registry.example.com/team/app"

[[images]]
package = "."

[release]
tag-prefix = "api/v"
initial-version = "1.0.0"
zero-major-breaking = "major"
changelog = "docs/CHANGES.md"
immutable-tags = ["api/v*", "re:\\\\d+\\\\.\\\\d+\\\\.\\\\d+"]
allow-dirty = true

[environments.dev]
repository = "registry.example.com/team/app-dev"
branches = ["feature/*", "fix/*"]
tags = ["dev-{short_commit}", "latest-{env}"]

[environments.prod]
branches = ["main", "release/*"]
tags = ["{version}", "{major}.{minor}", "{version}-{env}-{short_commit}", "build-{date:%Y%m%d}"]

[[retention]]
repository = "*/app-dev"
keep-newest = 10
keep-within = "3d"
keep-tags = ["latest-*"]
protect = ["v*.*.*", "re:^stable-.*$"]
keep-environment-pointers = false
untagged-after = "12h"
max-deletions = 50

[[retention]]
keep-within = "1w"
'''


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "go.mod").write_text("module example.com/x\n\ngo 1.22\n")
    path = tmp_path / "goship.toml"
    path.write_text(text)
    return path


def test_every_key_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    settings = read_release_settings(path)
    assert settings.tag_prefix == "api/v"
    assert settings.initial_version == "1.0.0"
    assert settings.zero_major_breaking == "major"
    assert settings.changelog == "docs/CHANGES.md"
    assert settings.immutable_tags == ("api/v*", r"re:\d+\.\d+\.\d+")
    assert settings.allow_dirty is True
    assert settings.source == str(path)
    assert list(settings.environments) == ["dev", "prod"]  # the file's order: first match wins
    assert settings.environment("dev") == Environment(
        "dev", "registry.example.com/team/app-dev", ("feature/*", "fix/*"),
        ("dev-{short_commit}", "latest-{env}"))
    assert settings.environment("prod").repository == ""
    assert settings.environment("prod").tags[-1] == "build-{date:%Y%m%d}"
    assert settings.retention == (
        RetentionPolicy(repository="*/app-dev", keep_newest=10, keep_within=3 * 86400.0,
                        keep_tags=("latest-*",), protect=("v*.*.*", "re:^stable-.*$"),
                        keep_environment_pointers=False, untagged_after=12 * 3600.0, max_deletions=50),
        RetentionPolicy(keep_within=7 * 86400.0),
    )


def test_config_carries_the_release_settings(tmp_path: Path) -> None:
    write(tmp_path, FULL)
    config = load_config(tmp_path, Options(), {"HOME": str(tmp_path)})
    assert config.release == read_release_settings(tmp_path / "goship.toml")
    assert config.repository == "registry.example.com/team/app"


def test_defaults_without_release_tables(tmp_path: Path) -> None:
    write(tmp_path, 'repository = "r.example.com/x"\n')
    config = load_config(tmp_path, Options(), {"HOME": str(tmp_path)})
    assert config.release == ReleaseSettings()
    settings = read_release_settings(tmp_path / "goship.toml")
    assert settings.immutable_tags == DEFAULT_IMMUTABLE
    assert settings.environments == {}


def test_an_environment_without_tags_publishes_the_version(tmp_path: Path) -> None:
    write(tmp_path, '[environments.qa]\nbranches = ["qa"]\n')
    settings = read_release_settings(tmp_path / "goship.toml")
    assert settings.environment("qa") == Environment("qa", branches=("qa",), tags=("{version}",))
    assert settings.tag_prefix == "v"  # [release] absent: its defaults


def test_an_empty_immutable_list_makes_nothing_immutable(tmp_path: Path) -> None:
    write(tmp_path, "[release]\nimmutable-tags = []\n")
    assert read_release_settings(tmp_path / "goship.toml").immutable_tags == ()


def test_find_release_settings_walks_up_to_the_git_root(tmp_path: Path) -> None:
    write(tmp_path, '[release]\ntag-prefix = "x"\n')
    repo = tmp_path / "repo"
    service = repo / "services" / "api"
    service.mkdir(parents=True)
    (repo / ".git").mkdir()
    # goship.toml above the git root belongs to another project.
    assert find_release_settings(service) == ReleaseSettings()
    (repo / "goship.toml").write_text('[release]\ntag-prefix = "api-v"\n')
    found = find_release_settings(service)
    assert found.tag_prefix == "api-v"
    assert found.source == str((repo / "goship.toml").resolve())


BAD = [
    # (file text, line, words in the message, words in the hint)
    ("[release]\ntag_prefix = \"v\"\n", 2, "unknown key 'release.tag_prefix'", "did you mean 'tag-prefix'"),
    ("[release]\ntag-prefix = 1\n", 2, "'release.tag-prefix' must be a string", "release.tag-prefix"),
    ("[release]\ntag-prefix = \"-v\"\n", 2, "cannot start a git tag", "api/v"),
    ("[release]\ntag-prefix = \"v..\"\n", 2, "cannot start a git tag", ""),
    ("[release]\ntag-prefix = \"v x\"\n", 2, "cannot start a git tag", ""),
    ("[release]\ninitial-version = \"1.0\"\n", 2, "not a SemVer release version", "0.1.0"),
    ("[release]\ninitial-version = \"1.0.0-rc.1\"\n", 2, "not a SemVer release version", "--pre rc"),
    ("[release]\ninitial-version = 1\n", 2, "must be a SemVer string", ""),
    ("[release]\nzero-major-breaking = \"patch\"\n", 2, "'release.zero-major-breaking' is 'patch'", "minor"),
    ("[release]\nchangelog = \"  \"\n", 2, "'release.changelog' is empty", "CHANGELOG.md"),
    ("[release]\nchangelog = [\"a\"]\n", 2, "must be a string", ""),
    ("[release]\nimmutable-tags = \"v*\"\n", 2, "must be a list of globs", ""),
    ("[release]\nimmutable-tags = [\"re:(\"]\n", 2, "a bad regular expression", "re:"),
    ("[release]\nimmutable-tags = [\"\"]\n", 2, "holds an empty string", "remove"),
    ("[release]\nallow-dirty = \"yes\"\n", 2, "'release.allow-dirty' must be true or false", ""),
    ("[release]\nchangelog-sections = {feat = \"Features\"}\n", 2,
     "'release.changelog-sections' must be a list of tables", ""),
    ("[release]\nchangelog-sections = [\"feat\"]\n", 2, "must be a list of tables", ""),
    ("[release]\nchangelog-sections = []\n", 2, "'release.changelog-sections' is empty", "remove the key"),
    ("[release]\nallow-dirty = false\nchangelog-sections = [\n  {type = \"feat\", title = \"Features\"},\n"
     "  {type = \"fix\", titel = \"Fixes\"},\n]\n", 3,
     "unknown key 'titel' in 'release.changelog-sections[1]'", "did you mean 'title'"),
    ("[release]\nchangelog-sections = [{title = \"Features\"}]\n", 2,
     "'release.changelog-sections[0].type' is missing, not a commit type", "\"feat\""),
    ("[release]\nchangelog-sections = [{type = \"new feature\", title = \"Features\"}]\n", 2,
     "'release.changelog-sections[0].type' is 'new feature', not a commit type", ""),
    ("[release]\nchangelog-sections = [{type = 5, title = \"Five\"}]\n", 2,
     "'release.changelog-sections[0].type' is 5, not a commit type", ""),
    ("[release]\nchangelog-sections = [{type = \"feat\", title = \" \"}]\n", 2,
     "'release.changelog-sections[0].title' must be a one-line heading", ""),
    ("[release]\nchangelog-sections = [{type = \"feat\", title = 1}]\n", 2, "one-line heading", ""),
    ("[release]\nchangelog-sections = [{type = \"feat\", title = \"A\"}, {type = \"Feat\", title = \"B\"}]\n",
     2, "'release.changelog-sections[1]' repeats the type 'feat' of 'release.changelog-sections[0]'",
     "list each type once"),
    ("[release]\ntag-prefix = \"v\"\n\n[[release.changelog-sections]]\ntype = \"feat\"\ntitle = \"F\"\n\n"
     "[[release.changelog-sections]]\ntype = \"fix\"\n", 8,
     "'release.changelog-sections[1].title' must be a one-line heading", ""),
    ("release = \"v\"\n", 1, "'release' must be a table", "[release]"),
    ("environments = [1]\n", 1, "'environments' must be a table", "[environments.NAME]"),
    ("[environments]\nprod = \"main\"\n", 2, "'environments.prod' must be a table", ""),
    ("[environments.\"bad name\"]\ntags = [\"x\"]\n", 0, "environment name 'bad name' is not valid", "{env}"),
    ("[environments.prod]\nbranch = [\"main\"]\n", 2, "unknown key 'environments.prod.branch'",
     "did you mean 'branches'"),
    ("[environments.prod]\nbranches = \"main\"\n", 2, "'environments.prod.branches' must be a list", ""),
    ("[environments.prod]\nbranches = [\"\"]\n", 2, "holds an empty string", ""),
    ("[environments.prod]\ntags = []\n", 2, "'environments.prod.tags' is empty", "{version}"),
    ("[environments.prod]\ntags = [\"{version}\", \"{nope}\"]\n", 2,
     "'environments.prod.tags': tag template '{nope}' has an unknown placeholder", "{short_commit}"),
    ("[environments.prod]\ntags = [\"{version:x}\"]\n", 2, "only {date} takes a format", ""),
    ("[environments.prod]\nrepository = \"Bad Repo\"\n", 2, "'environments.prod.repository'", ""),
    ("[environments.prod]\nrepository = \"r.example.com/app:v1\"\n", 2, "with a tag or digest",
     "environment's `tags`"),
    ("[environments.prod]\nrepository = 5\n", 2, "must be a string like registry/repository", ""),
    ("[environments]\nprod = { tags = [\"{x}\"] }\n", 2, "unknown placeholder '{x}'", ""),
    ("[retention]\nkeep-newest = 1\n", 1, "'retention' must be an array of tables", "[[retention]]"),
    ("[[retention]]\nkeep-newest = 1\n\n[[retention]]\nkeep_newest = 2\n", 5,
     "unknown key 'retention.keep_newest'", "did you mean 'keep-newest'"),
    ("[[retention]]\nkeep-newest = \"10\"\n", 2, "'retention.keep-newest' must be a whole number", ""),
    ("[[retention]]\nkeep-newest = true\n", 2, "must be a whole number", ""),
    ("[[retention]]\nkeep-newest = -1\n", 2, "'retention.keep-newest' is -1", "0 or more"),
    ("[[retention]]\nmax-deletions = -5\n", 2, "'retention.max-deletions' is -5", ""),
    ("[[retention]]\nmax-deletions = 1.5\n", 2, "must be a whole number", ""),
    ("[[retention]]\nkeep-within = \"3 days\"\n", 2, "'retention.keep-within' is '3 days', not a duration",
     "\"3d\""),
    ("[[retention]]\nkeep-within = 3\n", 2, "must be a duration", ""),
    ("[[retention]]\nuntagged-after = \"0h\"\n", 2, "not a duration", ""),
    ("[[retention]]\nkeep-tags = [\"re:[\"]\n", 2, "a bad regular expression", ""),
    ("[[retention]]\nprotect = \"v*\"\n", 2, "must be a list of globs", ""),
    ("[[retention]]\nkeep-environment-pointers = 1\n", 2, "must be true or false", ""),
    ("[[retention]]\nrepository = \"\"\n", 2, "'retention.repository' is empty", "\"*\""),
]


@pytest.mark.parametrize(("text", "line", "message", "hint"), BAD)
def test_bad_input_names_file_line_and_key(tmp_path: Path, text: str, line: int, message: str,
                                           hint: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path, Options(), {"HOME": str(tmp_path)})
    location = f"{path}:{line}: " if line else f"{path}"
    assert error.value.message.startswith(location), error.value.message
    assert message in error.value.message
    assert hint in error.value.hint
    assert error.value.hint


def test_find_release_settings_reports_bad_files_too(tmp_path: Path) -> None:
    write(tmp_path, "[release]\nallow-dirty = 1\n")
    with pytest.raises(ConfigError, match=r"goship\.toml:2"):
        find_release_settings(tmp_path)


def test_changelog_sections_inline_or_as_tables(tmp_path: Path) -> None:
    inline = read_release_settings(write(tmp_path, """\
[release]
changelog-sections = [
  { type = "feat", title = "New" },
  { type = "Docs", title = "Documentation" },
  { type = "fix", title = " Fixed " },
]
"""))
    assert inline.changelog_sections == (ChangelogSection("feat", "New"),
                                         ChangelogSection("docs", "Documentation"),
                                         ChangelogSection("fix", "Fixed"))
    tables = read_release_settings(write(tmp_path, """\
[[release.changelog-sections]]
type = "perf"
title = "Faster"
"""))
    assert tables.changelog_sections == (ChangelogSection("perf", "Faster"),)
    assert read_release_settings(write(tmp_path, "[release]\n")).changelog_sections == CHANGELOG_SECTIONS
