"""Image references as FROM and ``COPY --from`` name them, and the policy's globs over them.

A glob (PolicySettings.allowed_bases, builder_images) matches the reference as written, in
its short Docker Hub form (``alpine:3.20``) and in full (``docker.io/library/alpine:3.20``).
Its part after the last ``:`` matches the tag; a glob with no tag part (``gcr.io/distroless/*``)
matches any tag or digest, and so does ``*`` after the colon (``alpine:*`` takes
``alpine@sha256:...`` too).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from goship.errors import UsageError
from goship.oci.reference import DEFAULT_REGISTRY, Reference


@dataclass(frozen=True)
class ImageName:
    written: str
    registry: str  # "docker.io"
    repository: str  # "library/alpine"
    tag: str  # "" when none is written
    digest: str  # "" when none is written

    @property
    def short_repository(self) -> str:
        """``alpine`` for docker.io/library/alpine, ``team/app`` for docker.io/team/app."""
        if self.registry != DEFAULT_REGISTRY:
            return f"{self.registry}/{self.repository}"
        return self.repository.removeprefix("library/")

    @property
    def repositories(self) -> tuple[str, ...]:
        """The repository in every form a glob may use."""
        return (self.short_repository, f"{self.registry}/{self.repository}",
                self.written.partition("@")[0].rpartition(":")[0] if self.tag
                else self.written.partition("@")[0])

    @property
    def name(self) -> str:
        """The last path part of the repository: ``golang``, ``nanoserver``."""
        return self.repository.rsplit("/", 1)[-1]

    @property
    def is_latest(self) -> bool:
        return self.tag == "latest"


@functools.lru_cache(maxsize=4096)  # the same few bases recur in every file of a repository
def parse_image(text: str) -> ImageName | None:
    """The parts of an image reference, or None when ``text`` is not one."""
    if not text or text.lower() == "scratch":
        return None
    try:
        reference = Reference.parse(text, default_tag="")
    except UsageError:
        return None
    return ImageName(text, reference.registry, reference.repository, reference.tag,
                     str(reference.digest) if reference.digest else "")


def matches(image: ImageName, patterns: Iterable[str]) -> bool:
    return any(_matches(image, pattern) for pattern in patterns)


def _matches(image: ImageName, pattern: str) -> bool:
    slash = pattern.rfind("/")
    colon = pattern.rfind(":")
    repository_pattern, tag_pattern = (pattern[:colon], pattern[colon + 1:]) if colon > slash else (
        pattern, None)
    repository_pattern = repository_pattern.partition("@")[0]
    if not any(fnmatchcase(candidate, repository_pattern) for candidate in image.repositories):
        return False
    return tag_pattern is None or fnmatchcase(image.tag, tag_pattern)


def is_windows(image: ImageName) -> bool:
    """Windows base images and Windows variants of others (``golang:1.22-nanoserver-ltsc2022``)."""
    text = f"{image.repository}:{image.tag}".lower()
    return "nanoserver" in text or "servercore" in text or image.repository.startswith("windows/")
