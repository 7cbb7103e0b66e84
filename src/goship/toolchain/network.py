"""GET requests for the release index and the download mirrors.

``get`` answers a URL with a ``Response`` whose body is read in chunks, following
redirects. https:// goes through httpx, with the registry client's proxy and NO_PROXY rules
and TLS trust store (certifi plus an optional private CA), so a mirror behind a corporate
proxy behaves like a registry behind it.

Plain http:// (an internal or local mirror), directly or through an http:// proxy, goes
through the standard library's http.client instead, written here by hand because httpx
costs more than the request on this path: importing it and building a client with its TLS
context takes about 60 ms before the first byte, and its per-chunk decoding holds the
interpreter lock the extracting thread needs. The rules are the same: the proxy the caller
passes (never the environment), none for loopback or NO_PROXY hosts, credentials in the
URL sent as Basic auth, redirects followed (one to https:// is handed to httpx). A proxy
that is not an http:// URL (socks5://, https://) is left to httpx as well.

Every failure to get an answer is a RequestError with a short reason.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import ssl
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import SplitResult, unquote, urljoin, urlsplit

from goship.registry.options import RegistryOptions

if TYPE_CHECKING:
    import http.client

    import httpx

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 20  # httpx's limit


class RequestError(Exception):
    """No usable answer: ``reason`` says why ("connection refused", "timed out")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class DownloadOptions:
    proxy: str | None = None  # for https:// URLs
    no_proxy: tuple[str, ...] = ()
    http_proxy: str | None = None  # for http:// URLs (an internal mirror)
    ca_file: Path | None = None  # a private CA for an internal mirror, added to certifi's
    timeout: float = 60
    user_agent: str = "goship/0.1"

    def proxy_for(self, url: str) -> str | None:
        """The proxy a request for ``url`` goes through: none for loopback or NO_PROXY hosts."""
        parts = urlsplit(url)
        proxy = self.http_proxy if parts.scheme == "http" else self.proxy
        return RegistryOptions(proxy=proxy, no_proxy=self.no_proxy).proxy_for(parts.netloc.rpartition("@")[2])

    def client_for(self, url: str) -> httpx.Client:
        """An httpx client for ``url``'s host: redirects followed (go.dev/dl sends to dl.google.com)."""
        import httpx

        from goship.registry.sender import ssl_context

        options = RegistryOptions(ca_file=self.ca_file, timeout=self.timeout, user_agent=self.user_agent)
        return httpx.Client(
            verify=ssl_context(options),
            timeout=httpx.Timeout(self.timeout),
            trust_env=False,  # the proxy comes in options, never from the environment
            proxy=self.proxy_for(url),
            headers={"User-Agent": self.user_agent},
            follow_redirects=True,
        )


class Response(Protocol):
    @property
    def status(self) -> int: ...

    def header(self, name: str) -> str | None: ...

    def iter_bytes(self, size: int) -> Iterator[bytes]:
        """The body as it arrives, in chunks of up to ``size`` bytes (RequestError when the
        connection fails or closes before the announced end)."""
        ...

    def read(self) -> bytes:
        """The whole body, decoded when the server compressed it."""
        ...


def is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


@contextlib.contextmanager
def get(url: str, options: DownloadOptions) -> Iterator[Response]:
    """GET ``url``, following redirects; the response is closed when the block ends."""
    for _ in range(MAX_REDIRECTS + 1):
        proxy = options.proxy_for(url)
        if not url.startswith("http://") or (proxy is not None and not proxy.startswith("http://")):
            break
        connection, response = _plain_request(url, proxy, options)
        try:
            location = response.getheader("Location")
            if response.status in REDIRECT_STATUSES and location:
                url = urljoin(url, location)
                continue
            yield _PlainResponse(response)
            return
        finally:
            connection.close()
    else:
        raise RequestError(f"more than {MAX_REDIRECTS} redirects")
    with _httpx_get(url, options) as answer:
        yield answer


def _plain_request(url: str, proxy: str | None,
                   options: DownloadOptions) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    import http.client

    parts = urlsplit(url)
    headers = {"User-Agent": options.user_agent, "Accept": "*/*"}
    if parts.username is not None:
        headers["Authorization"] = _basic(parts.username, parts.password)
    host, port = _host_port(parts)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    if proxy is not None:  # the absolute URL, to the proxy, which reaches the host
        proxy_parts = urlsplit(proxy)
        if proxy_parts.username is not None:
            headers["Proxy-Authorization"] = _basic(proxy_parts.username, proxy_parts.password)
        headers["Host"] = parts.netloc.rpartition("@")[2]
        target = f"http://{headers['Host']}{target}"
        host, port = _host_port(proxy_parts)
    connection = http.client.HTTPConnection(host, port, timeout=options.timeout)
    try:
        connection.request("GET", target, headers=headers)
        return connection, connection.getresponse()
    except (OSError, http.client.HTTPException, ValueError) as exc:
        connection.close()
        raise RequestError(failure_reason(exc)) from exc


def _host_port(parts: SplitResult) -> tuple[str, int]:
    try:
        port = parts.port
    except ValueError as exc:
        raise RequestError(f"bad port in {parts.geturl()}") from exc
    return parts.hostname or "", port or 80


def _basic(username: str, password: str | None) -> str:
    pair = f"{unquote(username)}:{unquote(password or '')}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


class _PlainResponse:
    def __init__(self, response: http.client.HTTPResponse) -> None:
        self._response = response

    @property
    def status(self) -> int:
        return self._response.status

    def header(self, name: str) -> str | None:
        return self._response.getheader(name)

    def iter_bytes(self, size: int) -> Iterator[bytes]:
        import http.client

        received = 0
        while True:
            try:
                chunk = self._response.read(size)
            except (OSError, http.client.HTTPException) as exc:
                raise RequestError(failure_reason(exc)) from exc
            if not chunk:
                break
            received += len(chunk)
            yield chunk
        missing = self._response.length  # what Content-Length announced and did not come
        if missing:
            raise RequestError(f"the connection closed after {received} of {received + missing} bytes")

    def read(self) -> bytes:
        raw = b"".join(self.iter_bytes(1 << 20))
        encoding = (self.header("Content-Encoding") or "identity").strip().lower()
        if encoding in ("gzip", "x-gzip", "deflate"):
            try:
                return zlib.decompress(raw, zlib.MAX_WBITS | (16 if "gzip" in encoding else 0))
            except zlib.error as exc:
                raise RequestError(f"the {encoding} body does not decompress: {exc}") from exc
        return raw


@contextlib.contextmanager
def _httpx_get(url: str, options: DownloadOptions) -> Iterator[Response]:
    import httpx

    try:
        client = options.client_for(url)
    except ValueError as exc:  # a proxy URL httpx cannot use
        raise RequestError(f"cannot use the proxy: {exc}") from exc
    try:
        with client, client.stream("GET", url) as response:
            yield _HttpxResponse(response)
    except httpx.HTTPError as exc:
        raise RequestError(failure_reason(exc)) from exc


class _HttpxResponse:
    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status(self) -> int:
        return self._response.status_code

    def header(self, name: str) -> str | None:
        value: str | None = self._response.headers.get(name)
        return value

    def iter_bytes(self, size: int) -> Iterator[bytes]:
        import httpx

        try:
            yield from self._response.iter_bytes(size)
        except httpx.HTTPError as exc:
            raise RequestError(failure_reason(exc)) from exc

    def read(self) -> bytes:
        import httpx

        try:
            return self._response.read()
        except httpx.HTTPError as exc:
            raise RequestError(failure_reason(exc)) from exc


def failure_reason(exc: BaseException) -> str:
    """A short reason for a failed request: "connection refused", "timed out"."""
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
        if isinstance(current, TimeoutError):
            return "timed out"
        current = current.__cause__ or current.__context__
    httpx = sys.modules.get("httpx")  # an httpx error can only come once httpx is loaded
    if httpx is not None and isinstance(exc, httpx.TimeoutException):
        return "timed out"
    text = str(exc).strip()
    return text or type(exc).__name__
