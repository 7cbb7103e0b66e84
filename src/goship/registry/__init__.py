"""OCI distribution client: transport (auth challenge, retries, TLS), keychain (docker
config.json, credential helpers, explicit credentials), manifests, blobs, uploads, tags.

Imports only :mod:`goship.oci` and :mod:`goship.errors`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from goship.registry.blobs import BlobReader
    from goship.registry.client import RegistryClient
    from goship.registry.credentials import (
        AnonymousKeychain,
        Credentials,
        Keychain,
        MultiKeychain,
        StaticKeychain,
    )
    from goship.registry.dockerconfig import DockerConfigKeychain
    from goship.registry.options import RegistryOptions
    from goship.registry.transport import Transport

# Loaded on first use: a command that needs only RegistryOptions (a Go download, say) does
# not pay for importing the whole client.
_WHERE = {
    "BlobReader": "blobs", "RegistryClient": "client", "AnonymousKeychain": "credentials",
    "Credentials": "credentials", "Keychain": "credentials", "MultiKeychain": "credentials",
    "StaticKeychain": "credentials", "DockerConfigKeychain": "dockerconfig",
    "RegistryOptions": "options", "Transport": "transport",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"goship.registry.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'goship.registry' has no attribute {name!r}")


__all__ = [
    "AnonymousKeychain",
    "BlobReader",
    "Credentials",
    "DockerConfigKeychain",
    "Keychain",
    "MultiKeychain",
    "RegistryClient",
    "RegistryOptions",
    "StaticKeychain",
    "Transport",
]
