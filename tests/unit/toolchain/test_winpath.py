"""Extended-length paths, so Go trees deeper than 260 characters install on Windows."""

from __future__ import annotations

from pathlib import Path

from goship.toolchain.winpath import extended_length, long_path_safe


def test_drive_paths_get_the_prefix_and_backslashes() -> None:
    assert extended_length(r"C:\Users\ada\AppData\Local\goship\go\versions") == \
        r"\\?\C:\Users\ada\AppData\Local\goship\go\versions"
    assert extended_length("C:/Users/ada/go") == r"\\?\C:\Users\ada\go"


def test_network_shares_use_the_unc_form() -> None:
    assert extended_length(r"\\fileserver\home\ada\goship") == r"\\?\UNC\fileserver\home\ada\goship"


def test_extended_and_relative_paths_are_left_alone() -> None:
    assert extended_length(r"\\?\C:\already") == r"\\?\C:\already"
    assert extended_length(r"versions\go1.22.10") == r"versions\go1.22.10"


def test_other_systems_keep_their_paths(tmp_path: Path) -> None:
    assert long_path_safe(tmp_path / "go") == tmp_path / "go"
