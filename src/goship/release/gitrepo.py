"""The git commands a release runs: where HEAD is, whether the tree is clean, and the
writes (an annotated tag, the changelog commit, pushing the tag).

Every call gets the environment the CLI was given (git reads HOME, GIT_* and its config
from it), never os.environ.
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


@dataclass(frozen=True)
class GitOutput:
    code: int
    stdout: str
    stderr: str


def git(directory: Path, args: Sequence[str], env: Mapping[str, str], *,
        stdin: str | None = None) -> GitOutput:
    """Run git in ``directory``; a ReleaseError only when git cannot be started."""
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
    return GitOutput(completed.returncode, completed.stdout.strip(), completed.stderr.strip())


def _required(directory: Path, args: Sequence[str], env: Mapping[str, str], what: str, hint: str,
              *, stdin: str | None = None) -> str:
    result = git(directory, args, env, stdin=stdin)
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


def head_commit(directory: Path, env: Mapping[str, str]) -> tuple[str, int]:
    """HEAD's full hash and commit time (Unix seconds)."""
    text = _required(directory, ["log", "-1", "--format=%H %ct"], env,
                     f"reading HEAD in {directory}",
                     "run goship release in a git work tree with at least one commit")
    commit, _, seconds = text.partition(" ")
    return commit, int(seconds) if seconds.isdigit() else 0


def changed_paths(directory: Path, env: Mapping[str, str]) -> list[str]:
    """What `git status` shows as changed or untracked (ignored files are not)."""
    text = _required(directory, ["--no-optional-locks", "status", "--porcelain"], env,
                     f"reading the status of {directory}", "check the repository is not damaged")
    return [line[3:] for line in text.splitlines() if line.strip()]


def tag_exists(directory: Path, name: str, env: Mapping[str, str]) -> bool:
    return git(directory, ["rev-parse", "-q", "--verify", f"refs/tags/{name}"], env).code == 0


def check_tag_name(directory: Path, name: str, env: Mapping[str, str]) -> None:
    if git(directory, ["check-ref-format", f"refs/tags/{name}"], env).code != 0:
        raise ReleaseError(f"'{name}' is not a valid git tag name",
                           "check release.tag-prefix in goship.toml")


_IDENTITY_HINT = ("set who you are: git config user.name 'Your Name' and "
                  "git config user.email you@example.com (or GIT_COMMITTER_NAME/EMAIL)")


def create_annotated_tag(directory: Path, name: str, commit: str, message: str,
                         env: Mapping[str, str]) -> None:
    # verbatim: the default cleanup would drop the notes' "## 1.3.0" heading as a comment.
    _required(directory, ["tag", "-a", "--cleanup=verbatim", "-F", "-", name, commit], env,
              f"creating the git tag {name}", _IDENTITY_HINT, stdin=message)


def commit_file(directory: Path, path: Path, message: str, env: Mapping[str, str]) -> str:
    """Commit this one file as it is on disk (whatever else is staged stays staged);
    the new commit's hash."""
    relative = str(path.resolve().relative_to(directory.resolve())) \
        if path.is_absolute() else str(path)
    _required(directory, ["add", "--", relative], env, f"adding {relative} to git",
              "check the file is not ignored by .gitignore")
    _required(directory, ["commit", "-q", "--only", "-F", "-", "--", relative], env,
              f"committing {relative}", _IDENTITY_HINT, stdin=message)
    return head_commit(directory, env)[0]


def push_tag(directory: Path, name: str, env: Mapping[str, str], remote: str = "origin") -> None:
    _required(directory, ["push", remote, f"refs/tags/{name}"], env,
              f"pushing the git tag {name} to {remote}",
              f"push it yourself once the remote is reachable: git push {remote} {name}")
