"""Dockerfile words: removing quotes and expanding ``$VAR`` the way BuildKit does for FROM, ARG,
ENV, LABEL, USER and WORKDIR.

Written by hand because the ``dockerfile`` library stops at the syntax tree: it hands back
``ENV A="x y"`` with its quotes and ``FROM golang:${GO}`` unexpanded, and no Python library
knows BuildKit's rules (which variables FROM may use, ``${VAR:-default}`` and friends, the
``# escape=`` character). Only the forms a Dockerfile uses are handled: ``$NAME``, ``${NAME}``,
``${NAME:-word}``, ``${NAME-word}``, ``${NAME:+word}``, ``${NAME+word}``, ``${NAME:?message}``
and ``${NAME?message}``. A variable with no value expands to the empty string, as in BuildKit,
and is reported so that rules can tell "no tag" from "tag comes from an ARG nobody set".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# The platform ARGs BuildKit defines by itself; FROM may use them without declaring them.
AUTOMATIC_ARGS = frozenset({
    "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT",
    "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
    "TARGETSTAGE", "BUILDKIT_SYNTAX",
})

_VARIABLE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-+?])(?P<word>[^}]*))?\}"
    r"|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
)
_DOUBLE_QUOTED_ESCAPE = re.compile(r"\\([\"\\$`])")
_ANY_ESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True)
class Expansion:
    text: str
    missing: tuple[str, ...] = ()  # variables used that have no value (expanded to "")
    dynamic: tuple[str, ...] = ()  # automatic platform ARGs, known only at build time

    @property
    def resolved(self) -> bool:
        return not self.missing and not self.dynamic


def expand(text: str, values: Mapping[str, str], *, escape: str = "\\") -> Expansion:
    """``text`` with every variable replaced by its value in ``values``.

    An automatic platform ARG without a value is left as written (``$TARGETARCH``) and listed
    in ``dynamic``; any other unset variable becomes "" and is listed in ``missing``."""
    if "$" not in text:
        return Expansion(text)
    missing: list[str] = []
    dynamic: list[str] = []

    def replace(match: re.Match[str]) -> str:
        start = match.start()
        if start > 0 and text[start - 1] == escape:
            return match.group(0)  # "\$NAME" is a literal dollar sign
        name = match.group("braced") or match.group("plain")
        operator = match.group("op") or ""
        value = values.get(name)
        unset_or_empty = not value if operator.startswith(":") else value is None
        if operator.endswith("-"):
            return value if not unset_or_empty and value is not None else match.group("word")
        if operator.endswith("+"):
            return "" if unset_or_empty else match.group("word")
        if value is not None:
            return value
        if name in AUTOMATIC_ARGS:
            dynamic.append(name)
            return match.group(0)
        missing.append(name)
        return ""

    result = _VARIABLE.sub(replace, text)
    if escape != "\\" or "\\$" not in result:
        return Expansion(result, tuple(missing), tuple(dynamic))
    return Expansion(result.replace("\\$", "$"), tuple(missing), tuple(dynamic))


def references(text: str) -> tuple[str, ...]:
    """The names of the variables ``text`` uses."""
    if "$" not in text:
        return ()
    return tuple(match.group("braced") or match.group("plain") for match in _VARIABLE.finditer(text))


def unquote(word: str, *, escape: str = "\\") -> str:
    """One word of ENV, ARG or LABEL without its quotes: ``"x y"`` -> ``x y``, ``'a'`` -> ``a``."""
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'":
        inner = word[1:-1]
        if word[0] == '"' and escape == "\\" and "\\" in inner:
            return _DOUBLE_QUOTED_ESCAPE.sub(r"\1", inner)
        return inner
    if escape in word and escape == "\\":
        return _ANY_ESCAPE.sub(r"\1", word)
    return word
