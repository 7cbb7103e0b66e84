"""Release notes and CHANGELOG.md updates: the text, and every other byte kept."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from tests.unit.release.histories import make_history

from goship.errors import OutputError
from goship.release.changelog import configure_sections, render_section, update_changelog
from goship.release.settings import ChangelogSection, ReleaseSettings
from goship.versioning.versions import VersionPlan, plan_version

DAY = datetime.date(2026, 11, 22)


def plan_of(*messages: str, pre: str | None = None, build: str | None = None) -> VersionPlan:
    return plan_version(make_history("1.2.0", messages), ReleaseSettings(), pre=pre, build=build)


def test_section_text() -> None:
    plan = plan_of(  # oldest first
        "fix(api): handle a nil body",
        "docs: explain the flags",
        "feat(auth): log in with a passkey",
        "perf: cache the index",
        "chore(deps): bump x",
        "feat(api)!: drop the v1 endpoints\n\nBREAKING CHANGE: clients must call /v2.",
        "update README",
        "refactor(store)!: one table",
    )
    hashes = {commit.subject: commit.short_hash for commit in plan.commits}
    assert render_section(plan, date=DAY) == f"""\
## [2.0.0] - 2026-11-22

### BREAKING CHANGES

- **store:** one table ({hashes['one table']})
- **api:** drop the v1 endpoints ({hashes['drop the v1 endpoints']})
  clients must call /v2.

### Features

- **auth:** log in with a passkey ({hashes['log in with a passkey']})

### Bug Fixes

- **api:** handle a nil body ({hashes['handle a nil body']})

### Performance

- cache the index ({hashes['cache the index']})
"""


def test_configured_sections_set_the_order_and_the_titles_and_leave_the_rest_out() -> None:
    plan = plan_of("fix: a fix", "docs: a doc", "feat: a feature", "chore: a chore",
                   "perf: faster", "chore!: drop Go 1.21")
    hashes = {commit.subject: commit.short_hash for commit in plan.commits}
    sections = (ChangelogSection("docs", "Documentation"), ChangelogSection("fix", "Fixed"),
                ChangelogSection("feat", "Added"))
    assert render_section(plan, date=DAY, sections=sections) == f"""\
## [2.0.0] - 2026-11-22

### BREAKING CHANGES

- drop Go 1.21 ({hashes['drop Go 1.21']})

### Documentation

- a doc ({hashes['a doc']})

### Fixed

- a fix ({hashes['a fix']})

### Added

- a feature ({hashes['a feature']})
"""


def test_hidden_types_can_be_shown_and_shown_ones_hidden() -> None:
    plan = plan_of("docs: explain the flags", "fix: x")
    text = render_section(plan, date=DAY, sections=configure_sections(show=["docs"], hide=["fix"]))
    assert "### Documentation" in text and "explain the flags" in text
    assert "Bug Fixes" not in text


def test_prerelease_heading_without_build_metadata_and_an_empty_release() -> None:
    plan = plan_of("chore: nothing", pre="rc", build="ci.1")
    assert render_section(plan, date=DAY) == "## [1.2.1-rc.1] - 2026-11-22\n\nNo notable changes.\n"


def test_reverts_have_their_own_section() -> None:
    plan = plan_of('Revert "feat: passkeys"\n\nThis reverts commit ' + "a" * 40 + ".")
    assert '### Reverts\n\n- feat: passkeys (' in render_section(plan, date=DAY)


SECTION = "## [1.3.0] - 2026-11-22\n\n### Features\n\n- new (abc1234)\n"


def test_a_new_changelog_gets_a_title(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    update_changelog(path, SECTION, "1.3.0")
    assert path.read_text() == "# Changelog\n\n" + SECTION


def test_new_section_goes_on_top_and_the_rest_stays_byte_for_byte(tmp_path: Path) -> None:
    rest = ("## [1.2.0] - 2026-01-02\n\n### Bug Fixes\n\n- \u00e9t\u00e9 (1111111)  \n\n"
            "## 1.1.0\n\n```\n## [1.3.0] inside a fence\n```\n\n[1.2.0]: https://example.com/1.2.0\n")
    head = "# Changelog\n\nAll notable changes.\n\n"
    path = tmp_path / "CHANGELOG.md"
    original = (head + rest).encode() + b"\xff raw byte\n"
    path.write_bytes(original)
    update_changelog(path, SECTION, "1.3.0")
    assert path.read_bytes() == (head + SECTION + "\n" + rest).encode() + b"\xff raw byte\n"


def test_a_section_for_the_same_version_is_replaced_not_duplicated(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    path.write_text("# Changelog\n\n## [1.3.0] - 2026-11-20\n\n- old (0000000)\n\n"
                    "## [1.3.0-rc.1] - 2026-11-01\n\n- rc (2222222)\n")
    update_changelog(path, SECTION, "1.3.0")
    update_changelog(path, SECTION, "1.3.0")
    assert path.read_text() == ("# Changelog\n\n" + SECTION + "\n"
                                "## [1.3.0-rc.1] - 2026-11-01\n\n- rc (2222222)\n")


def test_replacing_the_last_section_keeps_the_link_definitions(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    path.write_text("# Changelog\n\n## [1.3.0] - old\n\n- old\n\n[1.3.0]: https://example.com/v1.3.0\n")
    update_changelog(path, SECTION, "v1.3.0")
    assert path.read_text() == "# Changelog\n\n" + SECTION + "\n[1.3.0]: https://example.com/v1.3.0\n"


def test_unreleased_stays_on_top_and_crlf_files_stay_crlf(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    path.write_bytes(b"# Changelog\r\n\r\n## [Unreleased]\r\n\r\n- soon\r\n\r\n## [1.2.0]\r\n\r\n- x\r\n")
    update_changelog(path, SECTION, "1.3.0")
    assert path.read_bytes() == (b"# Changelog\r\n\r\n## [Unreleased]\r\n\r\n- soon\r\n\r\n"
                                 + SECTION.replace("\n", "\r\n").encode() + b"\r\n## [1.2.0]\r\n\r\n- x\r\n")


def test_a_changelog_with_only_a_title(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    path.write_text("# Changelog\nNo newline at the end")
    update_changelog(path, SECTION, "1.3.0")
    assert path.read_text() == "# Changelog\nNo newline at the end\n\n" + SECTION


def test_a_changelog_that_cannot_be_written_is_an_output_error(tmp_path: Path) -> None:
    directory = tmp_path / "CHANGELOG.md"
    directory.mkdir()
    with pytest.raises(OutputError, match=r"CHANGELOG\.md"):
        update_changelog(directory, SECTION, "1.3.0")
