"""The git commands a release writes with: the annotated tag, the changelog commit, pushing
the tag; and the checks before them (the tag name, the remote).

Reading (the branch, the status, running git) is goship.versioning.git, which `goship build`
and `goship version` share.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from goship.errors import ReleaseError
from goship.versioning.git import GitOutput, changed_paths, current_branch, git, required

__all__ = [
    "GitOutput", "changed_paths", "check_remote", "check_tag_name", "commit_file",
    "create_annotated_tag", "current_branch", "git", "head_commit", "push_tag", "tag_exists",
]


def head_commit(directory: Path, env: Mapping[str, str]) -> tuple[str, int]:
    """HEAD's full hash and commit time (Unix seconds)."""
    text = required(directory, ["log", "-1", "--format=%H %ct"], env,
                    f"reading HEAD in {directory}",
                    "run goship release in a git work tree with at least one commit")
    commit, _, seconds = text.partition(" ")
    return commit, int(seconds) if seconds.isdigit() else 0


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
    required(directory, ["tag", "-a", "--cleanup=verbatim", "-F", "-", name, commit], env,
             f"creating the git tag {name}", _IDENTITY_HINT, stdin=message)


def commit_file(directory: Path, path: Path, message: str, env: Mapping[str, str]) -> str:
    """Commit this one file as it is on disk (whatever else is staged stays staged);
    the new commit's hash."""
    relative = str(path.resolve().relative_to(directory.resolve())) \
        if path.is_absolute() else str(path)
    required(directory, ["add", "--", relative], env, f"adding {relative} to git",
             "check the file is not ignored by .gitignore")
    required(directory, ["commit", "-q", "--only", "-F", "-", "--", relative], env,
             f"committing {relative}", _IDENTITY_HINT, stdin=message)
    return head_commit(directory, env)[0]


def check_remote(directory: Path, remote: str, env: Mapping[str, str]) -> None:
    """A ReleaseError unless ``remote`` is a configured git remote with a URL to push to."""
    if git(directory, ["remote", "get-url", "--push", "--", remote], env).code == 0:
        return
    names = git(directory, ["remote"], env).stdout.split()
    configured = f"the configured remotes are {', '.join(names)}" if names else \
        "this repository has no remote"
    raise ReleaseError(f"the git remote '{remote}' to push the release tag to does not exist "
                       f"({configured})",
                       f"name one with --remote NAME, or add it: git remote add {remote} URL")


def push_tag(directory: Path, name: str, env: Mapping[str, str], remote: str = "origin") -> None:
    required(directory, ["push", remote, f"refs/tags/{name}"], env,
             f"pushing the git tag {name} to {remote}",
             f"push it yourself once the remote is reachable: git push {remote} {name}")
