"""Typed errors with exit codes.

Every failure a user can cause or meet raises a ``GoshipError`` subclass carrying a
one-line message naming the operation and the object, a hint saying what to do next,
and the exit code the CLI returns. The codes are documented in docs/exit-codes.md.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    INTERNAL = 1
    USAGE = 2
    CONFIG = 3
    BUILD = 4
    IMAGE = 5
    REGISTRY = 6
    AUTH = 7
    OUTPUT = 8
    POLICY = 9  # `goship lint` found something at or above --fail-on; `goship build` refused to publish
    RELEASE = 10  # versions from git: not a repository, no commits, a go.mod path that breaks the /vN rule
    SIGNATURE = 11  # a key cannot be read or decrypted; no signature verifies with the key
    VULNERABLE = 12  # `goship scan` found a vulnerability at or above --fail-on (not waived)
    TEST = 13  # `goship pipeline`: a Go test failed, or coverage is below [pipeline.test] coverage-min
    DEPLOY = 14  # a cluster unreachable or refusing; a rollout failed (rolled back); pods off the digest
    INTERRUPTED = 130


class GoshipError(Exception):
    """Base of every error goship reports to a user."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(GoshipError):
    """A flag, argument, platform or reference given on the command line is not valid."""

    exit_code = ExitCode.USAGE


class ConfigError(GoshipError):
    """goship.toml (or a GOSHIP_* variable) is malformed or holds an unknown key."""

    exit_code = ExitCode.CONFIG


class BuildError(GoshipError):
    """The Go module or the Go toolchain could not produce a binary."""

    exit_code = ExitCode.BUILD


class ImageError(GoshipError):
    """An image (a base, a layout, a manifest) is missing, malformed or lacks a platform."""

    exit_code = ExitCode.IMAGE


class RegistryError(GoshipError):
    """A registry could not be reached or answered something other than what was asked."""

    exit_code = ExitCode.REGISTRY


class AuthError(RegistryError):
    """A registry refused the credentials (401) or the access (403)."""

    exit_code = ExitCode.AUTH


class PolicyError(GoshipError):
    """Images or Dockerfiles break the image standard (findings at or above the threshold)."""

    exit_code = ExitCode.POLICY


class OutputError(GoshipError):
    """A destination (layout directory, tarball) could not be written."""

    exit_code = ExitCode.OUTPUT


class ReleaseError(GoshipError):
    """Versions and releases from git: not a git repository, no commits yet, git missing, a
    module path in go.mod that breaks Go's major-version rule (/vN)."""

    exit_code = ExitCode.RELEASE
