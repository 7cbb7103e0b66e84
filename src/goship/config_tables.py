"""One table of goship.toml (or of .goship-policy.toml) being checked and read.

``ConfigTable`` holds a table's parsed keys with the file's text, and every check and read
goes through it, so that each mistake is a ConfigError worded the same way everywhere:
``FILE:LINE: 'TABLE.KEY' ...`` with a hint. It checks keys against a schema (``key ->
(description, predicate)``), refuses unknown keys with a "did you mean" hint, and reads
strings, patterns, choices, counts, durations ("3d", "12h") and sizes ("40MiB"). Sub-tables,
arrays of tables (``[[retention]]``), a standalone file's top level and a table merged from
several (``[environments.prod.deploy]`` over ``[deploy]``) are tables too.

Written by hand: tomllib keeps no line numbers, and schema libraries neither point at the
line a key was written on (a header, an inline table, a dotted key) nor word errors this way.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

from goship.errors import ConfigError, GoshipError

Schema = Mapping[str, tuple[str, Callable[[Any], bool]]]

DURATION_HINT = "write a number and a unit: \"90m\", \"12h\", \"3d\", \"1w\" (or \"1d12h\")"
SIZE_HINT = "write a positive number of bytes, or a string like \"50MB\" or \"40MiB\""
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?[smhdw])+$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)
_UNITS = {
    "": 1, "b": 1,
    "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
    "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}


def is_str(value: Any) -> bool:
    return isinstance(value, str)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def is_table(value: Any) -> bool:
    return isinstance(value, dict)


def is_table_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def is_str_table(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(item, str) for item in value.values())


def is_size(value: Any) -> bool:
    return isinstance(value, str) or is_int(value)


# Schema entries many tables share.
TRUE_OR_FALSE = ("true or false", is_bool)
WHOLE_NUMBER = ("a whole number", is_int)
STRING = ("a string", is_str)
STRING_LIST = ("a list of strings", is_str_list)
STRING_TABLE = ("a table of strings", is_str_table)


def parse_duration(text: str) -> float:
    """``"90m"``, ``"12h"``, ``"3d"``, ``"1w"``, ``"1d12h"`` or ``"30s"`` as seconds;
    ValueError for anything else, and for zero."""
    compact = text.strip().lower().replace(" ", "")
    if not _DURATION.match(compact):
        raise ValueError(text)
    seconds = sum(float(number) * _SECONDS[unit] for number, unit in _DURATION_PART.findall(compact))
    if seconds <= 0:
        raise ValueError(text)
    return seconds


def parse_size(text: str) -> int:
    """``"50MB"`` (powers of 1000), ``"40MiB"`` (powers of 1024) or ``"1000"`` as bytes;
    ValueError otherwise."""
    match = _SIZE.match(text)
    if match is None or match.group(2).lower() not in _UNITS:
        raise ValueError(text)
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def suggestion(word: str, choices: Collection[str]) -> str:
    """``"did you mean 'CHOICE'? "`` for the choice closest to a misspelt ``word``, else ""."""
    import difflib  # only a mistake needs it

    close = difflib.get_close_matches(word.replace("_", "-"), list(choices), n=1)
    return f"did you mean '{close[0]}'? " if close else ""


def header_line(text: str, table: str, occurrence: int = 0) -> int:
    """The 1-based line of the header ``[table]`` (of the ``occurrence``-th ``[[table]]``);
    0 when the file has none."""
    header = re.compile(r"^\s*\[\[?\s*" + re.escape(table) + r"\s*\]\]?\s*(#.*)?$")
    found = [number for number, line in enumerate(text.splitlines(), 1) if header.match(line)]
    return found[occurrence] if occurrence < len(found) else 0


def _key_line(text: str, key: str, table: str | None, occurrence: int = 0) -> int:
    """The 1-based line where ``key`` is set in the body of ``table`` (None: the top level);
    0 when it is not, or when the table has no header."""
    start = header_line(text, table, occurrence) if table is not None else 0
    if not key or (table is not None and not start):
        return 0
    lines = text.splitlines()
    pattern = re.compile(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*=")
    for number in range(start, len(lines)):  # a header's 1-based number indexes the line after it
        if lines[number].lstrip().startswith("["):
            break
        if pattern.match(lines[number]):
            return number + 1
    return 0


@dataclass(frozen=True)
class ConfigTable:
    """One table being checked and read, and how to point at its keys in errors."""

    data: Mapping[str, Any]
    path: Path
    text: str
    keys: tuple[str, ...] = ()  # its dotted name: ("environments", "prod"); () for the top level
    occurrence: int = 0  # which [[table]] of an array of tables
    indexed: bool = False  # the name shows the index: 'release.changelog-sections[1].type'
    docs: str = "docs/configuration.md"  # named in the hint for an unknown key
    # A table merged from several, most specific first: a key's errors point at the first
    # that sets it (else the last).
    layers: tuple[ConfigTable, ...] = ()

    @classmethod
    def merged(cls, data: Mapping[str, Any], layers: Sequence[ConfigTable]) -> ConfigTable:
        return dataclasses.replace(layers[-1], data=data, layers=tuple(layers))

    def _layer_of(self, key: str) -> ConfigTable:
        if not self.layers:
            return self
        return next((layer for layer in self.layers if key in layer.data), self.layers[-1])

    @property
    def label(self) -> str:
        name = ".".join(self.keys)
        return f"{name}[{self.occurrence}]" if self.indexed else name

    def name(self, key: str = "") -> str:
        """The dotted name errors give ``key`` (or, for "", the table)."""
        label = self._layer_of(key).label
        return f"{label}.{key}" if label and key else label or key

    def line(self, key: str = "") -> int:
        """Where ``key`` (or, for "", the table) is written: its own line in the table, else
        the line that writes the table inline or with dotted keys in an enclosing one, else a
        ``[TABLE.KEY]`` header, else the table's (or the enclosing table's) header; 0 if none."""
        at = self._layer_of(key)
        if at is not self:
            return at.line(key)
        own = ".".join(self.keys)
        sub_header = header_line(self.text, f"{own}.{key}" if own else key) if key else 0
        header = header_line(self.text, own, self.occurrence) if own else 0
        if header or not own:
            return _key_line(self.text, key, own or None, self.occurrence) or sub_header or header
        for cut in range(len(self.keys) - 1, -1, -1):  # the nearest enclosing table first
            parent = ".".join(self.keys[:cut])
            parent_header = header_line(self.text, parent) if parent else 0
            if parent and not parent_header:
                continue
            rest = self.keys[cut:]
            written = ([".".join((*rest, key))] if key else []) + \
                [".".join(rest[:size]) for size in range(len(rest), 0, -1)]
            found = next((line for line in (_key_line(self.text, name, parent or None)
                                            for name in written) if line), 0)
            if found or parent_header:
                return found or sub_header or parent_header
        return sub_header

    def where(self, key: str = "") -> str:
        line = self.line(key)
        return f"{self.path}:{line}" if line else str(self.path)

    def error(self, key: str, message: str, hint: str) -> ConfigError:
        return ConfigError(f"{self.where(key)}: {message}", hint)

    def error_from(self, key: str, exc: GoshipError) -> ConfigError:
        """``exc`` (from parsing the key's value) as a mistake at the key."""
        return self.error(key, f"'{self.name(key)}': {exc.message}", exc.hint)

    def check(self, schema: Schema, *, sub_tables: Sequence[str] = (), listing: str | None = None) -> None:
        """Unknown keys (``sub_tables`` are known and left to their own readers), then values
        of the wrong type. ``listing`` replaces the hint's list of the known keys."""
        for key in self.data:
            if key not in schema and key not in sub_tables:
                if listing is None:
                    where = f"keys of [{self.label}]" if self.keys else "top-level keys"
                    tables = f"; tables: {', '.join(sub_tables)}" if sub_tables else ""
                    listing = f"{where}: {', '.join(schema)}{tables}"
                raise self.error(key, f"unknown key '{self.name(key)}'",
                                 f"{suggestion(key, [*schema, *sub_tables])}{listing}; see {self.docs}")
        for key, value in self.data.items():
            if key in schema and not schema[key][1](value):
                raise self.error(key, f"'{self.name(key)}' must be {schema[key][0]}",
                                 f"fix '{self.name(key)}' in {self.path.name}")

    def child(self, key: str) -> ConfigTable:
        """The sub-table ``key`` (empty when it is absent or not a table)."""
        value = self.data.get(key)
        return dataclasses.replace(self, data=value if isinstance(value, dict) else {},
                                   keys=(*self.keys, key), occurrence=0, indexed=False,
                                   layers=tuple(layer.child(key) for layer in self.layers))

    def table(self, key: str, hint: str) -> ConfigTable:
        """The sub-table ``key`` (empty when absent); a mistake when it is not a table."""
        if not isinstance(self.data.get(key, {}), dict):
            raise self.error(key, f"'{self.name(key)}' must be a table", hint)
        return self.child(key)

    def array(self, key: str, hint: str, *, indexed: bool = False) -> tuple[ConfigTable, ...]:
        """The tables of the array ``key`` (``[[KEY]]``, or a list of inline tables)."""
        items = self.data.get(key, [])
        if not is_table_list(items):
            raise self.error(key, f"'{self.name(key)}' must be an array of tables", hint)
        return tuple(dataclasses.replace(self, data=item, keys=(*self.keys, key), occurrence=number,
                                         indexed=indexed, layers=())
                     for number, item in enumerate(items))

    def strings(self, key: str) -> tuple[str, ...] | None:
        """The list as given, or None when absent; empty strings are always mistakes."""
        if key not in self.data:
            return None
        values: list[str] = self.data[key]
        if any(not value.strip() for value in values):
            raise self.error(key, f"'{self.name(key)}' holds an empty string", "remove it")
        return tuple(values)

    def patterns(self, key: str, check: Callable[[str], None], hint: str) -> tuple[str, ...] | None:
        """A list of globs or regular expressions, each passed to ``check`` (a ValueError
        saying what is wrong with it)."""
        values = self.strings(key)
        for pattern in values or ():
            try:
                check(pattern)
            except ValueError as exc:
                raise self.error(key, f"'{pattern}' in '{self.name(key)}' is {exc}", hint) from None
        return values

    def filled(self, key: str, hint: str, default: Any = None) -> Any:
        """The value (``default`` when absent); a blank string or an empty list is a mistake."""
        value = self.data.get(key, default)
        if value is not None and (not value.strip() if isinstance(value, str) else not value):
            raise self.error(key, f"'{self.name(key)}' is empty", hint)
        return value

    def choice(self, key: str, choices: Collection[str], default: str, hint: str | None = None) -> str:
        value: str = self.data.get(key, default)
        if value not in choices:
            raise self.error(key, f"'{self.name(key)}' is '{value}'",
                             hint or f"write one of {', '.join(choices)}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        return bool(self.data.get(key, default))

    @overload
    def count(self, key: str, default: None = None, *, minimum: int = 0) -> int | None: ...
    @overload
    def count(self, key: str, default: int, *, minimum: int = 0) -> int: ...

    def count(self, key: str, default: int | None = None, *, minimum: int = 0) -> int | None:
        value: int | None = self.data.get(key, default)
        if value is not None and value < minimum:
            raise self.error(key, f"'{self.name(key)}' is {value}", f"write {minimum} or more")
        return value

    @overload
    def duration(self, key: str, default: None = None, *, allow_zero: bool = False,
                 hint: str = DURATION_HINT) -> float | None: ...
    @overload
    def duration(self, key: str, default: float, *, allow_zero: bool = False,
                 hint: str = DURATION_HINT) -> float: ...

    def duration(self, key: str, default: float | None = None, *, allow_zero: bool = False,
                 hint: str = DURATION_HINT) -> float | None:
        """Seconds from a duration like "3d" (or a number of seconds, where the schema lets a
        number through); zero only with ``allow_zero``."""
        value = self.data.get(key, default)
        if value is None:
            return None
        if isinstance(value, (int, float)):
            seconds = float(value)
        else:
            text = value.strip()
            try:
                seconds = 0.0 if allow_zero and text in ("0", "0s") else parse_duration(text)
            except ValueError:
                raise self.error(key, f"'{self.name(key)}' is '{value}', not a duration", hint) from None
        if seconds < 0 or (seconds == 0 and not allow_zero):
            raise self.error(key, f"'{self.name(key)}' is {value}", "give a positive duration")
        return seconds

    def size(self, key: str, hint: str = SIZE_HINT) -> int | None:
        """Bytes from a number or a string like "50MB" or "40MiB"; None when absent."""
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = parse_size(value)
            except ValueError:
                raise self.error(key, f"'{self.name(key)}' is '{value}'", hint) from None
        if value <= 0:
            raise self.error(key, f"'{self.name(key)}' must be more than 0", hint)
        return int(value)

    def resolve(self, location: str) -> str:
        """A file or directory named in the file, relative to the file's directory."""
        candidate = Path(location).expanduser()
        return str(candidate if candidate.is_absolute() else self.path.parent / candidate)
