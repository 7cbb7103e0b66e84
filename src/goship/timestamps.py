"""Timestamps as images and binaries record them."""

from __future__ import annotations

from datetime import UTC, datetime


def rfc3339(epoch: int) -> str:
    """``2024-10-01T12:00:00Z`` for a Unix time: the form of `created` and of `{{.Date}}`."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
