"""Writing a CI file: never over a different file without ``force``, always whole.

``compare`` says what writing would change (new file, unchanged, or a unified diff against
the file there); ``write`` refuses a change to an existing file unless forced, with the diff
on the error for the CLI to show, and replaces the file atomically (temporary file, rename),
so a CI system never reads half a file.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from goship.errors import OutputError, UsageError


class Status(Enum):
    NEW = "new"
    UNCHANGED = "unchanged"
    CHANGED = "changed"


@dataclass(frozen=True)
class FileChange:
    path: Path  # where the file goes
    shown: str  # the path as the diff and messages name it (relative to the repository)
    text: str  # what goes there
    status: Status
    diff: str = ""  # unified diff from the file there to ``text``; "" unless CHANGED


class OverwriteRefusedError(UsageError):
    """The CI file exists with other content and --force was not given."""

    def __init__(self, message: str, hint: str, diff: str) -> None:
        super().__init__(message, hint)
        self.diff = diff


def compare(path: Path, text: str, *, shown: str) -> FileChange:
    """What writing ``text`` to ``path`` would change."""
    try:
        old = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return FileChange(path, shown, text, Status.NEW)
    except (OSError, UnicodeDecodeError) as exc:
        raise OutputError(f"cannot read {path}: {exc}", "check the file is readable text") from exc
    if old == text:
        return FileChange(path, shown, text, Status.UNCHANGED)
    diff = "".join(difflib.unified_diff(old.splitlines(keepends=True), text.splitlines(keepends=True),
                                        fromfile=f"a/{shown}", tofile=f"b/{shown}"))
    return FileChange(path, shown, text, Status.CHANGED, diff)


def write(change: FileChange, *, force: bool, command: str) -> None:
    """Write ``change`` (nothing when unchanged); ``command`` is what the user ran, for the hint."""
    if change.status is Status.UNCHANGED:
        return
    if change.status is Status.CHANGED and not force:
        raise OverwriteRefusedError(
            f"{change.shown} exists and differs from what goship would write (the diff is above)",
            f"run `{command} --force` to replace it, or `{command} --stdout` to print the new file",
            change.diff,
        )
    from goship.oci.filelock import atomic_file

    try:
        change.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(change.path, prefix=f".{change.path.name}.") as out:
            out.write(change.text.encode("utf-8"))
    except OSError as exc:
        raise OutputError(f"cannot write {change.path}: {exc.strerror or exc}",
                          "check the directory is writable") from exc
