"""Image references: ``[registry/]repository[:tag][@digest]``, normalised like Docker does."""

from __future__ import annotations

import re
from dataclasses import dataclass

from goship.errors import UsageError
from goship.oci.digest import Digest

DEFAULT_REGISTRY = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_HOST = re.compile(
    r"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
    r"|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$"
)


def is_valid_tag(tag: str) -> bool:
    return bool(_TAG.match(tag))


@dataclass(frozen=True)
class Reference:
    registry: str
    repository: str
    tag: str = ""
    digest: Digest | None = None

    @classmethod
    def parse(cls, text: str, default_tag: str = "latest") -> Reference:
        original = text
        if not text or text != text.strip():
            raise UsageError(f"'{original}' is not an image reference", _REFERENCE_HINT)
        digest: Digest | None = None
        if "@" in text:
            text, _, digest_text = text.partition("@")
            try:
                digest = Digest.parse(digest_text)
            except Exception as exc:
                raise UsageError(
                    f"'{original}' is not an image reference: bad digest '{digest_text}'",
                    _REFERENCE_HINT,
                ) from exc
        registry = DEFAULT_REGISTRY
        first, slash, rest = text.partition("/")
        if slash and ("." in first or ":" in first or first == "localhost" or first.startswith("[")):
            registry, text = first, rest
        tag = ""
        last_slash = text.rfind("/")
        colon = text.rfind(":")
        if colon > last_slash:
            text, tag = text[:colon], text[colon + 1 :]
            if not is_valid_tag(tag):
                raise UsageError(
                    f"'{original}' is not an image reference: bad tag '{tag}'",
                    "a tag is up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'",
                )
        if not _HOST.match(registry):
            raise UsageError(f"'{original}' is not an image reference: bad registry '{registry}'",
                             _REFERENCE_HINT)
        components = text.split("/")
        if not text or not all(_COMPONENT.match(c) for c in components):
            raise UsageError(
                f"'{original}' is not an image reference: bad repository '{text}'",
                "repository names are lowercase letters, digits and separators (. _ __ -), "
                "in /-separated parts",
            )
        if registry == DEFAULT_REGISTRY and len(components) == 1:
            text = f"library/{text}"
        if len(text) + len(registry) > 255:
            raise UsageError(f"'{original}' is not an image reference: name too long", _REFERENCE_HINT)
        if not tag and digest is None:
            tag = default_tag
        return cls(registry, text, tag, digest)

    @property
    def api_host(self) -> str:
        """The host that serves the /v2/ API of this reference's registry."""
        return DOCKER_HUB_API if self.registry == DEFAULT_REGISTRY else self.registry

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}"

    @property
    def identifier(self) -> str:
        """What goes after /manifests/: the digest when there is one, else the tag."""
        return str(self.digest) if self.digest else self.tag

    def with_tag(self, tag: str) -> Reference:
        return Reference(self.registry, self.repository, tag, None)

    def with_digest(self, digest: Digest) -> Reference:
        return Reference(self.registry, self.repository, self.tag, digest)

    def __str__(self) -> str:
        text = self.name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


_REFERENCE_HINT = "write it as [registry/]repository[:tag][@sha256:...], e.g. 127.0.0.1:5000/team/api:v1"
