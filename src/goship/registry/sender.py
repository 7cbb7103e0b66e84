"""Sending HTTP requests to one registry host: pooled clients, TLS settings, a fresh
request per attempt (re-opening streamed bodies), retries with exponential backoff and
jitter, and redirects that never carry registry credentials to another host.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping

import certifi
import httpx

from goship.errors import ConfigError, RegistryError
from goship.registry.failures import is_certificate_error, is_tls_protocol_error, network_error
from goship.registry.options import RegistryOptions, split_host_port
from goship.registry.urls import display_url, resolve_location

log = logging.getLogger(__name__)

BodyFactory = Callable[[], Iterable[bytes]]
Built = tuple[httpx.Request, Callable[[], None]]

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
MAX_RETRY_AFTER = 60.0

_jitter = random.Random()  # noqa: S311 - jitter, not cryptography


_contexts: dict[tuple[str, int], ssl.SSLContext] = {}
_contexts_lock = threading.Lock()


def ssl_context(options: RegistryOptions) -> ssl.SSLContext:
    """The certifi bundle plus ``options.ca_file`` (a private registry CA).

    Loading the bundle costs 15-25 ms, so a context is made once per CA file (and its
    modification time) and shared: the build server then pays for it once, not per build.
    """
    key = ("", 0)
    if options.ca_file is not None:
        with contextlib.suppress(OSError):
            key = (str(options.ca_file), options.ca_file.stat().st_mtime_ns)
    with _contexts_lock:
        if key not in _contexts:
            _contexts[key] = _new_ssl_context(options)
        return _contexts[key]


def _new_ssl_context(options: RegistryOptions) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=certifi.where())
    if options.ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(options.ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"cannot use the CA file {options.ca_file}: {exc}",
                "pass a PEM file holding the certificate(s) of the CA that signed the "
                "registry's certificate",
            ) from exc
    return context


def _client(options: RegistryOptions, verify: ssl.SSLContext | bool, host: str) -> httpx.Client:
    return httpx.Client(
        verify=verify,
        http1=True,
        http2=False,
        timeout=httpx.Timeout(options.timeout),
        trust_env=False,  # the library never reads the environment; proxy comes in options
        proxy=options.proxy_for(host),
        headers={"User-Agent": options.user_agent},
        follow_redirects=False,
        limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
    )


class Sender:
    """Thread-safe: httpx clients pool connections across threads."""

    def __init__(self, host: str, options: RegistryOptions) -> None:
        self.host = host
        self.options = options
        self._verified = ssl_context(options)
        # Hosts listed as insecure skip verification, but only towards that host: token
        # realms and storage redirects elsewhere are still verified.
        self._insecure = options.is_insecure(host)
        self._client = _client(options, False if self._insecure else self._verified, host)
        self._other_client: httpx.Client | None = None
        self._client_lock = threading.Lock()

    def close(self) -> None:
        self._client.close()
        if self._other_client is not None:
            self._other_client.close()

    def is_own(self, url: httpx.URL) -> bool:
        """Whether ``url`` points at this transport's registry host (port-aware)."""
        name, port = split_host_port(self.host)
        default = 443 if url.scheme == "https" else 80
        return url.host.lower() == name.lower() and (url.port or default) == (port or default)

    def client_for(self, url: str | httpx.URL) -> httpx.Client:
        if not self._insecure or self.is_own(httpx.URL(str(url))):
            return self._client
        with self._client_lock:
            if self._other_client is None:
                # Token realms and storage redirects: no host to judge, so NO_PROXY by ours.
                self._other_client = _client(self.options, self._verified, self.host)
            return self._other_client

    def builder(
        self,
        method: str,
        url: str | httpx.URL,
        headers: Mapping[str, str] | httpx.Headers,
        content: bytes | None = None,
        body: BodyFactory | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> Callable[[], Built]:
        """A function building a fresh request per attempt (re-opening a streamed body)."""

        def build() -> Built:
            stream = body() if body is not None else None
            data = content if stream is None else stream
            client = self.client_for(url)
            if timeout is None:
                request = client.build_request(method, url, headers=headers, content=data)
            else:
                request = client.build_request(
                    method, url, headers=headers, content=data, timeout=timeout
                )
            return request, _closer(stream)

        return build

    def send(
        self,
        build: Callable[[], Built],
        *,
        what: str,
        retry: bool,
        stream: bool = False,
    ) -> httpx.Response:
        attempts = 1 + max(self.options.retries, 0) if retry else 1
        for attempt in range(attempts):
            request, cleanup = build()
            last = attempt + 1 >= attempts
            try:
                response = self.client_for(request.url).send(request, stream=stream)
            except httpx.HTTPError as exc:
                if last or not _retryable(exc):
                    raise network_error(exc, self.host, what, self.options.timeout) from exc
                delay = self._backoff(attempt)
                log.debug("%s: %s; retrying in %.2fs", what, type(exc).__name__, delay)
                time.sleep(delay)
                continue
            finally:
                cleanup()
            if response.status_code in RETRY_STATUSES and not last:
                asked = _retry_after(response)
                delay = self._backoff(attempt) if asked is None else asked
                if delay > MAX_RETRY_AFTER:
                    return response  # waiting that long is the user's call, not ours
                log.debug(
                    "%s: %s answered %d; retrying in %.2fs",
                    what, display_url(str(request.url)), response.status_code, delay,
                )
                response.close()
                time.sleep(delay)
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        return float(self.options.backoff * (2**attempt) * _jitter.uniform(0.5, 1.5))

    def follow(
        self,
        response: httpx.Response,
        method: str,
        headers: Mapping[str, str],
        what: str,
        stream: bool,
    ) -> httpx.Response:
        origin = response.request.url.netloc
        authorization = response.request.headers.get("authorization")
        for _hop in range(MAX_REDIRECTS):
            if response.status_code not in REDIRECT_STATUSES:
                return response
            location = resolve_location(
                str(response.request.url), response.headers.get("location"), what
            )
            status = response.status_code
            response.close()
            sent = dict(headers)
            # Storage backends (S3 and the like) get no registry credentials.
            if authorization and httpx.URL(location).netloc == origin:
                sent["Authorization"] = authorization
            next_method = "GET" if status == 303 and method != "HEAD" else method
            response = self.send(
                self.builder(next_method, location, sent), what=what, retry=True, stream=stream
            )
        if response.status_code in REDIRECT_STATUSES:
            response.close()
            raise RegistryError(
                f"{what}: {self.host} redirected more than {MAX_REDIRECTS} times",
                "the registry or its storage is misconfigured; ask its operator",
            )
        return response


def _retryable(exc: httpx.HTTPError) -> bool:
    """Transient failures; TLS problems do not heal by retrying."""
    if is_certificate_error(exc) or is_tls_protocol_error(exc):
        return False
    return isinstance(exc, (httpx.NetworkError, httpx.TimeoutException, httpx.RemoteProtocolError))


def _no_cleanup() -> None:
    pass


def _closer(body: Iterable[bytes] | None) -> Callable[[], None]:
    """Close a body generator after its attempt, so the file behind it is closed."""
    close = getattr(body, "close", None)
    return close if callable(close) else _no_cleanup


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
