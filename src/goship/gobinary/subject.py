"""The Go binaries in what a user names: ``REF``, ``oci:DIR``, ``tarball:FILE`` or a file.

A source that names an image yields one ``Subject`` per platform image; a file on disk
yields one ``Subject`` holding that binary. Files that are executables but not Go programs
(a shell, a C program) are listed as skipped, with the reason, and never stop the search.
"""

from __future__ import annotations

from dataclasses import dataclass

from goship.gobinary.moduleinfo import BuildInfo


@dataclass(frozen=True)
class GoBinary:
    path: str  # in the image, as the container sees it ("/app/hello"), or the file as given
    info: BuildInfo
    sha256: str  # hex digest of the file's bytes
    size: int

    @property
    def platform(self) -> str:
        """``linux/amd64`` from the binary's own GOOS/GOARCH build settings ("" if absent)."""
        goos, goarch = self.info.setting("GOOS"), self.info.setting("GOARCH")
        return f"{goos}/{goarch}" if goos and goarch else ""


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str  # "not a Go program", "stripped of its build information", ...


@dataclass(frozen=True)
class Subject:
    """One thing examined: a platform image, or a binary on disk."""

    source: str  # as the user gave it
    platform: str  # "linux/amd64" (of the image, or of the binary)
    digest: str | None  # the platform image's manifest digest ("sha256:..."); None for a file
    index_digest: str | None  # the digest the user's reference resolved to, when an index
    binaries: tuple[GoBinary, ...]
    skipped: tuple[Skipped, ...] = ()
