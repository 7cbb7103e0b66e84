"""YAML text for CI files: block mappings and sequences, literal blocks for scripts, and a
scalar quoted only where a YAML reader would otherwise take it for something else.

Written by hand, although goship depends on PyYAML (deploy reads and writes manifests with
it): a CI file is read by people first, and PyYAML's writer has no comments, no blank line
between jobs, no inline ``[push, tag]`` lists beside block mappings, and chooses literal
blocks and quotes by its own rules; bending its Dumper and representers to all that, then
patching the text, would be more code than this, and more brittle. What comes out is plain
YAML 1.2 that YAML 1.1 readers read the same way: ``on``, ``yes``, ``1.22`` and dates are
quoted, so that GitHub's ``on:`` or a Go version never turn into a boolean or a number.
tests/unit/pipeline/ci reads every output back with PyYAML and compares.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TypeAlias

Scalar: TypeAlias = "str | int | bool | None"
Node: TypeAlias = "Scalar | Mapping[str, Node] | Sequence[Node]"

INDENT = "  "
# Plain scalars YAML 1.1 or 1.2 would read as booleans, nulls or special floats.
_RESERVED = {"", "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n", ".inf", "-.inf",
             "+.inf", ".nan"}
# Anything starting like a number: 1.22, .5, 0x1f, 1_000, 1e3, 12:30, 2024-10-01.
_NUMBER_LIKE = re.compile(r"[-+]?\.?[0-9][0-9a-zA-Z_.:+\-]*")
_PLAIN_START = re.compile(r"[A-Za-z0-9_$/.(~]")
_FLOW_INDICATORS = set(",[]{}?:#")
# YAML 1.1 breaks lines at these too (and a reader drops a byte order mark): always escaped.
_LINE_BREAKS = "\x85\u2028\u2029\ufeff"
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


class SpacedMapping(dict[str, Node]):
    """A mapping whose entries are separated by blank lines (jobs, the top level)."""


class SpacedSequence(list[Node]):
    """A sequence whose items are separated by blank lines (Drone's steps)."""


class Flow(list[Scalar]):
    """A short list of scalars written on one line: ``[push, tag]``."""


def document(root: Mapping[str, Node], *, comments: Sequence[str] = ()) -> str:
    """One YAML document: the comment lines, then ``root``."""
    lines = [f"# {line}".rstrip() for line in comments]
    lines += _mapping(root, 0)
    return "\n".join(lines) + "\n"


def documents(roots: Sequence[Mapping[str, Node]], *, comments: Sequence[str] = ()) -> str:
    """Several documents in one stream (Drone's pipelines), separated by ``---``."""
    parts = [document(root, comments=comments if index == 0 else ()) for index, root in enumerate(roots)]
    return "---\n".join(parts)


def scalar(value: Scalar, *, flow: bool = False) -> str:
    """``value`` as a YAML scalar: plain when a reader would read it back unchanged."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if _is_plain(value, flow=flow):
        return value
    return quoted(value)


def quoted(text: str) -> str:
    """A double-quoted scalar; control characters and line separators are escaped."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif not _printable(char) or char in _LINE_BREAKS:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _printable(char: str) -> bool:
    """Whether YAML lets ``char`` stand as it is (its c-printable set)."""
    code = ord(char)
    return (char == "\t" or 0x20 <= code <= 0x7E or code == 0x85 or 0xA0 <= code <= 0xD7FF
            or 0xE000 <= code <= 0xFFFD or code >= 0x10000)


def _is_plain(text: str, *, flow: bool) -> bool:
    if text.lower() in _RESERVED or _NUMBER_LIKE.fullmatch(text):
        return False
    if not _PLAIN_START.match(text) or text != text.strip() or text.endswith(":"):
        return False
    if ": " in text or " #" in text or any(ord(char) < 0x20 or ord(char) >= 0x7F for char in text):
        return False
    return not (flow and _FLOW_INDICATORS.intersection(text))


def _block_literal(text: str) -> str | None:
    """The indicator of a literal block (``|`` or ``|-``) that keeps ``text`` exactly, or None
    when a literal block cannot (leading or trailing blanks, several final newlines)."""
    if "\n" not in text or "\r" in text or text.startswith((" ", "\t", "\n")):
        return None
    body = text[:-1] if text.endswith("\n") else text
    if body.endswith("\n") or any(line != line.rstrip() for line in body.split("\n")):
        return None
    if any(char != "\n" and (not _printable(char) or char in _LINE_BREAKS) for char in body):
        return None
    return "|" if text.endswith("\n") else "|-"


def _value_lines(key_part: str, value: Node, depth: int) -> list[str]:
    """``key_part`` (``"key:"`` or ``"-"``) followed by ``value``, at ``depth``."""
    pad = INDENT * depth
    if isinstance(value, Flow):
        return [f"{pad}{key_part} [{', '.join(scalar(item, flow=True) for item in value)}]"]
    if isinstance(value, Mapping):
        if not value:
            return [f"{pad}{key_part} {{}}"]
        if key_part == "-":
            inner = _mapping(value, depth + 1)
            return [f"{pad}- {inner[0].lstrip()}", *inner[1:]]
        return [f"{pad}{key_part}", *_mapping(value, depth + 1)]
    if isinstance(value, (list, tuple)):
        if not value:
            return [f"{pad}{key_part} []"]
        if key_part == "-":
            raise ValueError("a sequence directly inside a sequence is not written")
        return [f"{pad}{key_part}", *_sequence(value, depth + 1)]
    if isinstance(value, str):
        indicator = _block_literal(value)
        if indicator is not None:
            body = value[:-1] if value.endswith("\n") else value
            content = [f"{pad}{INDENT}{line}" if line else "" for line in body.split("\n")]
            return [f"{pad}{key_part} {indicator}", *content]
    if value is None and key_part != "-":
        return [f"{pad}{key_part}"]
    return [f"{pad}{key_part} {scalar(value)}"]  # type: ignore[arg-type]


def _mapping(mapping: Mapping[str, Node], depth: int) -> list[str]:
    lines: list[str] = []
    for index, (key, value) in enumerate(mapping.items()):
        if index and isinstance(mapping, SpacedMapping):
            lines.append("")
        lines += _value_lines(f"{scalar(key)}:", value, depth)
    return lines


def _sequence(items: Sequence[Node], depth: int) -> list[str]:
    lines: list[str] = []
    for index, item in enumerate(items):
        if index and isinstance(items, SpacedSequence):
            lines.append("")
        lines += _value_lines("-", item, depth)
    return lines
