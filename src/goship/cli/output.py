"""How the CLI shows progress and results: results on stdout (or in the file --output
names), everything else on stderr."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

from goship.errors import OutputError


def write_report(report: str | bytes, output: str | None, what: str) -> None:
    """``report`` on stdout, or, with ``output``, in that file, whole or not at all (temp file
    + rename); OutputError (exit code 8) naming ``what`` ("the scan report") when it cannot be
    written."""
    if output is None:
        if isinstance(report, str):
            sys.stdout.write(report)
        else:
            sys.stdout.buffer.write(report)
        sys.stdout.flush()
        return
    from goship.oci.filelock import write_atomic

    path = Path(output)
    try:
        write_atomic(path, report.encode("utf-8") if isinstance(report, str) else report)
    except OSError as exc:
        raise OutputError(f"cannot write {what} to {path}: {exc.strerror}",
                          "check that the directory exists and is writable") from exc


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


class ConsoleReporter:
    """Steps as lines on stderr; on a terminal, uploads also as a live progress bar."""

    def __init__(self, *, verbose: bool = False, quiet: bool = False,
                 stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._verbose = verbose
        self._quiet = quiet
        self._interactive = self._stream.isatty() and not quiet
        self._lock = threading.Lock()
        self._progress: Any = None
        self._tasks: dict[str, Any] = {}
        self._last_plain: dict[str, float] = {}

    def step(self, message: str) -> None:
        if self._quiet:
            return
        with self._lock:
            if self._progress is not None:
                self._progress.console.print(message, highlight=False)
            else:
                print(message, file=self._stream, flush=True)

    def debug(self, message: str) -> None:
        if self._verbose:
            with self._lock:
                print(f"debug: {message}", file=self._stream, flush=True)

    def transfer(self, task: str, done: int, total: int) -> None:
        if self._quiet:
            return
        if not self._interactive:
            # In CI: one line when an upload finishes, none while it runs.
            if done >= total and task not in self._last_plain:
                self._last_plain[task] = time.monotonic()
                self.step(f"{task}: {human_size(total)} done")
            return
        self._bar(f"upload {task}", done, total, f"{human_size(done)}/{human_size(total)}")

    def count(self, task: str, done: int, total: int) -> None:
        if self._quiet or not self._interactive:
            return  # in CI the step lines already say what happens
        self._bar(task, done, total, f"{done}/{total}")

    def _bar(self, task: str, done: int, total: int, detail: str) -> None:
        with self._lock:
            progress = self._ensure_progress()
            if progress is None:
                return
            if task not in self._tasks:
                self._tasks[task] = progress.add_task(task, total=total, detail=detail)
            progress.update(self._tasks[task], completed=done, detail=detail)

    def _ensure_progress(self) -> Any:
        if self._progress is None:
            try:
                from rich.console import Console
                from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
            except ImportError:
                self._interactive = False
                return None
            self._progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                      TextColumn("{task.fields[detail]}"), TimeElapsedColumn(),
                                      console=Console(file=self._stream), transient=True)
            self._progress.start()
        return self._progress

    def close(self) -> None:
        with self._lock:
            if self._progress is not None:
                self._progress.stop()
                self._progress = None
