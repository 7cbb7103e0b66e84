"""Where registry credentials come from: the public face of credentials and dockerconfig.

A :class:`Keychain` maps a registry host to :class:`Credentials` (or None for anonymous).
Compose them with :class:`MultiKeychain`, e.g. explicit credentials first, then the
Docker/Podman configuration files::

    MultiKeychain(StaticKeychain.from_username_password(user, password, (host,)),
                  DockerConfigKeychain.from_environment(env, home))
"""

from __future__ import annotations

from goship.registry.credentials import (
    DOCKER_HUB_SERVER_URL,
    AnonymousKeychain,
    Credentials,
    Keychain,
    MultiKeychain,
    StaticKeychain,
    normalize_host,
)
from goship.registry.dockerconfig import DockerConfigKeychain, auth_file_candidates

__all__ = [
    "DOCKER_HUB_SERVER_URL",
    "AnonymousKeychain",
    "Credentials",
    "DockerConfigKeychain",
    "Keychain",
    "MultiKeychain",
    "StaticKeychain",
    "auth_file_candidates",
    "normalize_host",
]
