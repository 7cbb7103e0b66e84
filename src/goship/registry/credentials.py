"""Registry credentials and the keychains that hold them (explicit and combined).

The Docker/Podman configuration files are read by :mod:`goship.registry.dockerconfig`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

# Docker Hub answers under several names; config files key it by its v1 index URL.
DOCKER_HUB_ALIASES = ("docker.io", "index.docker.io", "registry-1.docker.io")
DOCKER_HUB_SERVER_URL = "https://index.docker.io/v1/"


@dataclass(frozen=True)
class Credentials:
    """A username with a password, or an identity (OAuth2 refresh) token.

    The secrets never appear in ``repr``/``str``: this object ends up in error messages
    and debug logs.
    """

    username: str = ""
    password: str = field(default="", repr=False)
    identity_token: str = field(default="", repr=False)

    def __repr__(self) -> str:
        password = "<redacted>" if self.password else "''"
        token = "<redacted>" if self.identity_token else "''"
        return (
            f"Credentials(username={self.username!r}, password={password}, "
            f"identity_token={token})"
        )

    __str__ = __repr__

    @property
    def has_basic(self) -> bool:
        return bool(self.username or self.password)


class Keychain(Protocol):
    def resolve(self, registry_host: str) -> Credentials | None:
        """Credentials for ``registry_host`` (``name[:port]``), or None for anonymous."""
        ...


def normalize_host(server: str) -> str:
    """The host part of a config key or registry name: no scheme, no path, lowercase,
    Docker Hub aliases folded into ``docker.io``."""
    text = server.strip()
    for prefix in ("https://", "http://"):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :]
    host = text.split("/", 1)[0].lower()
    return "docker.io" if host in DOCKER_HUB_ALIASES else host


def helper_server_url(registry_host: str) -> str:
    """What to hand a credential helper on stdin (Docker passes the v1 URL for Hub)."""
    host = normalize_host(registry_host)
    return DOCKER_HUB_SERVER_URL if host == "docker.io" else host


class AnonymousKeychain:
    def resolve(self, registry_host: str) -> Credentials | None:
        return None


@dataclass(frozen=True)
class StaticKeychain:
    """Explicit credentials (e.g. from flags or GOSHIP_REGISTRY_USERNAME/PASSWORD, which
    the caller reads), for the listed hosts only, or for every host when ``hosts`` is empty."""

    credentials: Credentials
    hosts: tuple[str, ...] = ()

    @classmethod
    def from_username_password(
        cls, username: str, password: str, hosts: tuple[str, ...] = ()
    ) -> StaticKeychain:
        return cls(Credentials(username=username, password=password), hosts)

    def resolve(self, registry_host: str) -> Credentials | None:
        if not self.hosts:
            return self.credentials
        wanted = normalize_host(registry_host)
        if any(normalize_host(host) == wanted for host in self.hosts):
            return self.credentials
        return None


class MultiKeychain:
    """Tries keychains in order; the first that has credentials wins."""

    def __init__(self, *keychains: Keychain) -> None:
        if not keychains:
            raise ValueError("MultiKeychain needs at least one keychain")
        self.keychains = keychains

    def resolve(self, registry_host: str) -> Credentials | None:
        for keychain in self.keychains:
            credentials = keychain.resolve(registry_host)
            if credentials is not None:
                return credentials
        return None
