"""Reading Dockerfile text into BuildKit's instructions without ever raising, plus the syntax
checks BuildKit makes after parsing that the ``dockerfile`` library leaves out.

The library is BuildKit's own parser, so line joining, heredocs and the ``# escape=``
directive behave exactly as in ``docker build``. But it stops at the first error and says
nothing about where it was ("unterminated heredoc"), it parses an unknown instruction
(``FOO bar``) without complaint, and it reads an instruction in broken JSON form
(``CMD ["a",``) as a shell command, which Docker then runs as such. This module adds, by
hand because no library does it:

- recovery: on an error, the longest prefix that parses is kept, the failing instruction is
  reported at its line, and parsing resumes after it where that makes sense (line numbers are
  kept by blanking, not cutting, the lines before the window);
- the checks of the instruction layer: unknown instructions and flags, flags without a value,
  argument counts, JSON form that is not valid JSON, a continuation at the end of the file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Protocol

import dockerfile


class ParsedHeredoc(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def content(self) -> str: ...


class Command(Protocol):
    """One instruction as the library returns it (a named tuple; the library has no types)."""

    @property
    def cmd(self) -> str: ...
    @property
    def sub_cmd(self) -> str | None: ...
    @property
    def json(self) -> bool: ...
    @property
    def original(self) -> str: ...
    @property
    def start_line(self) -> int: ...
    @property
    def end_line(self) -> int: ...
    @property
    def flags(self) -> tuple[str, ...]: ...
    @property
    def value(self) -> tuple[str, ...]: ...
    @property
    def heredocs(self) -> tuple[ParsedHeredoc, ...]: ...


KNOWN_INSTRUCTIONS = frozenset({
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
    "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
})
# Flags each instruction takes, and whether the flag needs "=value".
_FLAGS: dict[str, dict[str, bool]] = {
    "FROM": {"platform": True},
    "COPY": {"from": True, "chown": True, "chmod": True, "link": False, "parents": False,
             "exclude": True},
    "ADD": {"chown": True, "chmod": True, "link": False, "checksum": True, "keep-git-dir": False,
            "exclude": True, "unpack": False},
    "RUN": {"mount": True, "network": True, "security": True, "device": True},
    "HEALTHCHECK": {"interval": True, "timeout": True, "start-period": True,
                    "start-interval": True, "retries": True},
}
_JSON_CAPABLE = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL", "VOLUME", "COPY", "ADD"})
_DIRECTIVE = re.compile(r"^#[ \t]*([A-Za-z][A-Za-z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$")
_KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})
_INSTRUCTION_START = re.compile(r"^[ \t]*[A-Za-z]+(?:[ \t]|$)")
_HEREDOC_NAME = re.compile(r"<<-?[ \t]*([\"']?)([A-Za-z0-9_.-]+)\1")
_LIBRARY_MESSAGES = {
    "LABEL must have two arguments": "LABEL needs key=value pairs",
    "ENV must have two arguments": "ENV needs NAME=value pairs",
    "file with no instructions": "the file has no instructions",
    "when using JSON array syntax, arrays must be comprised of strings only":
        "JSON (exec) form may hold only strings",
}


@dataclass(frozen=True)
class Problem:
    """Something that stops Docker from reading the file as intended, at a 1-based line."""

    line: int
    message: str
    hint: str = ""


@dataclass(frozen=True)
class Directive:
    name: str  # lower case: "escape", "syntax", "check"
    value: str
    line: int


@dataclass(frozen=True)
class Syntax:
    commands: tuple[Command, ...]  # in file order, unknown keywords removed
    directives: tuple[Directive, ...]
    escape: str
    header_lines: int  # how many lines the directives take
    problems: tuple[Problem, ...]
    complete: bool  # False when an instruction could not be read and is missing from commands


def read(text: str) -> Syntax:
    """The instructions of ``text`` and every problem found on the way; never raises."""
    lines = text.split("\n")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        return Syntax((), (), "\\", 0, (Problem(line, "binary data (a NUL byte): this is not a "
                                                       "Dockerfile"),), False)
    directives, header, problems = _directives(lines)
    escape = next((item.value for item in directives if item.name == "escape"), "\\")
    commands, read_problems, complete = _parse_recovering(header, lines, escape)
    problems.extend(read_problems)
    # A line holding only the escape character comes back as an instruction with no keyword.
    problems.extend(Problem(command.start_line, f"a line holds only the escape character '{escape}'",
                            "remove it") for command in commands if not command.cmd)
    commands = [command for command in commands if command.cmd]
    known = [command for command in commands if command.cmd.upper() in KNOWN_INSTRUCTIONS]
    if commands and not known:
        first = commands[0]
        word = first.original.split(None, 1)[0] if first.original.strip() else first.cmd
        problems.append(Problem(first.start_line,
                                f"not a Dockerfile: '{word}' is not an instruction and neither is "
                                "the first word of any other line",
                                "a Dockerfile starts with FROM (or ARG) and holds one instruction "
                                "per line"))
        return Syntax((), tuple(directives), escape, len(header), tuple(problems), False)
    for command in commands:
        problems.extend(_check(command))
    problems.extend(_dangling_continuation(lines, known, escape))
    problems.sort(key=lambda item: item.line)
    return Syntax(tuple(known), tuple(directives), escape, len(header), tuple(problems), complete)


def _directives(lines: list[str]) -> tuple[list[Directive], list[str], list[Problem]]:
    """The parser directives at the top, and those lines as the parser should see them (a bad
    directive is blanked so that the rest of the file can still be read)."""
    directives: list[Directive] = []
    header: list[str] = []
    problems: list[Problem] = []
    for number, raw in enumerate(lines, start=1):
        match = _DIRECTIVE.match(raw.rstrip("\r"))
        if not match or match.group(1).lower() not in _KNOWN_DIRECTIVES:
            break
        name, value = match.group(1).lower(), match.group(2)
        if any(item.name == name for item in directives):
            problems.append(Problem(number, f"the '{name}' parser directive is given twice",
                                    "keep one; Docker refuses a repeated directive"))
            header.append("")
            continue
        if name == "escape" and value not in ("\\", "`"):
            problems.append(Problem(number, f"escape character '{value}' is not \\ or `",
                                    "write '# escape=`' (Windows) or remove the line"))
            header.append("")
            continue
        directives.append(Directive(name, value, number))
        header.append(raw)
    return directives, header, problems


def _parse_window(header: list[str], lines: list[str], start: int,
                  stop: int) -> tuple[Command, ...]:
    """Parse lines[start:stop] with the header kept and the lines between blanked, so that line
    numbers match the file."""
    text = "\n".join([*header, *([""] * (start - len(header))), *lines[start:stop]])
    return tuple(dockerfile.parse_string(text))


def _parse_recovering(header: list[str], lines: list[str],
                      escape: str) -> tuple[list[Command], list[Problem], bool]:
    try:
        return list(_parse_window(header, lines, len(header), len(lines))), [], True
    except dockerfile.GoParseError as error:
        message = str(error)
    if message == "file with no instructions":
        return [], [Problem(1, "empty Dockerfile: no instructions",
                            "a Dockerfile needs at least a FROM line")], True
    starts = _instruction_starts(lines, len(header), escape)
    commands: list[Command] = []
    problems: list[Problem] = []
    start = len(header)
    while True:
        good_stop = start
        for stop in reversed([index for index in starts if index > start]):
            try:
                commands.extend(_parse_window(header, lines, start, stop))
            except dockerfile.GoParseError:
                continue
            good_stop = stop
            break
        bad = next((index for index in starts if index >= good_stop), good_stop)
        problems.append(_problem_at(bad, lines, message))
        if message == "unterminated heredoc":
            break  # everything after it is the heredoc's body: nothing more to read
        start = next((index for index in starts if index > bad), len(lines))
        if start >= len(lines):
            break
        try:
            commands.extend(_parse_window(header, lines, start, len(lines)))
            break
        except dockerfile.GoParseError as error:
            message = str(error)
        if message == "file with no instructions":
            break
    return commands, problems, False


def _instruction_starts(lines: list[str], first: int, escape: str) -> list[int]:
    """0-based indexes of the lines that look like the start of an instruction: a word at the
    start of a line that does not continue the line before."""
    starts = []
    continued = False
    for index in range(first, len(lines)):
        line = lines[index].rstrip("\r")
        stripped = line.strip()
        if stripped.startswith("#"):
            continue  # comments inside a continued instruction do not end it
        if not continued and _INSTRUCTION_START.match(line):
            starts.append(index)
        if stripped:  # blank lines inside a continued instruction do not end it either
            continued = stripped.endswith(escape)
    return starts


def _problem_at(index: int, lines: list[str], message: str) -> Problem:
    line = lines[index].rstrip("\r") if index < len(lines) else ""
    if message == "unterminated heredoc":
        match = _HEREDOC_NAME.search(line)
        name = match.group(2) if match else "EOF"
        return Problem(index + 1, f"heredoc <<{name} is never closed, so the rest of the file is "
                                  "read as its content",
                       f"end the heredoc with a line holding only '{name}'")
    if message.startswith("dockerfile line greater than max allowed size"):
        return Problem(index + 1, "line longer than 65535 bytes", "split it with line continuations")
    return Problem(index + 1, _LIBRARY_MESSAGES.get(message, message))


def _check(command: Command) -> list[Problem]:
    """The checks BuildKit makes when it turns parsed lines into instructions."""
    keyword = command.cmd.upper()
    line = command.start_line
    if keyword not in KNOWN_INSTRUCTIONS:
        word = command.original.split(None, 1)[0] if command.original.strip() else command.cmd
        return [Problem(line, f"unknown instruction '{word}'",
                        "check the spelling; Docker's instructions are "
                        + ", ".join(sorted(KNOWN_INSTRUCTIONS)))]
    if keyword == "ONBUILD":
        trigger = (command.sub_cmd or "").upper()
        if trigger in ("ONBUILD", "FROM", "MAINTAINER"):
            return [Problem(line, f"ONBUILD cannot hold {trigger}")]
        if trigger not in KNOWN_INSTRUCTIONS:
            return [Problem(line, f"ONBUILD names an unknown instruction '{command.sub_cmd or ''}'")]
        keyword = trigger
    problems = _check_flags(keyword, command)
    problems.extend(_check_json(keyword, command))
    arity = _check_arguments(keyword, command)
    if arity:
        problems.append(Problem(line, arity))
    return problems


def _check_flags(keyword: str, command: Command) -> list[Problem]:
    problems = []
    allowed = _FLAGS.get(keyword, {})
    for flag in command.flags:
        name, equals, _ = flag[2:].partition("=")
        if name not in allowed:
            known = ", ".join(f"--{item}" for item in sorted(allowed)) or "none"
            problems.append(Problem(command.start_line, f"{keyword} has no flag --{name}",
                                    f"flags of {keyword}: {known}"))
        elif allowed[name] and not equals:
            problems.append(Problem(command.start_line, f"flag --{name} of {keyword} has no value",
                                    f"write --{name}=VALUE, with '=' and no space"))
    return problems


def _check_json(keyword: str, command: Command) -> list[Problem]:
    if command.json or keyword not in _JSON_CAPABLE:
        if keyword == "SHELL" and not command.json:
            return [Problem(command.start_line, "SHELL must be in JSON form",
                            'write SHELL ["/bin/sh", "-c"]')]
        return []
    text = " ".join(command.value).strip()
    if not _meant_as_json(keyword, text):
        if keyword == "SHELL":
            return [Problem(command.start_line, "SHELL must be in JSON form",
                            'write SHELL ["/bin/sh", "-c"]')]
        return []
    try:
        json.loads(text)
    except ValueError:
        why = ("JSON form needs double quotes, not single quotes" if "'" in text and '"' not in text
               else "it is not valid JSON")
        return [Problem(command.start_line,
                        f"{keyword} looks like JSON (exec) form but {why}, so Docker runs it as a "
                        "shell command", 'write ["executable", "arg", ...] with double quotes')]
    return []  # valid JSON the library still took as shell form: it reported that itself


def _meant_as_json(keyword: str, text: str) -> bool:
    """Whether ``text`` was meant as JSON form. ``RUN [ -f x ] && ...`` is a shell test, so for
    RUN only a quote right after the bracket counts."""
    if not text.startswith("["):
        return False
    if text[1:2] in ('"', "'") or text == "[]":
        return True
    return keyword != "RUN" and text.endswith("]") and "," in text


def _check_arguments(keyword: str, command: Command) -> str:
    values = command.value
    if keyword == "FROM":
        if not values:
            return "FROM names no image"
        if len(values) == 2 or len(values) > 3 or (len(values) == 3 and values[1].upper() != "AS"):
            return "FROM takes an image and optionally 'AS name'"
    elif keyword in ("COPY", "ADD") and len(values) < 2 and not command.heredocs:
        return f"{keyword} needs a source and a destination"
    elif keyword in ("WORKDIR", "USER", "STOPSIGNAL", "MAINTAINER", "EXPOSE", "ARG", "ENV",
                     "VOLUME") and not values:
        return f"{keyword} has no argument"
    elif keyword == "HEALTHCHECK" and (not values or values[0].upper() not in ("CMD", "NONE")):
        return "HEALTHCHECK takes CMD <command> or NONE"
    return ""


def _dangling_continuation(lines: list[str], commands: list[Command],
                           escape: str) -> list[Problem]:
    """A last instruction whose last line ends with the escape character: the continuation
    has nothing to continue."""
    if not commands:
        return []
    last = max(commands, key=lambda command: command.start_line)
    if last.heredocs:
        return []
    for index in range(min(last.end_line, len(lines)) - 1, last.start_line - 2, -1):
        text = lines[index].rstrip("\r").strip()
        if not text or text.startswith("#"):
            continue
        if text.endswith(escape):
            return [Problem(index + 1, f"the last line ends with the escape character '{escape}', "
                                       "which continues onto a line that does not exist",
                            "remove the trailing escape character")]
        return []
    return []
