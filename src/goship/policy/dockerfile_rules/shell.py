"""Splitting the shell script of a RUN into simple commands, for the rules that read them.

Written by hand because no library fits: ``shlex`` has no idea of ``&&``, ``|``, ``$(...)``,
redirections or heredocs and raises on an unclosed quote; bashlex is unmaintained, GPL, and
raises on much of what real Dockerfiles contain. Rules only need each command's words (quotes
removed, ``VAR=value`` prefixes and redirections set aside), the operator before it and
whether it runs in a subshell. This scanner gives that for sh and bash, never raises, and keeps
anything quoted as one word, so that ``echo "apt-get install x | sh"`` is one ``echo`` and never
an ``apt-get``. ``sh -c '...'`` is split too, as the command it runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

_TOKEN = re.compile(
    r"(?P<newline>\n)"
    r"|(?P<space>[ \t\r\f\v]+|\\\r?\n)"
    r"|(?P<operator>&&|\|\||;;|\|&|[|;&()])"
    r"|(?P<redirect>[0-9]*(?:<<<|<<-|<<|>>|<>|>&|<&|&>>|&>|>\||[<>]))"
    r"|(?P<single>'[^']*'?)"
    r"|(?P<ansi>\$'(?:[^'\\]|\\.)*'?)"
    r"|(?P<double>\"(?:[^\"\\]|\\.)*\"?)"
    r"|(?P<substitution>\$\((?:[^()'\"]|'[^']*'|\"(?:[^\"\\]|\\.)*\"|\((?:[^()]|\([^()]*\))*\))*\)?)"
    r"|(?P<braced>\$\{[^}]*\}?)"
    r"|(?P<backtick>`(?:[^`\\]|\\.)*`?)"
    r"|(?P<escape>\\.?)"
    r"|(?P<word>[^\s'\"\\$`|&;<>()]+|\$)",
    re.DOTALL,
)
_DOUBLE_QUOTED_ESCAPE = re.compile(r"\\([\"\\$`\n])")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_LEADING_KEYWORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{"})
_CLOSING_KEYWORDS = frozenset({"fi", "done", "esac", "}", "then", "do", "else"})
_LIST_KEYWORDS = frozenset({"for", "case", "select", "function"})
SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "busybox"})
# Commands that run the command after them; the options that take a value are skipped too.
_WRAPPERS: dict[str, frozenset[str]] = {
    "sudo": frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "--user", "--group"}),
    "env": frozenset({"-u", "--unset", "-C", "--chdir", "-S", "--split-string"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "nohup": frozenset(), "time": frozenset(), "exec": frozenset(), "command": frozenset(),
}


@dataclass(frozen=True)
class SimpleCommand:
    """One command of a script: ``CGO_ENABLED=0 go build -o app .`` has the words
    ``go build -o app .`` and the assignment ``CGO_ENABLED=0``."""

    words: tuple[str, ...]
    assignments: tuple[tuple[str, str], ...] = ()
    separator: str = ""  # the operator before it: "", "&&", "||", ";", "|", "|&", "&"
    depth: int = 0  # how many subshells deep: "(cd x && make)" is at depth 1

    @property
    def program(self) -> str:
        """The command's name without its directory: ``/usr/bin/apt-get`` -> ``apt-get``."""
        return self.words[0].rsplit("/", 1)[-1] if self.words else ""

    @property
    def arguments(self) -> tuple[str, ...]:
        return self.words[1:]

    @property
    def piped(self) -> bool:
        """Whether the output of the command before flows into this one."""
        return self.separator in ("|", "|&")

    def effective(self) -> SimpleCommand:
        """The command that really runs, past ``sudo``, ``env VAR=x``, ``nohup`` and the like."""
        command = self
        for _ in range(4):  # wrappers rarely nest deeper; the bound keeps this linear
            options = _WRAPPERS.get(command.program)
            if options is None or len(command.words) < 2:
                return command
            assignments = list(command.assignments)
            index = 1
            while index < len(command.words):
                word = command.words[index]
                if word in options:
                    index += 2
                elif word.startswith("-") and word != "-":
                    index += 1
                elif command.program == "env" and _ASSIGNMENT.match(word):
                    name, _, value = word.partition("=")
                    assignments.append((name, value))
                    index += 1
                else:
                    break
            command = replace(command, words=command.words[index:], assignments=tuple(assignments))
        return command


def split(script: str) -> tuple[SimpleCommand, ...]:
    """The simple commands of ``script``, in order."""
    return tuple(_Scanner(script).run())


def from_words(words: tuple[str, ...]) -> tuple[SimpleCommand, ...]:
    """The commands of an exec-form RUN (``["sh", "-c", "..."]`` splits its script too)."""
    if not words:
        return ()
    command = SimpleCommand(tuple(words))
    inner = _shell_c_script(command)
    return (command, *split(inner)) if inner is not None else (command,)


def has_short_option(options: tuple[str, ...] | list[str], letter: str) -> bool:
    """Whether a short option is given, alone or combined: ``-y``, ``-qy``, ``-yq``."""
    return any(option.startswith("-") and not option.startswith("--") and letter in option[1:]
               for option in options)


class _Scanner:
    def __init__(self, script: str) -> None:
        self.script = script
        self.commands: list[SimpleCommand] = []
        self.words: list[str] = []
        self.piece: list[str] = []
        self.in_word = False
        self.separator = ""
        self.depth = 0
        self.redirect_target = False
        self.heredoc_delimiter = False
        self.heredoc_strip = False
        self.heredocs: list[tuple[str, bool]] = []  # (delimiter, strip tabs), bodies still to skip

    def run(self) -> list[SimpleCommand]:
        script = self.script
        position = 0
        while position < len(script):
            match = _TOKEN.match(script, position)
            if match is None:  # cannot happen with this token set; stop rather than loop
                break
            kind, text = match.lastgroup, match.group(0)
            position = match.end()
            if kind == "word" and text.startswith("#") and not self.in_word:
                end = script.find("\n", position)
                position = len(script) if end < 0 else end
            elif kind == "space":
                self.end_word()
            elif kind == "newline":
                self.end_word()
                self.end_command(";")
                position = self.skip_heredoc_bodies(position)
            elif kind == "operator":
                self.operator(text)
            elif kind == "redirect":
                self.end_word()
                self.redirect_target = True
                self.heredoc_delimiter = text.lstrip("0123456789") in ("<<", "<<-")
                self.heredoc_strip = text.endswith("-")
            else:
                self.in_word = True
                self.piece.append(_unquote(kind or "", text))
        self.end_word()
        self.end_command("")
        return self.commands

    def operator(self, text: str) -> None:
        self.end_word()
        if text == "(":
            if not self.words:  # a subshell; after words it is a function definition "f()"
                self.depth += 1
            return
        if text == ")":
            self.end_command(";")
            self.depth = max(0, self.depth - 1)
            return
        self.end_command(";" if text == ";;" else text)

    def end_word(self) -> None:
        if not self.in_word:
            return
        word = "".join(self.piece)
        self.piece = []
        self.in_word = False
        if self.redirect_target:
            self.redirect_target = False
            if self.heredoc_delimiter:
                self.heredocs.append((word, self.heredoc_strip))
            return
        self.words.append(word)

    def end_command(self, next_separator: str) -> None:
        words, self.words = self.words, []
        separator = self.separator
        # An empty command (a blank line after "&&", a ")" before "|") passes the operator
        # before it on, unless a real operator replaces it.
        if words or next_separator != ";" or separator in ("", ";"):
            self.separator = next_separator
        assignments = []
        while words and _ASSIGNMENT.match(words[0]):
            name, _, value = words.pop(0).partition("=")
            assignments.append((name, value))
        while words and words[0] in _LEADING_KEYWORDS:
            words.pop(0)
        if words and words[0] in _CLOSING_KEYWORDS:
            words = []
        if (not words and not assignments) or (words and words[0] in _LIST_KEYWORDS):
            return
        command = SimpleCommand(tuple(words), tuple(assignments), separator, self.depth)
        self.commands.append(command)
        inner = _shell_c_script(command)
        if inner is not None:
            self.commands.extend(replace(item, depth=item.depth + self.depth) for item in split(inner))

    def skip_heredoc_bodies(self, position: int) -> int:
        while self.heredocs:
            delimiter, strip = self.heredocs.pop(0)
            while position < len(self.script):
                end = self.script.find("\n", position)
                end = len(self.script) if end < 0 else end
                line = self.script[position:end].rstrip("\r")
                position = end + 1
                if (line.lstrip("\t") if strip else line) == delimiter:
                    break
        return position


def _unquote(kind: str, text: str) -> str:
    if kind == "single":
        return text[1:-1] if len(text) > 1 and text.endswith("'") else text[1:]
    if kind == "double":
        inner = text[1:-1] if len(text) > 1 and text.endswith('"') else text[1:]
        return _DOUBLE_QUOTED_ESCAPE.sub(r"\1", inner) if "\\" in inner else inner
    if kind == "escape":
        return text[1:]
    return text


def _shell_c_script(command: SimpleCommand) -> str | None:
    """The script of ``sh -c 'script'`` (also ``bash -ec``, ``/bin/sh -xc``)."""
    effective = command.effective()
    if effective.program not in SHELLS:
        return None
    words = effective.words
    for index, word in enumerate(words[1:], start=1):
        if word.startswith("-") and not word.startswith("--") and "c" in word[1:]:
            return words[index + 1] if index + 1 < len(words) else None
        if not word.startswith("-"):
            return None
    return None
