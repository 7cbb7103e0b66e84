"""Where the signing commands take the key's password from, and their -a annotations."""

from __future__ import annotations

import pytest

from goship.cli.keygen import read_password
from goship.cli.sign import parse_annotations
from goship.errors import ExitCode, UsageError
from goship.supply.signing.interface import SigningError


def never_asked(prompt: str) -> str:
    raise AssertionError(f"asked {prompt!r}")


def test_goship_password_comes_before_cosign_password() -> None:
    environ = {"GOSHIP_PASSWORD": "one", "COSIGN_PASSWORD": "two"}
    assert read_password(environ, "k.key", interactive=True, prompt=never_asked) == b"one"
    assert read_password({"COSIGN_PASSWORD": "two"}, "k.key", prompt=never_asked) == b"two"


def test_an_empty_variable_is_an_empty_password_not_a_missing_one() -> None:
    assert read_password({"GOSHIP_PASSWORD": "", "COSIGN_PASSWORD": "x"}, "k.key", prompt=never_asked) == b""
    assert read_password({"COSIGN_PASSWORD": ""}, "k.key", interactive=True, prompt=never_asked) == b""


def test_without_a_variable_or_a_terminal_it_is_a_clear_error_not_a_hang() -> None:
    with pytest.raises(SigningError) as raised:
        read_password({}, "cosign.key", interactive=False, prompt=never_asked)
    assert raised.value.exit_code == ExitCode.SIGNATURE
    assert "no password for cosign.key" in raised.value.message
    assert "GOSHIP_PASSWORD" in raised.value.hint


def test_on_a_terminal_it_asks_and_keygen_asks_twice() -> None:
    asked: list[str] = []

    def answer(prompt: str) -> str:
        asked.append(prompt)
        return "pässword"

    assert read_password({}, "cosign.key", interactive=True, prompt=answer) == "pässword".encode()
    assert asked == ["Enter password for cosign.key: "]
    asked.clear()
    read_password({}, "cosign.key", confirm=True, interactive=True, prompt=answer)
    assert asked == ["Enter password for cosign.key: ", "Enter password for cosign.key again: "]


def test_two_different_passwords_are_refused() -> None:
    answers = iter(["first", "second"])
    with pytest.raises(SigningError, match="differ"):
        read_password({}, "cosign.key", confirm=True, interactive=True, prompt=lambda _: next(answers))


def test_annotations_are_key_value_pairs() -> None:
    parsed = parse_annotations(["env=prod", "note=a=b", "empty="])
    assert parsed == {"env": "prod", "note": "a=b", "empty": ""}
    for bad in ("novalue", "=x"):
        with pytest.raises(UsageError, match="KEY=VALUE"):
            parse_annotations([bad])
