"""How goship talks to registries: TLS, plain HTTP, timeouts, retries.

Scheme rules (decided once per registry host, by pinging ``/v2/``):

- Every host is spoken to over HTTPS with certificate verification against the certifi
  bundle, plus ``ca_file`` when one is given (so a private CA works alongside public
  storage redirects).
- Loopback hosts (``localhost``, 127.0.0.0/8, ``[::1]``) may also speak plain HTTP: HTTPS is
  tried first and, when the server does not speak TLS at all (the handshake fails with a
  protocol error or does not finish within a few seconds), plain HTTP is used. A loopback
  server that speaks TLS with a certificate we cannot verify is an error, never a
  downgrade, so a test registry with a self-signed CA needs ``ca_file``.
- Hosts listed in ``insecure`` (as ``host`` for any port, or ``host:port``) behave like
  Docker's "insecure registries": HTTPS without certificate verification, falling back to
  plain HTTP when the server does not speak TLS. This weakens security and is meant for
  lab registries only.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RegistryOptions:
    insecure: tuple[str, ...] = ()
    ca_file: Path | None = None
    timeout: float = 60
    retries: int = 4
    backoff: float = 0.5
    user_agent: str = "goship/0.1"
    # Upload blobs in PATCH chunks of this many bytes instead of one streamed PUT.
    chunk_size: int | None = None
    # An HTTP(S) proxy URL for every registry request. The environment (HTTPS_PROXY) is
    # not consulted by the library: the caller passes what it resolved.
    proxy: str | None = None
    # Hosts reached without the proxy (NO_PROXY entries: names, .suffixes, or "*").
    no_proxy: tuple[str, ...] = ()

    def proxy_for(self, host: str) -> str | None:
        """The proxy for requests to ``host``: none for loopback or NO_PROXY hosts."""
        if self.proxy is None or is_loopback(host):
            return None
        name = split_host_port(host)[0].lower()
        for entry in (item.strip().lower() for item in self.no_proxy):
            if entry == "*":
                return None
            bare = entry.lstrip("*").lstrip(".")
            if bare and (name == bare or name.endswith("." + bare) or entry == host.lower()):
                return None
        return self.proxy

    def is_insecure(self, host: str) -> bool:
        """Whether ``host`` (``name`` or ``name:port``) is listed in ``insecure``."""
        name, _ = split_host_port(host)
        wanted = host.lower()
        for entry in self.insecure:
            entry = entry.strip().lower()
            for prefix in ("https://", "http://"):
                entry = entry.removeprefix(prefix)
            entry = entry.rstrip("/")
            if entry == wanted or entry == name.lower():
                return True
        return False

    def allows_plain_http(self, host: str) -> bool:
        return is_loopback(host) or self.is_insecure(host)


def split_host_port(host: str) -> tuple[str, int | None]:
    """``"127.0.0.1:5000"`` -> ``("127.0.0.1", 5000)``; ``"[::1]:5000"`` -> ``("::1", 5000)``."""
    if host.startswith("["):
        end = host.find("]")
        if end == -1:
            return host, None
        name, rest = host[1:end], host[end + 1 :]
        port = rest[1:] if rest.startswith(":") else ""
    else:
        name, _, port = host.partition(":")
    return name, int(port) if port.isdigit() else None


def is_loopback(host: str) -> bool:
    name, _ = split_host_port(host)
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
