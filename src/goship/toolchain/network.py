"""HTTP clients for the release index and the download mirrors.

The caller passes the proxies it resolved (the library never reads HTTPS_PROXY or HTTP_PROXY); proxy and
NO_PROXY matching and the TLS trust store (certifi plus an optional private CA) are the
registry client's, so a mirror behind a corporate proxy behaves like a registry behind it.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

import httpx

from goship.registry.options import RegistryOptions
from goship.registry.sender import ssl_context


@dataclass(frozen=True)
class DownloadOptions:
    proxy: str | None = None  # for https:// URLs
    no_proxy: tuple[str, ...] = ()
    http_proxy: str | None = None  # for http:// URLs (an internal mirror)
    ca_file: Path | None = None  # a private CA for an internal mirror, added to certifi's
    timeout: float = 60
    user_agent: str = "goship/0.1"

    def client_for(self, url: str) -> httpx.Client:
        """A client for ``url``'s host: redirects followed (go.dev/dl sends to dl.google.com)."""
        parsed = httpx.URL(url)
        host = parsed.netloc.decode("ascii")
        proxy = self.http_proxy if parsed.scheme == "http" else self.proxy
        options = RegistryOptions(proxy=proxy, no_proxy=self.no_proxy, ca_file=self.ca_file,
                                  timeout=self.timeout, user_agent=self.user_agent)
        return httpx.Client(
            verify=ssl_context(options),
            timeout=httpx.Timeout(self.timeout),
            trust_env=False,  # the proxy comes in options, never from the environment
            proxy=options.proxy_for(host),
            headers={"User-Agent": self.user_agent},
            follow_redirects=True,
        )


def is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def failure_reason(exc: BaseException) -> str:
    """A short reason for a failed request: "connection refused", "timed out after 60s"."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, socket.gaierror):
            return f"host name not found ({current.strerror or current})"
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, ssl.SSLCertVerificationError):
            return f"TLS certificate could not be verified ({current.verify_message or current})"
        current = current.__cause__ or current.__context__
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    text = str(exc).strip()
    return text or type(exc).__name__
