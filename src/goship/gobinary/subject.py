"""The Go binaries in what a user names: ``REF``, ``oci:DIR``, ``tarball:FILE`` or a file.

A source that names an image yields one ``Subject`` per platform image; a file on disk
yields one ``Subject`` holding that binary. Files that are executables but not Go programs
(a shell, a C program) are listed as skipped, with the reason, and never stop the search.
A file given on its own must be a Go program: anything else is a ``BuildInfoError``.

The image side (goship.gobinary.image_scan, image_indexes) is imported only when a source
names an image, so reading one binary loads no registry or layer code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from goship.errors import UsageError
from goship.gobinary.buildinfo import read_build_info
from goship.gobinary.moduleinfo import BuildInfo, BuildInfoError, NoBuildInfoError, NotExecutableError

if TYPE_CHECKING:
    from goship.policy.image_source import RegistryAccess

PIECE = 1 << 20
LOCAL_IMAGE_PREFIXES = ("oci:", "tarball:", "docker-archive:", "oci-archive:")  # not in a registry
IMAGE_PREFIXES = (*LOCAL_IMAGE_PREFIXES, "docker://")
_SOURCE_HINT = ("give the path of a Go binary, oci:DIR for an OCI layout, tarball:FILE for an image "
                "tarball, or REGISTRY/REPOSITORY[:TAG] for an image in a registry")


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


def find_go_binaries(source: str, *, access: RegistryAccess | None = None) -> list[Subject]:
    """Every Go binary in ``source``: a binary on disk, ``oci:DIR[:NAME|@DIGEST]``,
    ``tarball:FILE[:TAG]``, or an image reference (``docker://REF`` or ``REF``) read with
    ``access`` (anonymous by default). One Subject per platform image, binaries by path."""
    path = Path(source)
    if not source.startswith(IMAGE_PREFIXES) and path.is_file():
        return [_binary_file(source, path)]
    if not source.startswith(IMAGE_PREFIXES) and not path.exists():
        _refuse_missing_path(source)
    return _image_subjects(source, access)


def _binary_file(source: str, path: Path) -> Subject:
    try:
        with path.open("rb") as stream:
            info = read_build_info(stream, source)
            stream.seek(0)
            digest = hashlib.sha256()
            while piece := stream.read(PIECE):
                digest.update(piece)
            size = stream.tell()
    except OSError as exc:
        raise BuildInfoError(f"cannot read {source}: {exc.strerror}",
                             "check the path and the file's permissions") from exc
    except (NotExecutableError, NoBuildInfoError) as exc:
        hint = (f"give a Go program; for an image tarball write tarball:{source}"
                if isinstance(exc, NotExecutableError) else
                "give the Go program itself; a C program or a script has no Go build information, "
                "and Go records it only since Go 1.13")
        raise type(exc)(f"{source} is {exc.reason}", hint, reason=exc.reason) from exc
    binary = GoBinary(source, info, digest.hexdigest(), size)
    return Subject(source, binary.platform, None, None, (binary,))


def _refuse_missing_path(source: str) -> None:
    """A UsageError when ``source`` reads as a path that is not there (``./bin/api``,
    ``C:\\out\\api.exe``, ``bin/api`` where ``bin`` is a directory here) or is no reference."""
    from goship.oci.reference import Reference

    first = source.replace("\\", "/").split("/", 1)[0]
    drive = len(source) > 2 and source[1] == ":" and source[0].isalpha() and source[2] in "/\\"
    registry_host = "." in first or ":" in first or first == "localhost"
    local_parent = "/" in source and not registry_host and Path(source).parent.is_dir()
    if source.startswith(("/", ".", "~")) or "\\" in source or drive or local_parent:
        raise UsageError(f"{source}: no such file", _SOURCE_HINT)
    try:
        Reference.parse(source, default_tag="")
    except UsageError as exc:
        raise UsageError(f"{source} is neither a file here nor an image reference ({exc.message})",
                         _SOURCE_HINT) from exc


def _image_subjects(source: str, access: RegistryAccess | None) -> list[Subject]:
    from goship.gobinary.image_scan import scan_layers
    from goship.policy.image_source import RegistryAccess, open_source, tarball_path

    access = access or RegistryAccess()
    subjects: list[Subject] = []
    with open_source(source, access=access) as images:
        tarball = tarball_path(source)
        if tarball is None:
            indexes = [image.index_digest for image in images]
        else:  # a tarball's manifest.json does not say; its index.json does
            from goship.gobinary.image_indexes import tarball_index_digests

            indexes = tarball_index_digests(tarball, images)
        for image, index in zip(images, indexes, strict=True):
            title = f"{image.name} {image.platform}" if image.name else str(image.platform)
            binaries, skipped = scan_layers(image.layers, windows=image.windows,
                                            what=f"{source} ({title})")
            subjects.append(Subject(source, str(image.platform), str(image.digest) if image.digest else None,
                                    str(index) if index else None, binaries, skipped))
    return subjects


def describe(subjects: Sequence[Subject]) -> str:
    """One line per subject for a person: platform, digest and what was found in it."""
    lines = []
    for subject in subjects:
        where = f"{subject.platform or 'unknown platform'}"
        if subject.digest:
            where += f" {subject.digest[:19]}"
        names = ", ".join(f"{binary.path} ({binary.info.go_version})" for binary in subject.binaries)
        found = f"{len(subject.binaries)} Go binar{'y' if len(subject.binaries) == 1 else 'ies'}"
        line = f"{subject.source} {where}: {found}" + (f": {names}" if names else "")
        if subject.skipped:
            line += f"; {len(subject.skipped)} skipped"
        lines.append(line)
    return "\n".join(lines)
