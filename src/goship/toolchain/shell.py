"""The lines a shell evaluates to use one Go version: GOROOT (and GOPATH when it is per version),
and its bin directory first on PATH.

Values are always single-quoted in the shell's own way (cmd has no quoting inside
``set "NAME=value"``, and Windows paths cannot hold ``"``), so paths with spaces or quotes
survive. The paths are taken as given: pass a PureWindowsPath to write Windows lines on
another system.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from pathlib import PurePath

from goship.errors import UsageError


class Shell(Enum):
    BASH = "bash"
    ZSH = "zsh"
    FISH = "fish"
    POWERSHELL = "powershell"
    CMD = "cmd"

    @classmethod
    def from_name(cls, name: str) -> Shell:
        """``bash``, ``zsh``, ``sh``, ``fish``, ``powershell``/``pwsh``, ``cmd``."""
        aliases = {"sh": "bash", "pwsh": "powershell", "cmd.exe": "cmd", "powershell.exe": "powershell"}
        cleaned = name.strip().lower()
        try:
            return cls(aliases.get(cleaned, cleaned))
        except ValueError:
            raise UsageError(f"unknown shell '{name}'",
                             "use one of: bash, zsh, fish, powershell, cmd") from None


def _posix(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def _fish(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _powershell(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def shell_lines(version_dir: PurePath, shell: Shell | str, *,
                extra_path: Sequence[PurePath] = (), gopath: PurePath | None = None) -> list[str]:
    """Lines that set GOROOT to ``version_dir`` (and GOPATH when given) and put its bin
    directory (then ``extra_path``, such as the launcher directory) in front of PATH."""
    shell = shell if isinstance(shell, Shell) else Shell.from_name(shell)
    variables = [("GOROOT", str(version_dir))] + ([("GOPATH", str(gopath))] if gopath is not None else [])
    entries = [str(version_dir / "bin"), *(str(path) for path in extra_path)]
    if shell in (Shell.BASH, Shell.ZSH):
        return [*(f"export {name}={_posix(value)}" for name, value in variables),
                "export PATH=" + ":".join(_posix(entry) for entry in entries) + ':"$PATH"']
    if shell is Shell.FISH:
        return [*(f"set -gx {name} {_fish(value)}" for name, value in variables),
                "set -gx PATH " + " ".join(_fish(entry) for entry in entries) + " $PATH"]
    if shell is Shell.POWERSHELL:
        separator = " + [System.IO.Path]::PathSeparator + "
        return [*(f"$env:{name} = {_powershell(value)}" for name, value in variables),
                "$env:PATH = " + separator.join([*(_powershell(entry) for entry in entries), "$env:PATH"])]
    return [*(f'set "{name}={value}"' for name, value in variables),
            'set "PATH=' + ";".join(entries) + ';%PATH%"']
