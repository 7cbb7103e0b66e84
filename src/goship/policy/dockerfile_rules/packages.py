"""GS40x: package managers in RUN - caches, prompts, pins and upgrades.

The size rules (caches, recommends, lists, pins, upgrades) look only at the stages whose files
ship: the final stage and those it is built FROM. A builder stage's apt cache never reaches the
image, so flagging it would only be noise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from goship.policy.dockerfile import Instruction, Stage
from goship.policy.dockerfile_rules.context import Check, LintContext, rule
from goship.policy.dockerfile_rules.shell import SimpleCommand, has_short_option
from goship.policy.interface import Finding, Severity

_APT = frozenset({"apt-get", "apt"})
_RPM = frozenset({"yum", "dnf", "microdnf", "tdnf"})
_MANAGERS = _APT | _RPM | {"apk", "zypper"}
_VALUE_OPTIONS = {
    "apk": frozenset({"-X", "--repository", "-p", "--root", "--arch", "--cache-dir", "--keys-dir",
                      "--repositories-file", "-t", "--virtual"}),
    "apt": frozenset({"-o", "--option", "-c", "--config-file", "-t", "--target-release", "-a",
                      "--host-architecture"}),
    "rpm": frozenset({"-c", "--config", "-x", "--exclude", "--enablerepo", "--disablerepo",
                      "--installroot", "--releasever", "--repo", "--repofrompath", "--setopt",
                      "-d", "--debuglevel", "-e", "--errorlevel", "--nobest"}),
    "zypper": frozenset({"-r", "--repo", "--from", "-t", "--type", "--root", "-R"}),
}
_INSTALL = frozenset({"add", "install", "in"})
_UPGRADE = {
    "apt-get": frozenset({"upgrade", "dist-upgrade", "full-upgrade"}),
    "apt": frozenset({"upgrade", "dist-upgrade", "full-upgrade"}),
    "apk": frozenset({"upgrade"}),
    "yum": frozenset({"update", "upgrade", "distro-sync"}),
    "dnf": frozenset({"update", "upgrade", "distro-sync"}),
    "microdnf": frozenset({"update", "upgrade"}),
    "zypper": frozenset({"update", "up", "dist-upgrade", "dup", "patch"}),
}
_RPM_VERSION = re.compile(r"-[0-9][^/]*$")
_CACHE_DIRS = {"apk": ("/var/cache/apk", "/etc/apk/cache"), "yum": ("/var/cache/yum",),
               "dnf": ("/var/cache/dnf", "/var/cache/yum"), "microdnf": ("/var/cache/yum",
                                                                          "/var/cache/dnf"),
               "tdnf": ("/var/cache/tdnf",)}


@dataclass(frozen=True)
class PackageCommand:
    manager: str  # "apk", "apt-get", "apt", "yum", "dnf", "microdnf", "tdnf", "zypper"
    action: str  # "add", "install", "update", ...
    options: tuple[str, ...]  # before and after the action
    operands: tuple[str, ...]  # what follows the action that is not an option


def package_commands(commands: Iterable[SimpleCommand]) -> Iterator[PackageCommand]:
    for command in commands:
        effective = command.effective()
        manager = effective.program
        if manager not in _MANAGERS:
            continue
        family = "apt" if manager in _APT else "rpm" if manager in _RPM else manager
        takes_value = _VALUE_OPTIONS[family]
        options: list[str] = []
        operands: list[str] = []
        action = ""
        words = effective.words[1:]
        index = 0
        while index < len(words):
            word = words[index]
            if word.startswith("-") and len(word) > 1:
                options.append(word)
                if word in takes_value and index + 1 < len(words):
                    options.append(words[index + 1])
                    index += 1
            elif not action:
                action = word
            else:
                operands.append(word)
            index += 1
        if action:
            yield PackageCommand(manager, action, tuple(options), tuple(operands))


def packages(command: PackageCommand) -> list[str]:
    """The package names of an install: no variables, local files or URLs."""
    return [word for word in command.operands
            if "$" not in word and "/" not in word and not word.endswith((".apk", ".deb", ".rpm"))
            and not word.startswith("@")]


def installed_packages(commands: Iterable[SimpleCommand]) -> Iterator[tuple[str, list[str]]]:
    for command in package_commands(commands):
        if command.action in _INSTALL:
            yield command.manager, packages(command)


NO_CACHE = rule(
    "GS401", Severity.WARNING, "apk add keeps its cache",
    """`apk add` without --no-cache leaves the package index and downloaded packages in the
    layer, several megabytes the image never uses. Write `apk add --no-cache ...` (it also makes
    a separate `apk update` unnecessary).""",
    ("DL3019",),
)
RECOMMENDS = rule(
    "GS402", Severity.WARNING, "apt-get install pulls in recommended packages",
    """By default apt-get also installs every recommended package, often doubling what lands
    in the image and adding attack surface. Write `apt-get install -y --no-install-recommends
    ...` and list what you really need.""",
    ("DL3015",),
)
ASSUME_YES = rule(
    "GS403", Severity.WARNING, "package install may stop at a prompt",
    """apt-get, yum, dnf and zypper ask for confirmation before installing; a build has no one
    to answer, so it aborts. Pass -y (apt-get, yum, dnf) or -n (zypper): `apt-get install -y
    ...`.""",
    ("DL3014", "DL3030", "DL3038", "DL3034"),
)
APT_LISTS = rule(
    "GS404", Severity.WARNING, "apt lists left in the image",
    """`apt-get update` downloads package lists (tens of megabytes) into /var/lib/apt/lists; a
    later RUN cannot remove them from this layer. End the same RUN with `&& rm -rf
    /var/lib/apt/lists/*`, or use `RUN --mount=type=cache,target=/var/lib/apt/lists`.""",
    ("DL3009",),
)
UNPINNED = rule(
    "GS405", Severity.INFO, "package installed without a version",
    """An unpinned package installs whatever version the archive has that day. Pinning
    (`apk add curl=8.9.1-r0`, `apt-get install curl=7.88.1-10`, `dnf install curl-8.6.0`) makes
    the image reproducible, at the price of updating pins when the archive drops old versions.
    Info, because a digest-pinned base and a small package list matter more.""",
    ("DL3008", "DL3018", "DL3033", "DL3041"),
)
RPM_CLEAN = rule(
    "GS406", Severity.WARNING, "yum/dnf cache left in the image",
    """yum, dnf and microdnf keep metadata and packages in /var/cache; removing them in a later
    RUN does not shrink this layer. End the same RUN with `&& dnf clean all` (or `yum clean
    all`, `microdnf clean all`).""",
    ("DL3032", "DL3040"),
)
UPGRADE = rule(
    "GS407", Severity.WARNING, "RUN upgrades the whole distribution",
    """`apt-get upgrade`, `apk upgrade`, `dnf update` and the like make the image depend on the
    day it was built and hide which base it really runs on. Pin a newer base image (digest)
    instead, and install named packages only.""",
)
APT_TOOL = rule(
    "GS411", Severity.WARNING, "apt used in a script",
    """`apt` is meant for people at a terminal; its output and options may change and it warns
    that it has no stable interface. Use apt-get (and apt-cache) in Dockerfiles.""",
    ("DL3027",),
)


def _runs(context: LintContext, final_only: bool,
          ) -> Iterator[tuple[Stage, Instruction, tuple[SimpleCommand, ...], list[PackageCommand]]]:
    stages = context.final_lineage if final_only else context.dockerfile.stages
    for stage, instruction, commands in context.runs(stages):
        found = list(package_commands(commands))
        if found:
            yield stage, instruction, commands, found


def _removes(commands: tuple[SimpleCommand, ...], directories: tuple[str, ...]) -> bool:
    return any(command.effective().program == "rm" and any(
        word.rstrip("/*").startswith(directories) for word in command.effective().words[1:])
        for command in commands)


def _cache_mounted(instruction: Instruction, directories: tuple[str, ...]) -> bool:
    return any(("type=cache" in mount or "type=tmpfs" in mount)
               and any(directory in mount for directory in directories)
               for mount in instruction.flag_values("mount"))


def check_apk_cache(context: LintContext) -> Iterator[Finding]:
    for _, instruction, commands, found in _runs(context, final_only=True):
        for command in found:
            if command.manager == "apk" and command.action == "add" \
                    and "--no-cache" not in command.options \
                    and not _removes(commands, _CACHE_DIRS["apk"]) \
                    and not _cache_mounted(instruction, _CACHE_DIRS["apk"]):
                yield context.finding(NO_CACHE, instruction.start_line,
                                      "apk add without --no-cache", "apk add --no-cache ...")
                break


def check_recommends(context: LintContext) -> Iterator[Finding]:
    configured = any("Install-Recommends" in instruction.original
                     for stage in context.final_lineage for instruction in stage.having("RUN"))
    for _, instruction, _, found in _runs(context, final_only=True):
        for command in found:
            if command.manager in _APT and command.action == "install" and not configured \
                    and "--no-install-recommends" not in command.options \
                    and not any("Install-Recommends" in option for option in command.options):
                yield context.finding(RECOMMENDS, instruction.start_line,
                                      f"{command.manager} install without --no-install-recommends")
                break


def _assumes_yes(command: PackageCommand, piped_from_yes: bool) -> bool:
    options = command.options
    if piped_from_yes:
        return True
    if command.manager in _APT:
        return (has_short_option(options, "y") or "--yes" in options or "--assume-yes" in options
                or "-qq" in options or "-q=2" in options or "--quiet=2" in options
                or any("Assume-Yes" in option for option in options))
    if command.manager == "zypper":
        return bool({"-n", "--non-interactive", "-y", "--no-confirm"} & set(options))
    if command.manager in ("yum", "dnf", "tdnf"):
        return has_short_option(options, "y") or "--assumeyes" in options
    return True  # apk and microdnf never ask


def check_assume_yes(context: LintContext) -> Iterator[Finding]:
    for _, instruction, commands, _ in _runs(context, final_only=False):
        for index, command in enumerate(commands):
            found = list(package_commands([command]))
            if not found or found[0].action not in _INSTALL:
                continue
            piped_from_yes = command.piped and index > 0 and commands[index - 1].program == "yes"
            if not _assumes_yes(found[0], piped_from_yes):
                flag = "-n" if found[0].manager == "zypper" else "-y"
                yield context.finding(ASSUME_YES, instruction.start_line,
                                      f"{found[0].manager} {found[0].action} without {flag}",
                                      f"add {flag}")
                break


def check_apt_lists(context: LintContext) -> Iterator[Finding]:
    lists = ("/var/lib/apt/lists",)
    for _, instruction, commands, found in _runs(context, final_only=True):
        updates = [command.manager for command in found
                   if command.manager in _APT and command.action == "update"]
        if updates and not _removes(commands, lists) and not _cache_mounted(instruction, lists):
            yield context.finding(APT_LISTS, instruction.start_line,
                                  f"{updates[0]} update without removing /var/lib/apt/lists in the "
                                  "same RUN",
                                  "end the RUN with && rm -rf /var/lib/apt/lists/*")


def _pinned(manager: str, package: str) -> bool:
    if manager == "apk":
        return any(mark in package for mark in "=~<>")
    if manager in _APT:
        return "=" in package
    if manager == "zypper":
        return any(mark in package for mark in "=<>")
    return bool(_RPM_VERSION.search(package))


def check_unpinned(context: LintContext) -> Iterator[Finding]:
    for _, instruction, _, found in _runs(context, final_only=True):
        loose = [(command.manager, name) for command in found if command.action in _INSTALL
                 for name in packages(command) if not _pinned(command.manager, name)]
        if loose:
            names = ", ".join(name for _, name in loose[:5]) + (", ..." if len(loose) > 5 else "")
            yield context.finding(UNPINNED, instruction.start_line,
                                  f"{loose[0][0]} installs {names} without a version")


def check_rpm_clean(context: LintContext) -> Iterator[Finding]:
    for _, instruction, commands, found in _runs(context, final_only=True):
        installing = [command.manager for command in found
                      if command.manager in _RPM and command.action in _INSTALL]
        if not installing:
            continue
        manager = installing[0]
        cleans = any(command.manager in _RPM and command.action == "clean" for command in found)
        directories = _CACHE_DIRS.get(manager, ("/var/cache/yum",))
        if not cleans and not _removes(commands, directories) \
                and not _cache_mounted(instruction, directories):
            yield context.finding(RPM_CLEAN, instruction.start_line,
                                  f"{manager} install without '{manager} clean all' in the same RUN",
                                  f"end the RUN with && {manager} clean all")


def check_upgrade(context: LintContext) -> Iterator[Finding]:
    for _, instruction, _, found in _runs(context, final_only=True):
        for command in found:
            whole_system = command.manager in _APT or command.manager == "apk" or not packages(command)
            if command.action in _UPGRADE.get(command.manager, ()) and whole_system:
                yield context.finding(UPGRADE, instruction.start_line,
                                      f"'{command.manager} {command.action}' upgrades every package",
                                      "pin a newer base image instead")
                break


def check_apt_tool(context: LintContext) -> Iterator[Finding]:
    for _, instruction, commands in context.runs(context.dockerfile.stages):
        if any(command.effective().program == "apt" for command in commands):
            yield context.finding(APT_TOOL, instruction.start_line, "RUN uses apt instead of apt-get",
                                  "use apt-get")


CHECKS = (
    Check(NO_CACHE, check_apk_cache),
    Check(RECOMMENDS, check_recommends),
    Check(ASSUME_YES, check_assume_yes),
    Check(APT_LISTS, check_apt_lists),
    Check(UNPINNED, check_unpinned),
    Check(RPM_CLEAN, check_rpm_clean),
    Check(UPGRADE, check_upgrade),
    Check(APT_TOOL, check_apt_tool),
)
