"""Facts from git for a build: commit, commit time, whether the tree is modified, the
version to stamp, and the source URL.

The version is the tree's snapshot version as goship.versioning plans it, so `goship build`
stamps what `goship version --snapshot` prints: the tag at a clean tagged HEAD, else a dev
version of the next release (``1.3.0-dev.5+abc1234``, ``.dirty`` added for a modified tree).
Modified means what Go means by vcs.modified: `git status --porcelain` shows anything,
untracked files included.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from goship.errors import ReleaseError
from goship.versioning.commits import read_history
from goship.versioning.settings import VersionDefaults, VersionSettings
from goship.versioning.versions import initial_version, plan_version


@dataclass(frozen=True)
class SourceFacts:
    commit: str = ""          # 40 hex digits, or "" outside git
    commit_time: int | None = None
    dirty: bool = False       # Go's vcs.modified
    snapshot: str = "0.1.0-dev"  # the snapshot version (see the module's docstring)
    remote_url: str = ""

    @property
    def short_commit(self) -> str:
        return self.commit[:7]

    def version(self) -> str:
        """The version a build without a configured one stamps: the snapshot version."""
        return self.snapshot


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


def read_source_facts(directory: Path, env: Mapping[str, str] | None = None,
                      settings: VersionSettings | None = None) -> SourceFacts:
    """What git knows about the tree at ``directory``; outside a work tree (or before its
    first commit) no commit and the version ``<initial-version>-dev``.

    ``settings`` (the project's release settings) give the tag prefix and initial version.
    """
    settings = settings or VersionDefaults()
    unversioned = f"{initial_version(settings)}-dev"
    head, remote = _git_all(directory, env, ("log", "-1", "--format=%H %ct"),
                            ("config", "--get", "remote.origin.url"))
    if not head:
        return SourceFacts(snapshot=unversioned)
    commit, _, time_text = head.partition(" ")
    facts = SourceFacts(commit=commit, commit_time=int(time_text) if time_text.isdigit() else None,
                        snapshot=f"{unversioned}+{commit[:7]}", remote_url=source_url(remote or ""))
    try:
        history = read_history(directory, settings, env=env)
    except ReleaseError:
        return facts  # git failed between the two reads: a build still gets a version
    version = plan_version(history, settings).snapshot
    return SourceFacts(commit=facts.commit, commit_time=facts.commit_time, dirty=history.dirty,
                       snapshot=str(version), remote_url=facts.remote_url)


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
