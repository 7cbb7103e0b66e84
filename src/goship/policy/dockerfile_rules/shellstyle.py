"""GS408-GS410: how RUN scripts are written - failing pipes, cd, sudo."""

from __future__ import annotations

from collections.abc import Iterator

from goship.policy.dockerfile import Stage
from goship.policy.dockerfile_rules.context import Check, LintContext, rule
from goship.policy.dockerfile_rules.shell import SimpleCommand
from goship.policy.interface import Finding, Severity

PIPEFAIL = rule(
    "GS408", Severity.WARNING, "RUN with a pipe does not set pipefail",
    """A pipeline's status is its last command's: in `curl -fsSL $URL | tar -xz` a failed
    download still lets the build go on with a broken layer. Set `SHELL ["/bin/sh", "-o",
    "pipefail", "-c"]` (bash or ash; dash in Debian 12 and later) before such a RUN, or start
    the RUN with `set -o pipefail &&`.""",
    ("DL4006",),
)
CD = rule(
    "GS409", Severity.INFO, "cd in RUN instead of WORKDIR",
    """`cd` lasts only for its RUN, which makes later instructions easy to misread and repeats
    paths. Use WORKDIR to change directory for the instructions that follow (a `cd` inside a
    subshell, `(cd dir && make)`, is fine).""",
    ("DL3003",),
)
SUDO = rule(
    "GS410", Severity.ERROR, "sudo in RUN",
    """RUN already runs as the current USER; sudo adds a setuid binary to the image, needs a
    terminal or a sudoers entry, and behaves differently from one base to another. Switch with
    USER (`USER 0` ... `USER 65532`) around the commands that need root.""",
    ("DL3004",),
)


def _sets_pipefail(commands: tuple[SimpleCommand, ...], before: int) -> bool:
    for command in commands[:before]:
        words = command.effective().words
        if words[:1] == ("set",) and "pipefail" in words and any(
                word.startswith("-") and "o" in word for word in words[1:]):
            return True
    return False


def _shell_has_pipefail(shell: tuple[str, ...]) -> bool:
    return any(word == "pipefail" and index > 0 and shell[index - 1].startswith("-")
               and "o" in shell[index - 1] for index, word in enumerate(shell))


def check_pipefail(context: LintContext) -> Iterator[Finding]:
    for stage, instruction, commands in context.runs(context.dockerfile.stages):
        if not context.posix_shell(stage, instruction.start_line) and not instruction.exec_form:
            continue  # cmd and PowerShell pipes work differently
        if _shell_has_pipefail(context.shell(stage, instruction.start_line)) and not instruction.exec_form:
            continue
        for index, command in enumerate(commands):
            if command.piped and not _sets_pipefail(commands, index):
                yield context.finding(PIPEFAIL, instruction.start_line,
                                      f"RUN pipes into '{command.program}' without pipefail, so a "
                                      "failure before the pipe goes unnoticed",
                                      'SHELL ["/bin/bash", "-o", "pipefail", "-c"] or set -o pipefail')
                break


def check_cd(context: LintContext) -> Iterator[Finding]:
    for _, instruction, commands in context.runs(context.dockerfile.stages):
        if any(command.program == "cd" and command.depth == 0 for command in commands):
            yield context.finding(CD, instruction.start_line, "RUN changes directory with cd",
                                  "use WORKDIR")


def check_sudo(context: LintContext) -> Iterator[Finding]:
    stages: tuple[Stage, ...] = context.dockerfile.stages
    for _, instruction, commands in context.runs(stages):
        if any(command.program == "sudo" for command in commands):
            yield context.finding(SUDO, instruction.start_line, "RUN uses sudo",
                                  "switch users with USER instead")


CHECKS = (
    Check(PIPEFAIL, check_pipefail),
    Check(CD, check_cd),
    Check(SUDO, check_sudo),
)
