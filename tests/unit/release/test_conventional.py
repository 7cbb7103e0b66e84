"""Conventional Commit messages as goship reads them: types, scopes, `!`, BREAKING CHANGE
footers, merge commits and git's revert messages."""

from __future__ import annotations

import pytest

from goship.versioning.commits import Commit, cancel_reverts, parse_message

H1, H2, H3, H4 = ("1" * 40, "2" * 40, "3" * 40, "4" * 40)


@pytest.mark.parametrize(
    ("header", "type_", "scope", "breaking", "subject"),
    [
        ("feat: passkeys", "feat", None, False, "passkeys"),
        ("fix(api): handle a nil body", "fix", "api", False, "handle a nil body"),
        ("feat(api)!: drop /v1", "feat", "api", True, "drop /v1"),
        ("refactor!: new config loader", "refactor", None, True, "new config loader"),
        ("FEAT: shouting", "feat", None, False, "shouting"),  # types are not case sensitive
        ("feat(): empty scope", "feat", None, False, "empty scope"),
        ("perf(store):   faster", "perf", "store", False, "faster"),
        ("fix:typo", None, None, False, "fix:typo"),  # the spec asks for ": "
        ("Merge branch 'feature/x' into main", None, None, False, "Merge branch 'feature/x' into main"),
        ("Merge pull request #12 from org/feat-x", None, None, False,
         "Merge pull request #12 from org/feat-x"),
        ("fixup! fix: something", None, None, False, "fixup! fix: something"),
        ("update readme", None, None, False, "update readme"),
        ("feat : space before colon", None, None, False, "feat : space before colon"),
    ],
)
def test_headers(header: str, type_: str | None, scope: str | None, breaking: bool, subject: str) -> None:
    parsed = parse_message(header)
    assert (parsed.type, parsed.scope, parsed.breaking, parsed.subject) == (type_, scope, breaking, subject)


def test_breaking_change_footer_makes_any_type_breaking_and_keeps_its_text() -> None:
    parsed = parse_message("refactor(db): new schema",
                           "Moves tables.\n\nBREAKING CHANGE: the users table is renamed\n"
                           "to accounts; run the migration.\nSigned-off-by: A <a@example.com>")
    assert parsed.breaking
    assert parsed.breaking_notes == ("the users table is renamed to accounts; run the migration.",)


def test_breaking_change_with_a_hyphen_is_a_synonym() -> None:
    assert parse_message("fix: x", "BREAKING-CHANGE: the flag is gone").breaking


def test_breaking_change_must_be_upper_case_and_a_footer_line() -> None:
    assert not parse_message("fix: x", "breaking change: just words").breaking
    assert not parse_message("fix: x", "This is not a BREAKING CHANGE: it is prose").breaking


def test_a_non_conventional_header_is_never_breaking() -> None:
    # A footer alone does not make "update stuff" a release-worthy change: it has no type.
    parsed = parse_message("update stuff", "BREAKING CHANGE: hm")
    assert parsed.type is None and not parsed.breaking


def test_git_revert_message() -> None:
    parsed = parse_message('Revert "feat: passkeys"', f"This reverts commit {H1}.")
    assert (parsed.type, parsed.subject, parsed.reverts) == ("revert", "feat: passkeys", (H1,))


def test_conventional_revert_with_refs_footer() -> None:
    parsed = parse_message("revert: let us never again speak of the noodle incident",
                           "Refs: 1111111, 2222222")
    assert parsed.type == "revert"
    assert parsed.reverts == ("1111111", "2222222")


@pytest.mark.parametrize("header", ['Revert "Revert "feat(ui): dark mode""', 'Reapply "feat(ui): dark mode"'])
def test_revert_of_a_revert_reads_as_the_original_change(header: str) -> None:
    parsed = parse_message(header, f"This reverts commit {H2}.")
    assert (parsed.type, parsed.scope, parsed.subject, parsed.reverts) == ("feat", "ui", "dark mode", (H2,))


def test_from_message_splits_header_and_body_and_marks_merges() -> None:
    commit = Commit.from_message(H1, "\nfeat(x): y\n\nbody line\n", merge=True)
    assert (commit.header, commit.body, commit.short_hash, commit.merge) == ("feat(x): y", "body line",
                                                                             H1[:7], True)


def _commit(hash_: str, message: str) -> Commit:
    return Commit.from_message(hash_, message)


def test_a_change_reverted_before_release_cancels_out() -> None:
    feature = _commit(H1, "feat: passkeys")
    revert = _commit(H2, f'Revert "feat: passkeys"\n\nThis reverts commit {H1}.')
    fix = _commit(H3, "fix: typo")
    assert cancel_reverts([fix, revert, feature]) == (fix,)


def test_a_revert_of_a_released_change_stays() -> None:
    revert = _commit(H2, f'Revert "feat: passkeys"\n\nThis reverts commit {H4}.')
    assert cancel_reverts([revert]) == (revert,)


def test_revert_of_a_revert_keeps_the_original() -> None:
    feature = _commit(H1, "feat: passkeys")
    revert = _commit(H2, f'Revert "feat: passkeys"\n\nThis reverts commit {H1}.')
    reapply = _commit(H3, f'Reapply "feat: passkeys"\n\nThis reverts commit {H2}.')
    assert cancel_reverts([reapply, revert, feature]) == (feature,)


def test_abbreviated_hashes_in_refs_find_their_commit() -> None:
    feature = _commit(H1, "feat: passkeys")
    revert = _commit(H2, "revert: passkeys\n\nRefs: 1111111")
    assert cancel_reverts([revert, feature]) == ()
