"""The errors of the Go version manager.

Exit codes follow docs/exit-codes.md: a version or platform that does not exist, or an
archive goship refuses, is a BUILD failure (no usable Go toolchain); a version spec that
cannot be read is USAGE; a release index or mirror that cannot be reached is REGISTRY (a
download server could not be reached or answered something else); the goship home that
cannot be written is OUTPUT.
"""

from __future__ import annotations

from dataclasses import dataclass

from goship.errors import ExitCode, GoshipError


class ToolchainError(GoshipError):
    """Base of the Go version manager's errors."""

    exit_code = ExitCode.BUILD


class VersionSyntaxError(ToolchainError):
    """A Go version or version spec ("1.22", "go1.22.10", "latest") cannot be read."""

    exit_code = ExitCode.USAGE


class UnknownVersionError(ToolchainError):
    """No release in the index matches the version asked for."""


class NoArchiveError(ToolchainError):
    """The release exists but has no archive for the wanted OS and architecture."""


class ReleaseIndexError(ToolchainError):
    """The release index is not the JSON list go.dev/dl serves."""


class IndexUnavailableError(ToolchainError):
    """The release index could not be fetched and no cached copy exists."""

    exit_code = ExitCode.REGISTRY


@dataclass(frozen=True)
class MirrorFailure:
    """Why one mirror could not deliver an archive."""

    mirror: str
    reason: str


class DownloadError(ToolchainError):
    """No mirror delivered the archive with the size and SHA-256 the index names."""

    exit_code = ExitCode.REGISTRY

    def __init__(self, message: str, hint: str = "", failures: tuple[MirrorFailure, ...] = ()) -> None:
        super().__init__(message, hint)
        self.failures = failures


class ArchiveError(ToolchainError):
    """An archive holds an entry goship refuses to extract, or is not a Go distribution."""


class InstallError(ToolchainError):
    """The goship home cannot be written (no space, no permission, read-only)."""

    exit_code = ExitCode.OUTPUT


class NotInstalledError(ToolchainError):
    """The version asked for is not installed."""


class ActiveVersionError(ToolchainError):
    """The operation would remove the version the global link points at."""

    exit_code = ExitCode.USAGE


class NoVersionSelectedError(ToolchainError):
    """Nothing says which Go version applies in a directory."""
