"""Clients and sample images for the registry client's integration tests.

The registries themselves come from ``tests.fixtures.registry`` (loaded as a plugin by
the root conftest).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from tests.fixtures.registry import RunningRegistry
from tests.fixtures.samples import keychain_of

from goship.registry import Keychain, RegistryClient, RegistryOptions

ClientFactory = Callable[..., RegistryClient]


@pytest.fixture
def make_client() -> Iterator[ClientFactory]:
    """``make_client(registry, keychain=None, **options)``: a client trusting the registry's
    CA, closed at the end of the test. Retries are kept short so failures are quick."""
    clients: list[RegistryClient] = []

    def make(registry: RunningRegistry, keychain: Keychain | None = None,
             **options: object) -> RegistryClient:
        settings: dict[str, object] = {"ca_file": registry.ca_file, "retries": 1,
                                       "backoff": 0.01, "timeout": 30}
        settings.update(options)
        client = RegistryClient(RegistryOptions(**settings),  # type: ignore[arg-type]
                                keychain if keychain is not None else keychain_of(registry))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
