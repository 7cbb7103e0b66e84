"""Which registry requests go through the proxy taken from HTTPS_PROXY / NO_PROXY."""

from __future__ import annotations

from goship.registry.options import RegistryOptions


def test_loopback_and_no_proxy_hosts_bypass_the_proxy() -> None:
    options = RegistryOptions(proxy="http://proxy.corp:3128", no_proxy=(".internal", "registry.local"))
    assert options.proxy_for("127.0.0.1:5000") is None
    assert options.proxy_for("localhost:5000") is None
    assert options.proxy_for("harbor.internal") is None
    assert options.proxy_for("registry.local:443") is None
    assert options.proxy_for("ghcr.io") == "http://proxy.corp:3128"


def test_star_disables_the_proxy_everywhere() -> None:
    assert RegistryOptions(proxy="http://p:1", no_proxy=("*",)).proxy_for("ghcr.io") is None


def test_no_proxy_setting_means_direct() -> None:
    assert RegistryOptions().proxy_for("ghcr.io") is None
