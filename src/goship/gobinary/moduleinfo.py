"""The module information Go embeds beside its version (``runtime/debug.BuildInfo.String``).

Lines are tab-separated: ``path`` (the main package), ``mod`` (the main module), ``dep`` (a
dependency), ``=>`` (a replacement of the module on the line before) and ``build key=value``
(a build setting; key or value is Go-quoted when it holds spaces, tabs, quotes or "="). Hand
written for the reason goship.gobinary.buildinfo gives; the grammar is ``ParseBuildInfo`` in Go's
``runtime/debug/mod.go``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from goship.errors import ImageError


class BuildInfoError(ImageError):
    """A file is not an executable, or an executable holds no (or broken) Go build information.

    ``reason`` says what is wrong without naming the file ("truncated: ..."), for a list of
    skipped files; the message names the file."""

    def __init__(self, message: str, hint: str = "", *, reason: str = "") -> None:
        super().__init__(message, hint)
        self.reason = reason or message


class NotExecutableError(BuildInfoError):
    """The file is not an executable goship reads (ELF, PE or Mach-O)."""


class NoBuildInfoError(BuildInfoError):
    """The file is an executable but holds no Go build information: a C program, a shell, a
    Go program built before Go 1.13."""


@dataclass(frozen=True)
class Module:
    path: str
    version: str
    sum: str = ""
    replace: Module | None = None


@dataclass(frozen=True)
class BuildInfo:
    go_version: str  # "go1.25.5"
    path: str = ""  # the main package: "example.com/hello/cmd/hello"
    main: Module | None = None
    deps: tuple[Module, ...] = ()
    settings: tuple[tuple[str, str], ...] = ()  # in the binary's order: -trimpath, GOOS, vcs...

    def setting(self, key: str) -> str | None:
        for name, value in self.settings:
            if name == key:
                return value
        return None

    @property
    def vcs_revision(self) -> str | None:
        return self.setting("vcs.revision")

    @property
    def vcs_modified(self) -> bool:
        return self.setting("vcs.modified") == "true"


def parse_module_info(text: str, go_version: str = "", what: str = "the binary") -> BuildInfo:
    """The lines ``runtime/debug.BuildInfo.String`` writes (without the ``go`` line)."""
    path = ""
    main: Module | None = None
    deps: list[Module] = []
    settings: list[tuple[str, str]] = []
    last: str | None = None  # "main" or "dep": what a "=>" line replaces
    for number, line in enumerate(text.split("\n")[:-1] if text else (), start=1):
        kind, _, rest = line.partition("\t")
        try:
            if kind == "path":
                path = rest
            elif kind in ("mod", "dep"):
                module = _module(rest.split("\t"))
                if kind == "mod":
                    main, last = module, "main"
                else:
                    deps.append(module)
                    last = "dep"
            elif kind == "=>":
                fields = rest.split("\t")
                if len(fields) != 3 or last is None:
                    raise ValueError("a replacement without a module before it")
                replacement = Module(fields[0], fields[1], fields[2])
                if last == "main" and main is not None:
                    main = Module(main.path, main.version, main.sum, replacement)
                else:
                    old = deps[-1]
                    deps[-1] = Module(old.path, old.version, old.sum, replacement)
                last = None
            elif kind == "build":
                settings.append(_setting(rest))
        except ValueError as exc:
            raise BuildInfoError(f"the Go build information of {what} is malformed at line {number}: "
                                 f"{exc}", "the binary is damaged; rebuild it",
                                 reason=f"malformed Go build information at line {number}: {exc}") from exc
    return BuildInfo(go_version, path, main, tuple(deps), tuple(settings))


def _module(fields: list[str]) -> Module:
    if len(fields) not in (2, 3):
        raise ValueError(f"expected 2 or 3 columns, got {len(fields)}")
    return Module(fields[0], fields[1], fields[2] if len(fields) == 3 else "")


def _setting(text: str) -> tuple[str, str]:
    if text[:1] in ('"', "`"):
        key, rest = _quoted_prefix(text)
        if not rest.startswith("="):
            raise ValueError("a quoted key without '=' after it")
        raw = rest[1:]
    else:
        key, found, raw = text.partition("=")
        if not found or not key:
            raise ValueError("a build line without key=value")
    if raw[:1] in ('"', "`"):
        value, tail = _quoted_prefix(raw)
        if tail:
            raise ValueError("text after a quoted value")
        return key, value
    return key, raw


_ESCAPE = re.compile(r'\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|[abfnrtv\\\'"])')
_SIMPLE = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, "'": 39, '"': 34}


def _quoted_prefix(text: str) -> tuple[str, str]:
    """Go's strconv.QuotedPrefix + Unquote: the unquoted leading string and what follows."""
    if text[0] == "`":
        end = text.find("`", 1)
        if end < 0:
            raise ValueError("an unterminated `quoted` string")
        return text[1:end], text[end + 1:]
    out = bytearray()
    position = 1
    while position < len(text):
        character = text[position]
        if character == '"':
            return out.decode("utf-8", "replace"), text[position + 1:]
        if character != "\\":
            out += character.encode("utf-8")
            position += 1
            continue
        match = _ESCAPE.match(text, position)
        if match is None:
            raise ValueError("a bad escape in a quoted string")
        escape = match.group(1)
        if escape[0] in "xuU" and len(escape) > 1:
            number = int(escape[1:], 16)
            out += bytes([number]) if escape[0] == "x" else chr(number).encode("utf-8", "replace")
        elif escape[0].isdigit():
            out.append(int(escape, 8) & 0xFF)
        else:
            out.append(_SIMPLE[escape])
        position = match.end()
    raise ValueError("an unterminated quoted string")
