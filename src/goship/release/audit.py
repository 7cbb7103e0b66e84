"""Audit records of `goship prune`: one JSON file per repository and run, written atomically.

A record says what the run saw (every tag and its digest), what it decided (the plan's hash,
the policy), what it deleted, when and by which rule, and what it skipped or deferred. It is
written when the run starts, again as operations complete (at most every half second, so a
run over thousands of tags does not spend its time rewriting it) and when the run ends,
however it ends; a crash loses at most the last half second of entries, never the file.

Records are also the memory of untagged manifests: the distribution API cannot list
manifests no tag names, so the next run learns them from here (the digests this run saw
tagged, and the untagged ones it knew, with the time each was first seen untagged).

Layout: ``DIR/<registry>/<repository>/<run>.json`` with characters a file system may refuse
replaced by ``_``; ``<run>`` starts with the UTC time, so names sort by time.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goship.errors import ImageError, OutputError
from goship.oci.digest import Digest

RECORD_VERSION = 1
WRITE_INTERVAL = 0.5  # seconds between rewrites while operations run
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def audit_directory(cache: Path) -> Path:
    """Where records go by default: under goship's cache directory."""
    return cache / "audit" / "prune"


def repository_directory(directory: Path, repository: str) -> Path:
    parts = [_UNSAFE.sub("_", part) or "_" for part in repository.split("/")]
    return directory.joinpath(*parts)


@dataclass(frozen=True)
class History:
    """What the newest readable record of a repository remembers."""

    seen: frozenset[Digest] = frozenset()  # digests it saw tagged, or knew untagged
    untagged_since: Mapping[Digest, float] = field(default_factory=dict)
    record: Path | None = None


def read_history(directory: Path, repository: str) -> History:
    """The newest record of ``repository`` that can be read; an empty History when there is
    none (a record that cannot be read is passed over: it only ever means keeping more)."""
    folder = repository_directory(directory, repository)
    try:
        files = sorted(folder.glob("*.json"), reverse=True)
    except OSError:
        return History()
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("repository") != repository:
                continue
            seen = {Digest.parse(str(value)) for value in (data.get("observed") or {}).values()}
            untagged = {Digest.parse(str(key)): float(value)
                        for key, value in (data.get("untagged") or {}).items()}
            seen |= {Digest.parse(str(value)) for value in data.get("throwaways") or ()}
        except (OSError, UnicodeDecodeError, ValueError, TypeError, AttributeError, ImageError):
            continue
        return History(frozenset(seen | set(untagged)), untagged, path)
    return History()


class AuditLog:
    """One run's record file, rewritten whole and atomically as the run goes."""

    def __init__(self, directory: Path, repository: str, run_id: str) -> None:
        self.path = repository_directory(directory, repository) / f"{run_id}.json"
        self._last_write = 0.0

    def write(self, record: Mapping[str, Any], *, force: bool = True) -> None:
        """Write ``record`` now (``force``) or when the last write is WRITE_INTERVAL old."""
        now = time.monotonic()
        if not force and now - self._last_write < WRITE_INTERVAL:
            return
        from goship.oci.filelock import write_atomic

        raw = json.dumps({"version": RECORD_VERSION, **record}, indent=1, sort_keys=True)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, raw.encode("utf-8") + b"\n")
        except OSError as exc:
            raise OutputError(
                f"writing the prune audit record {self.path}: {exc.strerror or exc}",
                "make the directory writable or choose another with --audit-dir; nothing "
                "is deleted without a record") from exc
        self._last_write = now
