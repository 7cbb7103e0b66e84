"""The `goship` command finds its command word past the options that come before it."""

from __future__ import annotations

import pytest

from goship.cli.entry import _command


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["build"], "build"),
        (["-v", "build", "./cmd/api"], "build"),
        (["-C", "examples/hello", "build"], "build"),
        (["--directory", "x", "-v", "init"], "init"),
        (["--version"], ""),
        ([], ""),
    ],
)
def test_command_word(argv: list[str], command: str) -> None:
    assert _command(argv) == command
