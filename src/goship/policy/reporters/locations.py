"""Where a finding points, as each format needs it: a file in the repository, or an image."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from goship.policy.interface import Finding, RuleInfo


def is_image_finding(finding: Finding, rules: Mapping[str, RuleInfo]) -> bool:
    """Image findings name an image reference, not a file. A rule missing from the catalog
    (a programming error) is judged by its location: images have no line."""
    rule = rules.get(finding.rule)
    if rule is not None:
        return rule.target == "image"
    return finding.location.line is None


def absolute_path(path: str, working_dir: Path | None) -> Path:
    """The finding's file as an absolute, normalised path (``..`` folded, links kept, so
    that it stays under the root the user sees)."""
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = (working_dir or Path.cwd()) / candidate
    return Path(os.path.normpath(candidate))


def repository_path(path: str, *, source_root: Path | None, working_dir: Path | None) -> str | None:
    """The file relative to ``source_root`` with forward slashes, or None when it lies
    outside. Without a root, a relative path is taken as relative to the root already."""
    if source_root is None:
        if Path(path).is_absolute():
            return None
        return PurePosixPath(*Path(os.path.normpath(path)).parts).as_posix()
    full = absolute_path(path, working_dir)
    root = Path(os.path.normpath(source_root))
    for candidate, base in ((full, root), (full.resolve(), root.resolve())):
        try:
            return candidate.relative_to(base).as_posix()
        except ValueError:
            continue
    return None
