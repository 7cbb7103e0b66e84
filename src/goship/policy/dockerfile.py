"""A Dockerfile as rules see it: instructions, build stages and the ARG values FROM uses.

Built on the ``dockerfile`` library (BuildKit's own parser, see dockerfile_syntax for what is
added to it). ``parse`` never raises: whatever cannot be read becomes a ``SyntaxProblem`` with
its line, and the rest of the file is still modelled, so that a typo on line 30 does not hide
what is wrong on line 3.

A stage's base is kept as written (``golang:${GO_VERSION}``) and as BuildKit would resolve it:
FROM sees only the ARGs declared before the first FROM (their defaults, overridden by build
args) and the automatic platform ARGs. ``FROM builder`` names an earlier stage; ``lineage``
walks such a chain down to the image it really starts from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from goship.policy import dockerfile_syntax
from goship.policy.dockerfile_words import Expansion, expand, unquote

SyntaxProblem = dockerfile_syntax.Problem


@dataclass(frozen=True)
class Heredoc:
    name: str
    content: str


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: "RUN"; "ONBUILD" for triggers, with ``trigger`` set
    arguments: tuple[str, ...]  # as the parser split them; a shell-form command is one string
    flags: tuple[str, ...]  # as written: ("--from=build", "--chown=65532")
    exec_form: bool  # JSON form: ``CMD ["app"]``
    heredocs: tuple[Heredoc, ...]
    start_line: int
    end_line: int
    original: str  # continuation lines joined, heredoc bodies included
    trigger: str | None = None  # the instruction an ONBUILD holds

    def flag(self, name: str) -> str | None:
        """The value of ``--name=value`` (the last one wins), "" for a bare ``--name``, None
        when the flag is absent."""
        found: str | None = None
        for flag in self.flags:
            key, equals, value = flag[2:].partition("=")
            if key == name:
                found = value if equals else ""
        return found

    def flag_values(self, name: str) -> tuple[str, ...]:
        """Every value of a repeatable flag such as ``--mount``."""
        return tuple(flag[2:].partition("=")[2] for flag in self.flags
                     if flag[2:].partition("=")[0] == name)

    @property
    def text(self) -> str:
        """The arguments as one string: the command of a shell-form RUN, CMD or ENTRYPOINT."""
        return " ".join(self.arguments)


@dataclass(frozen=True)
class Variable:
    """One ``NAME=value`` of an ARG, ENV or LABEL, without quotes."""

    name: str
    value: str | None  # None: an ARG declared without a default
    line: int


@dataclass(frozen=True, eq=False)  # a stage is itself: compared by identity
class Stage:
    index: int
    name: str | None  # the AS name, lower case as BuildKit compares it
    base: str  # as written: "golang:${GO_VERSION}-alpine"
    resolved: Expansion  # the base after ARG expansion
    platform: str | None  # --platform as written
    parent: int | None  # the index of the stage the base names (FROM build), if any
    instruction: Instruction  # the FROM
    instructions: tuple[Instruction, ...]  # the ones after FROM, up to the next FROM

    @property
    def line(self) -> int:
        return self.instruction.start_line

    @property
    def image(self) -> str:
        """The resolved base image reference (or stage name)."""
        return self.resolved.text

    @property
    def is_scratch(self) -> bool:
        return self.parent is None and self.image.lower() == "scratch"

    def label(self) -> str:
        """How messages name the stage: ``stage 'build'`` or ``stage 2``."""
        return f"stage '{self.name}'" if self.name else f"stage {self.index + 1}"

    def having(self, *keywords: str) -> tuple[Instruction, ...]:
        return tuple(item for item in self.instructions if item.keyword in keywords)


@dataclass(frozen=True)
class Comment:
    line: int
    text: str  # after the '#', stripped


@dataclass(frozen=True)
class Dockerfile:
    lines: tuple[str, ...]  # the physical lines, without line ends
    instructions: tuple[Instruction, ...]  # every instruction read, in order
    stages: tuple[Stage, ...]
    global_args: tuple[Variable, ...]  # the ARGs before the first FROM
    meta_args: Mapping[str, str]  # their values as FROM sees them (build args applied)
    build_args: Mapping[str, str]
    directives: Mapping[str, str]  # "escape", "syntax", "check"
    escape: str
    comments: tuple[Comment, ...]
    problems: tuple[SyntaxProblem, ...] = ()
    complete: bool = True  # False: an instruction could not be read, the model misses it
    _by_name: Mapping[str, int] = field(default_factory=dict, repr=False)

    @property
    def final_stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    @property
    def preamble(self) -> tuple[Instruction, ...]:
        """The instructions before the first FROM (only ARG belongs there)."""
        first = self.stages[0].line if self.stages else None
        return tuple(item for item in self.instructions if first is None or item.start_line < first)

    def lineage(self, stage: Stage) -> tuple[Stage, ...]:
        """The chain of stages ``stage`` is built on, the one on a real image first."""
        chain = [stage]
        while chain[-1].parent is not None and len(chain) <= len(self.stages):
            chain.append(self.stages[chain[-1].parent])
        return tuple(reversed(chain))

    def root(self, stage: Stage) -> Stage:
        """The stage of ``stage``'s lineage that starts from an image."""
        return self.lineage(stage)[0]

    def stage_named(self, name: str) -> Stage | None:
        """The stage called ``name`` (an AS name, or a stage number as COPY --from takes it)."""
        if name.isdigit():
            number = int(name)
            return self.stages[number] if number < len(self.stages) else None
        index = self._by_name.get(name.lower())
        return self.stages[index] if index is not None else None

    def values_at(self, stage: Stage, line: int) -> dict[str, str]:
        """The ARG and ENV values in effect in ``stage`` before ``line``: ENV of the stages it
        is built on, its own ARGs (build args first, then defaults) and ENVs."""
        values: dict[str, str] = {}
        for member in self.lineage(stage):
            for instruction in member.instructions:
                if member is stage and instruction.start_line >= line:
                    break
                if instruction.keyword == "ENV":
                    for variable in variables(instruction, self.escape):
                        values[variable.name] = expand(variable.value or "", values,
                                                       escape=self.escape).text
                elif instruction.keyword == "ARG" and member is stage:
                    for variable in variables(instruction, self.escape):
                        value = self.build_args.get(variable.name, variable.value)
                        if value is None:
                            value = self.meta_args.get(variable.name)
                        if value is not None:
                            values[variable.name] = expand(value, values, escape=self.escape).text
        return values


def variables(instruction: Instruction, escape: str = "\\") -> tuple[Variable, ...]:
    """The ``NAME=value`` entries of an ARG, ENV or LABEL, unquoted."""
    line = instruction.start_line
    if instruction.keyword == "ARG":
        found = []
        for word in instruction.arguments:
            name, equals, value = word.partition("=")
            found.append(Variable(name, unquote(value, escape=escape) if equals else None, line))
        return tuple(found)
    if instruction.keyword in ("ENV", "LABEL"):
        pairs = instruction.arguments
        return tuple(Variable(unquote(pairs[index], escape=escape),
                              unquote(pairs[index + 1], escape=escape), line)
                     for index in range(0, len(pairs) - 1, 2))
    return ()


def parse(text: str, build_args: Mapping[str, str] | None = None) -> Dockerfile:
    """Model ``text`` (already decoded). Never raises; see ``Dockerfile.problems``."""
    build_args = dict(build_args or {})
    syntax = dockerfile_syntax.read(text)
    lines = tuple(line.rstrip("\r") for line in text.split("\n"))
    instructions = tuple(_instruction(command) for command in syntax.commands)
    escape = syntax.escape
    global_args: list[Variable] = []
    meta_args: dict[str, str] = {}
    stages: list[Stage] = []
    by_name: dict[str, int] = {}
    current: tuple[Instruction, list[Instruction]] | None = None
    pending: list[tuple[Instruction, list[Instruction]]] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            current = (instruction, [])
            pending.append(current)
        elif current is not None:
            current[1].append(instruction)
        elif instruction.keyword == "ARG":
            for variable in variables(instruction, escape):
                global_args.append(variable)
                value = build_args.get(variable.name, variable.value)
                if value is not None:
                    meta_args[variable.name] = expand(value, meta_args, escape=escape).text
    for index, (from_instruction, body) in enumerate(pending):
        stage = _stage(index, from_instruction, body, meta_args, by_name, escape)
        stages.append(stage)
        if stage.name and stage.name not in by_name:
            by_name[stage.name] = index
    return Dockerfile(
        lines=lines, instructions=instructions, stages=tuple(stages),
        global_args=tuple(global_args), meta_args=MappingProxyType(meta_args),
        build_args=MappingProxyType(build_args),
        directives=MappingProxyType({item.name: item.value for item in syntax.directives}),
        escape=escape, comments=_comments(lines, syntax.header_lines),
        problems=syntax.problems, complete=syntax.complete, _by_name=MappingProxyType(by_name),
    )


def _instruction(command: dockerfile_syntax.Command) -> Instruction:
    return Instruction(
        keyword=command.cmd.upper(),
        arguments=tuple(command.value),
        flags=tuple(command.flags),
        exec_form=bool(command.json),
        heredocs=tuple(Heredoc(item.name, item.content) for item in command.heredocs),
        start_line=command.start_line,
        end_line=command.end_line,
        original=command.original,
        trigger=command.sub_cmd.upper() if command.sub_cmd else None,
    )


def _stage(index: int, instruction: Instruction, body: list[Instruction], meta_args: dict[str, str],
           by_name: Mapping[str, int], escape: str) -> Stage:
    arguments = instruction.arguments
    base = arguments[0] if arguments else ""
    name = arguments[2].lower() if len(arguments) == 3 and arguments[1].upper() == "AS" else None
    resolved = expand(base, meta_args, escape=escape)
    parent = by_name.get(resolved.text.lower()) if resolved.text else None
    return Stage(index=index, name=name, base=base, resolved=resolved,
                 platform=instruction.flag("platform"), parent=parent, instruction=instruction,
                 instructions=tuple(body))


def _comments(lines: tuple[str, ...], header_lines: int) -> tuple[Comment, ...]:
    return tuple(Comment(number, stripped[1:].strip())
                 for number, line in enumerate(lines, start=1)
                 if number > header_lines and (stripped := line.lstrip()).startswith("#"))
