"""Running git to read a work tree: the branch, and what `git status` shows.

Every call gets the environment the CLI was given (git reads HOME, GIT_* and its config from
it), never os.environ.

One rule decides whether a tree is modified, Go's: the go command stamps a binary
``vcs.modified=true`` when `git status --porcelain` prints anything, untracked files
included (ignored ones are not printed). `goship version`, `goship build` and
`goship release` all use it, so a version never says "clean" for a tree Go calls modified.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from goship.errors import ReleaseError

# CI systems check out a commit, not a branch; these name the branch they built.
CI_BRANCH_VARIABLES = ("GOSHIP_BRANCH", "GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_COMMIT_BRANCH",
                       "BRANCH_NAME", "BUILD_SOURCEBRANCHNAME", "BITBUCKET_BRANCH")
# The command Go runs to set vcs.modified (cmd/go/internal/vcs); --no-optional-locks keeps a
# read from taking the index lock another git command may hold.
STATUS_ARGS = ("--no-optional-locks", "status", "--porcelain")


@dataclass(frozen=True)
class GitOutput:
    code: int
    stdout: str
    stderr: str


def git(directory: Path, args: Sequence[str], env: Mapping[str, str], *,
        stdin: str | None = None, strip: bool = True) -> GitOutput:
    """Run git in ``directory``; a ReleaseError only when git cannot be started. ``strip``
    takes the white space around the output away (not for output where it means something)."""
    try:
        completed = subprocess.run(["git", "-C", str(directory), *args], input=stdin,
                                   capture_output=True, text=True, env=dict(env), timeout=120,
                                   check=False)
    except FileNotFoundError:
        raise ReleaseError("git is not installed (or not on PATH)",
                           "install git: a release reads versions from and writes tags to git") from None
    except subprocess.TimeoutExpired:
        raise ReleaseError(f"git {' '.join(args)} took more than 2 minutes in {directory}",
                           "check the repository (a lock file left behind? a hook waiting?)") from None
    stdout = completed.stdout.strip() if strip else completed.stdout
    return GitOutput(completed.returncode, stdout, completed.stderr.strip())


def required(directory: Path, args: Sequence[str], env: Mapping[str, str], what: str, hint: str,
             *, stdin: str | None = None, strip: bool = True) -> str:
    """git's output; a ReleaseError saying ``what`` failed, with git's last line, if it fails."""
    result = git(directory, args, env, stdin=stdin, strip=strip)
    if result.code != 0:
        detail = result.stderr.splitlines()[-1] if result.stderr else f"exit code {result.code}"
        raise ReleaseError(f"{what}: git said: {detail}", hint)
    return result.stdout


def current_branch(directory: Path, env: Mapping[str, str]) -> str:
    """The checked-out branch; on a detached HEAD (CI), the branch a CI variable names
    (GOSHIP_BRANCH first); "" when neither says."""
    result = git(directory, ["symbolic-ref", "--short", "-q", "HEAD"], env)
    if result.code == 0 and result.stdout:
        return result.stdout
    for name in CI_BRANCH_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            return value.removeprefix("refs/heads/")
    return ""


def changed_paths(directory: Path, env: Mapping[str, str]) -> list[str]:
    """What `git status` shows as changed or untracked (ignored files are not): the paths
    that make Go stamp a build vcs.modified=true."""
    # -z: paths as they are (no quoting), one entry per NUL; a rename or copy adds its
    # original path as the next entry.
    text = required(directory, [*STATUS_ARGS, "-z"], env, f"reading the status of {directory}",
                    "check the repository is not damaged", strip=False)
    entries = text.split("\0")
    paths: list[str] = []
    index = 0
    while index < len(entries):
        entry = entries[index]
        index += 1
        if len(entry) < 4:
            continue
        paths.append(entry[3:])
        if entry[0] in "RC":
            index += 1
    return paths
