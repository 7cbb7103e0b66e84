"""The command line loads only the module of the command that runs."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from goship.cli.main import _COMMANDS, _command_in, build_parser


def _summaries(parser: argparse.ArgumentParser) -> dict[str, str | None]:
    action = next(item for item in parser._actions if isinstance(item, argparse._SubParsersAction))
    return {choice.dest: choice.help for choice in action._choices_actions}


@pytest.mark.parametrize("name", sorted(_COMMANDS))
def test_the_listed_summary_is_the_one_the_command_gives(name: str) -> None:
    assert _summaries(build_parser(name))[name] == _summaries(build_parser())[name] == _COMMANDS[name][1]


def test_the_command_is_found_after_global_options() -> None:
    assert _command_in(["-C", "lint", "-v", "version", "--json"]) == "version"
    assert _command_in(["--help"]) is None


def test_one_command_does_not_load_the_others() -> None:
    code = ("import sys; from goship.cli.main import main; main(['version', '--help'])")
    done = subprocess.run([sys.executable, "-c", code + "\n"], capture_output=True, text=True, check=False)
    assert "goship version" in done.stdout
    probe = ("import sys\nfrom goship.cli.main import build_parser\nbuild_parser('version')\n"
             "print(sorted(m for m in sys.modules if m.startswith('goship.cli.')))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert "goship.cli.version" in loaded
    assert "goship.cli.lint" not in loaded and "goship.cli.release" not in loaded
