"""Facts from git for a build: commit, commit time, a version, and the source URL."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_SEMVER_TAG = re.compile(r"^v(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


@dataclass(frozen=True)
class SourceFacts:
    commit: str = ""          # 40 hex digits, or "" outside git
    commit_time: int | None = None
    dirty: bool = False
    tag: str = ""             # the nearest v-prefixed SemVer tag
    distance: int = 0         # commits since that tag
    remote_url: str = ""

    @property
    def short_commit(self) -> str:
        return self.commit[:7]

    def version(self) -> str:
        """A SemVer for the tree: the tag when HEAD is at it, else a dev version after it."""
        base = self.tag.removeprefix("v") if self.tag else "0.0.0"
        if self.tag and self.distance == 0 and not self.dirty:
            return base
        if not self.commit:
            return f"{base}-dev" if "-" not in base else base
        pre = f"dev.{self.distance}" if self.tag else "dev"
        separator = "." if "-" in base else "-"
        build = self.short_commit + (".dirty" if self.dirty else "")
        return f"{base}{separator}{pre}+{build}"


def _git_all(directory: Path, env: Mapping[str, str] | None,
             *commands: tuple[str, ...]) -> list[str | None]:
    """Run several git commands at once (they only read); None for each that failed."""
    started: list[subprocess.Popen[str] | None] = []
    for args in commands:
        try:
            started.append(subprocess.Popen(
                ["git", "-C", str(directory), *args],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                env=dict(env) if env is not None else None,
            ))
        except OSError:
            started.append(None)
    results: list[str | None] = []
    for process in started:
        if process is None:
            results.append(None)
            continue
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            results.append(None)
            continue
        results.append(output.strip() if process.returncode == 0 else None)
    return results


def read_source_facts(directory: Path, env: Mapping[str, str] | None = None) -> SourceFacts:
    """What git knows about the tree at ``directory``; empty facts outside a work tree."""
    head, status, described, remote = _git_all(
        directory,
        env,
        ("log", "-1", "--format=%H %ct"),
        ("--no-optional-locks", "status", "--porcelain", "--untracked-files=no"),
        ("describe", "--tags", "--long", "--match", "v[0-9]*", "--abbrev=40"),
        ("config", "--get", "remote.origin.url"),
    )
    if not head:
        return SourceFacts()
    commit, _, time_text = head.partition(" ")
    tag, distance = "", 0
    if described:
        match = re.match(r"^(.*)-(\d+)-g[0-9a-f]+$", described)
        if match and _SEMVER_TAG.match(match.group(1)):
            tag, distance = match.group(1), int(match.group(2))
    return SourceFacts(
        commit=commit,
        commit_time=int(time_text) if time_text.isdigit() else None,
        dirty=bool(status),
        tag=tag,
        distance=distance,
        remote_url=source_url(remote or ""),
    )


def source_url(remote: str) -> str:
    """A browsable https URL for a git remote, with any credentials removed."""
    if not remote:
        return ""
    scp = re.match(r"^(?:[\w.-]+@)?([\w.-]+):(?!//)(.+?)(?:\.git)?/?$", remote)
    if scp:
        return f"https://{scp.group(1)}/{scp.group(2)}"
    url = re.match(r"^(?:https?|ssh|git)://(?:[^@/]+@)?([^/]+)/(.+?)(?:\.git)?/?$", remote)
    if url:
        host = url.group(1).split(":")[0] if remote.startswith(("ssh", "git:")) else url.group(1)
        return f"https://{host}/{url.group(2)}"
    return ""
