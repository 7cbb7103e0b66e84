"""The progress reporter the library reports to; only the CLI decides how it is shown."""

from __future__ import annotations

from typing import Protocol


class Reporter(Protocol):
    def step(self, message: str) -> None:
        """A stage began or ended (compiling api for linux/amd64, pushed a blob, ...)."""

    def transfer(self, task: str, done: int, total: int) -> None:
        """Bytes moved for a task (an upload) so far, out of total."""

    def count(self, task: str, done: int, total: int) -> None:
        """Items of a task finished so far (compilations), out of total."""

    def debug(self, message: str) -> None:
        """Detail shown only with -v."""


class SilentReporter:
    def step(self, message: str) -> None:
        pass

    def transfer(self, task: str, done: int, total: int) -> None:
        pass

    def count(self, task: str, done: int, total: int) -> None:
        pass

    def debug(self, message: str) -> None:
        pass
