"""Which registries may be spoken to over plain HTTP."""

from __future__ import annotations

import pytest

from goship.registry.options import RegistryOptions, is_loopback, split_host_port


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:5000", "127.0.0.1:5000", "127.8.9.10", "[::1]:5000", "[::1]"]
)
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)
    assert RegistryOptions().allows_plain_http(host)


@pytest.mark.parametrize("host", ["registry.example.com", "10.0.0.1:5000", "localhost.evil.com"])
def test_other_hosts_need_https(host: str) -> None:
    assert not RegistryOptions().allows_plain_http(host)


def test_insecure_entries_match_host_or_host_and_port() -> None:
    options = RegistryOptions(insecure=("lab.example", "other.example:5000"))
    assert options.allows_plain_http("lab.example")
    assert options.allows_plain_http("lab.example:1234")
    assert options.allows_plain_http("other.example:5000")
    assert not options.allows_plain_http("other.example:5001")
    assert not options.allows_plain_http("other.example")


def test_split_host_port() -> None:
    assert split_host_port("[::1]:5000") == ("::1", 5000)
    assert split_host_port("reg.example") == ("reg.example", None)
