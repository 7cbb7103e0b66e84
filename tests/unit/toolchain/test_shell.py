"""The environment lines each shell evaluates to use one Go version."""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

import pytest

from goship.errors import UsageError
from goship.toolchain.shell import Shell, shell_lines

UNIX = PurePosixPath("/home/ada/.local/share/goship/go/versions/go1.22.10")
WINDOWS = PureWindowsPath(r"C:\Users\ada\AppData\Local\goship\go\versions\go1.22.10")


def test_bash_and_zsh() -> None:
    expected = ["export GOROOT='/home/ada/.local/share/goship/go/versions/go1.22.10'",
                "export PATH='/home/ada/.local/share/goship/go/versions/go1.22.10/bin':\"$PATH\""]
    assert shell_lines(UNIX, Shell.BASH) == expected
    assert shell_lines(UNIX, "zsh") == expected
    assert shell_lines(UNIX, "sh") == expected


def test_fish() -> None:
    assert shell_lines(UNIX, "fish") == [
        "set -gx GOROOT '/home/ada/.local/share/goship/go/versions/go1.22.10'",
        "set -gx PATH '/home/ada/.local/share/goship/go/versions/go1.22.10/bin' $PATH",
    ]


def test_powershell() -> None:
    assert shell_lines(WINDOWS, "powershell") == [
        r"$env:GOROOT = 'C:\Users\ada\AppData\Local\goship\go\versions\go1.22.10'",
        r"$env:PATH = 'C:\Users\ada\AppData\Local\goship\go\versions\go1.22.10\bin'"
        " + [System.IO.Path]::PathSeparator + $env:PATH",
    ]
    assert shell_lines(WINDOWS, "pwsh") == shell_lines(WINDOWS, Shell.POWERSHELL)


def test_cmd() -> None:
    assert shell_lines(WINDOWS, "cmd") == [
        r'set "GOROOT=C:\Users\ada\AppData\Local\goship\go\versions\go1.22.10"',
        r'set "PATH=C:\Users\ada\AppData\Local\goship\go\versions\go1.22.10\bin;%PATH%"',
    ]


def test_launcher_directory_follows_the_version() -> None:
    launchers = PureWindowsPath(r"C:\Users\ada\AppData\Local\goship\go\bin")
    assert shell_lines(WINDOWS, "cmd", extra_path=[launchers])[1] == (
        r'set "PATH=C:\Users\ada\AppData\Local\goship\go\versions\go1.22.10\bin;'
        r'C:\Users\ada\AppData\Local\goship\go\bin;%PATH%"')
    assert shell_lines(UNIX, "bash", extra_path=[PurePosixPath("/opt/go bin")])[1] == (
        "export PATH='/home/ada/.local/share/goship/go/versions/go1.22.10/bin':'/opt/go bin':\"$PATH\"")


def test_quotes_in_paths_survive_each_shell() -> None:
    odd = PurePosixPath("/home/o'brien/go")
    assert shell_lines(odd, "bash")[0] == "export GOROOT='/home/o'\\''brien/go'"
    assert shell_lines(odd, "fish")[0] == "set -gx GOROOT '/home/o\\'brien/go'"
    windows = PureWindowsPath(r"C:\o'brien\go")
    assert shell_lines(windows, "powershell")[0] == r"$env:GOROOT = 'C:\o''brien\go'"
    assert shell_lines(PurePosixPath("/a\\b"), "fish")[0] == "set -gx GOROOT '/a\\\\b'"


def test_unknown_shell_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown shell 'tcsh'") as caught:
        shell_lines(UNIX, "tcsh")
    assert "bash, zsh, fish, powershell, cmd" in caught.value.hint


def test_per_version_gopath_in_every_shell() -> None:
    gopath = PureWindowsPath(r"C:\Users\ada\AppData\Local\goship\go\gopath\go1.22.10")
    assert shell_lines(WINDOWS, "pwsh", gopath=gopath)[1] == f"$env:GOPATH = '{gopath}'"
    assert shell_lines(WINDOWS, "cmd", gopath=gopath)[1] == f'set "GOPATH={gopath}"'
    unix = PurePosixPath("/home/ada/it's/gopath/go1.22.10")
    assert shell_lines(UNIX, "bash", gopath=unix)[1] == "export GOPATH='/home/ada/it'\\''s/gopath/go1.22.10'"
    assert shell_lines(UNIX, "fish", gopath=unix)[1] == "set -gx GOPATH '/home/ada/it\\'s/gopath/go1.22.10'"
