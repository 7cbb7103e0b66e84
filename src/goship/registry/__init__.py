"""OCI distribution client: transport (auth challenge, retries, TLS), keychain (docker
config.json, credential helpers, explicit credentials), manifests, blobs, uploads, tags.

Imports only :mod:`goship.oci` and :mod:`goship.errors`.
"""

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
