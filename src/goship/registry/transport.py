"""One registry host's HTTP transport: scheme discovery, auth, error mapping.

Written by hand on httpx because the Python OCI client libraries available to us fail
the token-scope upgrade a push needs: when a push mounts a blob from another repository
the token must be re-fetched naming ``repository:target:pull,push`` and
``repository:source:pull`` together, and on a 401 the challenge's scope must be merged in
and the token fetched again. Here every request states the scopes it needs and the token
cache (see :mod:`goship.registry.auth`) hands out a token asked for all of them.

A Transport wraps one ``httpx.Client`` (HTTP/1.1, pooled connections; see
:mod:`goship.registry.sender` for retries and redirects) and is safe to use from several
threads at once, as parallel blob uploads do.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from types import TracebackType

import httpx

from goship.errors import AuthError, RegistryError
from goship.registry.auth import Token, TokenCache, basic_authorization, fetch_token
from goship.registry.challenge import Challenge, merge_scopes, parse_challenges, preferred_challenge
from goship.registry.credentials import Credentials, Keychain
from goship.registry.failures import (
    auth_error,
    error_for_status,
    is_certificate_error,
    looks_like_html,
    network_error,
    not_a_registry,
    read_limited,
)
from goship.registry.options import RegistryOptions
from goship.registry.sender import BodyFactory, Sender
from goship.registry.urls import display_url

log = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
# How long an HTTPS probe of a host that may speak plain HTTP waits for the handshake: a
# plain-HTTP server may never answer a TLS ClientHello.
PROBE_CONNECT_TIMEOUT = 5.0


class Transport:
    def __init__(
        self,
        host: str,
        options: RegistryOptions,
        keychain: Keychain,
        *,
        registry: str | None = None,
    ) -> None:
        self.host = host
        self.options = options
        self._registry = registry or host
        self._keychain = keychain
        self._http = Sender(host, options)
        self._lock = threading.Lock()
        self._token_lock = threading.Lock()
        self._base_url: str | None = None
        self._challenge: Challenge | None = None
        self._credentials: Credentials | None = None
        self._credentials_resolved = False
        self._tokens = TokenCache()

    def __repr__(self) -> str:
        return f"Transport(host={self.host!r}, base_url={self._base_url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Transport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- public -----------------------------------------------------------------------

    def base_url(self, what: str) -> str:
        """``https://host`` or ``http://host``, discovered by pinging /v2/ the first time."""
        with self._lock:
            if self._base_url is None:
                self._ping(what)
            assert self._base_url is not None
            return self._base_url

    def request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        scopes: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        body: BodyFactory | None = None,
        stream: bool = False,
        follow_redirects: bool = False,
        retry: bool | None = None,
    ) -> httpx.Response:
        """Send a request with the authorization ``scopes`` need and return the answer.

        ``url`` is a path (``/v2/...``) or an absolute URL (an upload Location). ``body``
        re-opens a streamed body, so the request can be retried or re-sent after a 401.
        Requests are retried on connection errors, 429 and 5xx when ``retry`` is true;
        by default when the method is idempotent. A 401 re-authenticates once with the
        challenge's scope merged in, then raises AuthError. Other statuses are returned
        for the caller to judge. With ``stream`` the caller must close the response.
        """
        base = self.base_url(what)
        absolute = base + url if url.startswith("/") else url
        wanted = merge_scopes(scopes)
        may_retry = retry if retry is not None else method in IDEMPOTENT_METHODS
        request_headers = dict(headers or {})

        # Credentials go only to the registry itself, never to another host a Location
        # points at (upload or storage services).
        own_host = self._http.is_own(httpx.URL(absolute))

        def send(authorization: str | None) -> httpx.Response:
            sent_headers = dict(request_headers)
            if authorization and own_host:
                sent_headers["Authorization"] = authorization
            build = self._http.builder(method, absolute, sent_headers, content, body)
            return self._http.send(build, what=what, retry=may_retry, stream=stream)

        authorization, token = self._authorization(wanted, fresh=False, what=what)
        response = send(authorization)
        if response.status_code == 401:
            retry_with = self._after_unauthorized(response, wanted, token, authorization, what)
            if retry_with is not None:
                response.close()
                wanted, authorization = retry_with
                response = send(authorization)
            if response.status_code == 401:
                raise self._unauthorized(response, what)
        if follow_redirects:
            response = self._http.follow(response, method, request_headers, what, stream)
        return response

    def authorization(self, scopes: Sequence[str], *, what: str) -> str | None:
        """The Authorization header a request to this host needing ``scopes`` goes with now
        (None: none), for requests sent by other means (registry.bulk_heads); a token is
        fetched when no cached one covers ``scopes``. Never send it to another host."""
        self.base_url(what)
        authorization, _ = self._authorization(merge_scopes(scopes), fresh=False, what=what)
        return authorization

    # -- ping and scheme ----------------------------------------------------------------

    def _ping(self, what: str) -> None:
        if not self.options.allows_plain_http(self.host):
            response = self._send_ping("https", what, retry=True)
            self._adopt_ping(response, "https", what)
            return
        try:
            response = self._send_ping("https", what, retry=False, probe=True)
        except _ProbeFailed as failure:
            if is_certificate_error(failure.error):
                raise network_error(failure.error, self.host, what, self.options.timeout) from (
                    failure.error
                )
            log.debug("%s does not speak HTTPS (%s); trying plain HTTP", self.host, failure.error)
            response = self._send_ping("http", what, retry=True)
            if response.status_code == 400 and b"HTTPS" in read_limited(response):
                # The server speaks TLS after all (it says so over HTTP): report the
                # HTTPS failure, which is the real one.
                raise network_error(failure.error, self.host, what, self.options.timeout) from (
                    failure.error
                )
            self._adopt_ping(response, "http", what)
            return
        self._adopt_ping(response, "https", what)

    def _send_ping(
        self, scheme: str, what: str, *, retry: bool, probe: bool = False
    ) -> httpx.Response:
        url = f"{scheme}://{self.host}/v2/"
        if not probe:
            return self._http.send(self._http.builder("GET", url, {}), what=what, retry=retry)
        timeout = httpx.Timeout(
            self.options.timeout, connect=min(self.options.timeout, PROBE_CONNECT_TIMEOUT)
        )
        request, _ = self._http.builder("GET", url, {}, timeout=timeout)()
        try:
            return self._http.client_for(url).send(request)
        except httpx.HTTPError as exc:
            raise _ProbeFailed(exc) from exc

    def _adopt_ping(self, response: httpx.Response, scheme: str, what: str) -> None:
        if looks_like_html(response):
            raise not_a_registry(self.host, response, what)
        if response.status_code == 200:
            self._challenge = None
        elif response.status_code == 401:
            challenge = preferred_challenge(
                parse_challenges(response.headers.get_list("www-authenticate"))
            )
            if challenge is None:
                raise RegistryError(
                    f"{what}: {self.host} asked for authentication without saying how "
                    "(401 without a Bearer or Basic WWW-Authenticate header)",
                    "the registry does not follow the OCI distribution spec",
                )
            self._challenge = challenge
        elif response.status_code in (404, 400) or response.status_code < 400:
            raise not_a_registry(self.host, response, what)
        else:
            raise error_for_status(response, what, self.host)
        self._base_url = f"{scheme}://{self.host}"
        log.debug("%s speaks %s, auth %s", self.host, scheme,
                  self._challenge.scheme if self._challenge else "none")

    # -- auth ---------------------------------------------------------------------------

    def _credentials_for_registry(self) -> Credentials | None:
        with self._lock:
            if not self._credentials_resolved:
                self._credentials = self._keychain.resolve(self._registry)
                self._credentials_resolved = True
            return self._credentials

    def _authorization(
        self, scopes: tuple[str, ...], *, fresh: bool, what: str
    ) -> tuple[str | None, Token | None]:
        challenge = self._challenge
        if challenge is None:
            return None, None
        credentials = self._credentials_for_registry()
        if challenge.scheme == "basic":
            if credentials is not None and credentials.has_basic:
                return basic_authorization(credentials), None
            return None, None
        if challenge.scheme != "bearer":
            return None, None
        if not fresh and (token := self._tokens.find(scopes)) is not None:
            return f"Bearer {token.value}", token
        with self._token_lock:
            if not fresh and (token := self._tokens.find(scopes)) is not None:
                return f"Bearer {token.value}", token
            log.debug("fetching a token for %s with scopes %s", self.host, " ".join(scopes))
            token = fetch_token(
                self._send_token_request,
                challenge,
                scopes,
                credentials,
                host=self.host,
                options=self.options,
            )
            self._tokens.add(token)
        return f"Bearer {token.value}", token

    def _send_token_request(self, request: httpx.Request) -> httpx.Response:
        build = self._http.builder(request.method, request.url, request.headers, request.content)
        what = f"getting a token for {self.host} from {display_url(str(request.url))}"
        return self._http.send(build, what=what, retry=True)

    def _after_unauthorized(
        self,
        response: httpx.Response,
        wanted: tuple[str, ...],
        token: Token | None,
        authorization: str | None,
        what: str,
    ) -> tuple[tuple[str, ...], str | None] | None:
        """What to retry a 401 with (scopes, authorization), or None when retrying is futile."""
        challenge = preferred_challenge(
            parse_challenges(response.headers.get_list("www-authenticate"))
        )
        if challenge is None:
            return None
        if challenge.scheme == "basic":
            if authorization is not None or self._challenge is not None:
                return None  # the credentials were sent and refused
            self._challenge = challenge
            authorization, _ = self._authorization(wanted, fresh=True, what=what)
            return (wanted, authorization) if authorization else None
        if challenge.scheme != "bearer":
            return None
        if self._challenge is None or self._challenge.scheme != "bearer":
            self._challenge = challenge
        if token is not None:
            self._tokens.discard(token)
        merged = merge_scopes(wanted, challenge.scopes)
        authorization, _ = self._authorization(merged, fresh=True, what=what)
        return merged, authorization

    def _unauthorized(self, response: httpx.Response, what: str) -> AuthError:
        credentials = self._credentials_for_registry()
        challenge = preferred_challenge(
            parse_challenges(response.headers.get_list("www-authenticate"))
        )
        denied = ""
        if challenge is not None and challenge.error == "insufficient_scope":
            denied = " ".join(merge_scopes(challenge.scopes))  # registries vary the order
        username = credentials.username if credentials is not None else None
        if credentials is not None and not username and credentials.identity_token:
            username = "<identity token>"
        return auth_error(response, what, self.host, username, denied)


class _ProbeFailed(Exception):
    def __init__(self, error: httpx.HTTPError) -> None:
        super().__init__(str(error))
        self.error = error
