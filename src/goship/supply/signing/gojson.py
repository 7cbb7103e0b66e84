"""JSON bytes exactly as Go's ``encoding/json`` writes them (``json.Marshal``).

A cosign signature signs the bytes of its payload, and those bytes are what Go's encoder
made of a few structs and an annotations map. To make the same payload (so that a goship
signature and a cosign signature over one image carry the same payload blob, and golden
files match byte for byte) the encoding must follow Go, which Python's ``json`` does not:
Go escapes ``<``, ``>``, ``&``, U+2028 and U+2029, writes ``\\b``/``\\f`` and lower-case
``\\u00xx`` for other control characters, leaves the rest of Unicode as UTF-8, writes every
number as a float64 (``1e+21``, ``1e-7``, ``8.314``, ``1458239713``) and orders map keys
by their bytes but struct fields in declaration order. No Python library reproduces that,
so it is written here; it is small and has no other job.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from goship.errors import GoshipError

_HEX = "0123456789abcdef"
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
                  "\t": "\\t"}
_HTML_AND_SEPARATORS = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
                        "\u2029": "\\u2029"}


@dataclass(frozen=True)
class Fields:
    """A Go struct: its fields in declaration order (a plain mapping is a Go map, whose
    keys Go sorts)."""

    items: tuple[tuple[str, Any], ...]


class UnencodableError(GoshipError):
    """A value Go's encoder refuses (NaN, an infinity) or has no JSON form for."""


def marshal(value: Any) -> bytes:
    """``value`` as the bytes ``json.Marshal`` gives for the matching Go value."""
    parts: list[str] = []
    _encode(value, parts)
    return "".join(parts).encode("utf-8", errors="surrogatepass")


def _encode(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(quote(value))
    elif isinstance(value, (int, float)):
        out.append(format_number(float(value)))
    elif isinstance(value, Fields):
        _object(value.items, out)
    elif isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise UnencodableError(f"JSON object key {key!r} is not a string",
                                       "annotation keys are strings")
        _object(sorted(value.items()), out)
    elif isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        out.append("[")
        for position, item in enumerate(value):
            if position:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise UnencodableError(f"{type(value).__name__} value {value!r} has no JSON form",
                               "annotation values are strings, numbers, booleans, null, "
                               "lists or objects")


def _object(items: Sequence[tuple[str, Any]], out: list[str]) -> None:
    out.append("{")
    for position, (key, item) in enumerate(items):
        if position:
            out.append(",")
        out.append(quote(key))
        out.append(":")
        _encode(item, out)
    out.append("}")


def quote(text: str) -> str:
    """A JSON string as Go writes it, HTML escaping on (the default of ``json.Marshal``)."""
    out = ['"']
    for char in text:
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif char in _HTML_AND_SEPARATORS:
            out.append(_HTML_AND_SEPARATORS[char])
        elif char < " ":
            code = ord(char)
            out.append("\\u00" + _HEX[code >> 4] + _HEX[code & 0xF])
        elif "\ud800" <= char <= "\udfff":
            out.append("\ufffd")  # Go writes invalid UTF-8 as the replacement character
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def format_number(number: float) -> str:
    """A float64 as Go's encoder writes it: the shortest digits that read back the same,
    in plain notation from 1e-6 up to (not including) 1e21, else in exponent notation."""
    number = float(number)  # Go decodes every JSON number into a float64
    if math.isnan(number) or math.isinf(number):
        raise UnencodableError(f"{number} is not a JSON number", "use a finite number")
    digits = Decimal(repr(number)).normalize()  # repr is the shortest round-tripping form
    magnitude = abs(number)
    if magnitude == 0 or 1e-6 <= magnitude < 1e21:
        return format(digits, "f")
    sign, coefficient, power = digits.as_tuple()
    assert isinstance(power, int)
    exponent = power + len(coefficient) - 1
    mantissa = str(coefficient[0])
    if len(coefficient) > 1:
        mantissa += "." + "".join(str(digit) for digit in coefficient[1:])
    # Go writes "1e+21" and "1e-7" (its encoder trims strconv's "e-07")
    return ("-" if sign else "") + mantissa + ("e-" if exponent < 0 else "e+") + str(abs(exponent))
