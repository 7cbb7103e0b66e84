"""What every Dockerfile rule gets: the parsed file, the settings, and shared answers computed
once per file (the commands of each RUN, the final stage's lineage, which stages are Windows).

A rule is a ``Check``: its RuleInfo and a function from a LintContext to findings. Rules report
at their rule's default severity; ``interface.apply`` puts the user's overrides on afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from goship.policy.dockerfile import Dockerfile, Instruction, Stage
from goship.policy.dockerfile_rules import images
from goship.policy.dockerfile_rules.shell import SHELLS, SimpleCommand, from_words, split
from goship.policy.interface import Finding, Location, PolicySettings, RuleInfo, Severity

LINUX_SHELL = ("/bin/sh", "-c")
WINDOWS_SHELL = ("cmd", "/S", "/C")


def rule(rule_id: str, severity: Severity, title: str, explanation: str,
         hadolint: tuple[str, ...] = ()) -> RuleInfo:
    return RuleInfo(rule_id, severity, title, " ".join(explanation.split()), "dockerfile", hadolint)


@dataclass
class LintContext:
    dockerfile: Dockerfile
    settings: PolicySettings
    path: str  # as findings show it
    dockerfile_path: Path | None = None
    context_dir: Path | None = None
    _commands: dict[int, tuple[SimpleCommand, ...]] = field(default_factory=dict)

    def finding(self, rule: RuleInfo, line: int, message: str, fix: str = "",
                end_line: int | None = None) -> Finding:
        return Finding(rule.id, rule.severity, message,
                       Location(self.path, line, None, end_line if end_line != line else None), fix)

    @cached_property
    def final_lineage(self) -> tuple[Stage, ...]:
        """The final stage and the stages it is built on (FROM build AS final): everything
        whose files end up in the image."""
        final = self.dockerfile.final_stage
        return self.dockerfile.lineage(final) if final else ()

    def image(self, stage: Stage) -> images.ImageName | None:
        """The image the stage's lineage starts from; None for scratch, unresolved or invalid."""
        root = self.dockerfile.root(stage)
        return images.parse_image(root.image) if root.resolved.resolved else None

    def is_windows(self, stage: Stage) -> bool:
        root = self.dockerfile.root(stage)
        platform = (stage.platform or root.platform or "").lower()
        if platform.startswith("windows"):
            return True
        image = self.image(stage)
        if image is not None:
            return images.is_windows(image)
        return self.dockerfile.escape == "`" and not root.is_scratch

    def is_builder(self, stage: Stage) -> bool:
        """Whether the stage starts from a Go toolchain image."""
        image = self.image(stage)
        return image is not None and (image.name == "golang"
                                      or images.matches(image, self.settings.builder_images))

    def shell(self, stage: Stage, line: int) -> tuple[str, ...]:
        """The SHELL in effect for an instruction of ``stage`` at ``line``."""
        found: tuple[str, ...] | None = None
        for member in self.dockerfile.lineage(stage):
            for instruction in member.having("SHELL"):
                if member is not stage or instruction.start_line < line:
                    found = instruction.arguments
        if found:
            return found
        return WINDOWS_SHELL if self.is_windows(stage) else LINUX_SHELL

    def posix_shell(self, stage: Stage, line: int) -> bool:
        """Whether RUN at ``line`` runs under sh or bash (not cmd or PowerShell)."""
        program = self.shell(stage, line)[0].replace("\\", "/").rsplit("/", 1)[-1].lower()
        return program in SHELLS

    def commands(self, instruction: Instruction) -> tuple[SimpleCommand, ...]:
        """The simple commands a RUN runs (its heredoc script too), computed once."""
        cached = self._commands.get(instruction.start_line)
        if cached is None:
            cached = _run_commands(instruction)
            self._commands[instruction.start_line] = cached
        return cached

    def runs(self, stages: Iterable[Stage]) -> Iterable[tuple[Stage, Instruction, tuple[SimpleCommand, ...]]]:
        """Every RUN of ``stages`` with its commands."""
        for stage in stages:
            for instruction in stage.instructions:
                if instruction.keyword == "RUN":
                    yield stage, instruction, self.commands(instruction)


Checker = Callable[[LintContext], Iterable[Finding]]


@dataclass(frozen=True)
class Check:
    rule: RuleInfo
    run: Checker
    needs_complete: bool = False  # reports something missing: skipped when the file did not parse


def _run_commands(instruction: Instruction) -> tuple[SimpleCommand, ...]:
    if instruction.exec_form:
        return from_words(instruction.arguments)
    first_line = split(instruction.text)
    if not instruction.heredocs:
        return first_line
    # "RUN <<EOF" and "RUN bash -e <<EOF" run the heredoc as a script; "RUN cat <<EOF >file"
    # or "RUN python3 <<EOF" feed it to a program as data.
    script_runner = not first_line or first_line[0].effective().program in SHELLS
    body = instruction.heredocs[0].content
    shebang = body.split("\n", 1)[0] if body.startswith("#!") else ""
    if shebang and not any(shell in shebang.replace("/", " ").split() for shell in SHELLS):
        script_runner = False
    return (*first_line, *split(body)) if script_runner else first_line
