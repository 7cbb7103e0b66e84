"""Registry authorization: Basic credentials and Docker/OCI bearer tokens.

Tokens are fetched from the challenge's realm (GET with Basic credentials or anonymous;
an OAuth2 POST with the refresh token when the credentials are an identity token) and
cached by the exact set of scopes they were asked for. A request needing scopes no cached
token was asked for gets a new token naming all of them: that is the scope upgrade a push
needs (``pull,push`` on the target plus ``pull`` on every repository it mounts from).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from goship.errors import AuthError, RegistryError
from goship.registry.challenge import Challenge, covers
from goship.registry.credentials import Credentials
from goship.registry.failures import content_type, describe, read_limited
from goship.registry.options import RegistryOptions
from goship.registry.urls import display_url

DEFAULT_TOKEN_LIFETIME = 60.0
EXPIRY_MARGIN = 10.0
CLIENT_ID = "goship"

Send = Callable[[httpx.Request], httpx.Response]


@dataclass(frozen=True)
class Token:
    value: str = field(repr=False)
    scopes: tuple[str, ...]
    expires_at: float  # time.monotonic() clock

    def __repr__(self) -> str:
        return f"Token(value=<redacted>, scopes={self.scopes!r})"

    def usable(self, now: float) -> bool:
        return now < self.expires_at


class TokenCache:
    """Tokens of one registry host, thread-safe."""

    def __init__(self) -> None:
        self._tokens: list[Token] = []
        self._lock = threading.Lock()

    def find(self, scopes: Sequence[str]) -> Token | None:
        now = time.monotonic()
        with self._lock:
            self._tokens = [token for token in self._tokens if token.usable(now)]
            for token in self._tokens:
                if covers(token.scopes, scopes):
                    return token
        return None

    def add(self, token: Token) -> None:
        with self._lock:
            self._tokens = [t for t in self._tokens if set(t.scopes) != set(token.scopes)]
            self._tokens.append(token)

    def discard(self, token: Token) -> None:
        with self._lock:
            self._tokens = [t for t in self._tokens if t is not token]


def basic_authorization(credentials: Credentials) -> str:
    pair = f"{credentials.username}:{credentials.password}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def check_realm(realm: str, host: str, options: RegistryOptions) -> str:
    """Refuse realms that would leak credentials over plain HTTP to a remote host."""
    parts = urlsplit(realm)
    if parts.scheme == "https":
        return realm
    if parts.scheme == "http" and parts.netloc and options.allows_plain_http(parts.netloc):
        return realm
    raise RegistryError(
        f"{host} sent a token realm goship will not use: {display_url(realm) or realm!r}",
        "the token server must use HTTPS (plain HTTP only on loopback or for hosts listed "
        "as insecure registries)",
    )


def fetch_token(
    send: Send,
    challenge: Challenge,
    scopes: Sequence[str],
    credentials: Credentials | None,
    *,
    host: str,
    options: RegistryOptions,
) -> Token:
    realm = check_realm(challenge.realm, host, options)
    what = f"getting a token for {host} from {display_url(realm)}"
    if credentials is not None and credentials.identity_token:
        response = send(_oauth_request(realm, challenge, scopes, credentials))
        if response.status_code in (404, 405):
            # Token servers without the OAuth2 endpoint: retry the classic way, anonymously.
            response = send(_get_request(realm, challenge, scopes, None))
    else:
        response = send(_get_request(realm, challenge, scopes, credentials))
    username = credentials.username if credentials else ""
    if response.status_code in (401, 403):
        who = f"the credentials of {username!r}" if username else "the credentials"
        if credentials is None:
            who = "anonymous access"
        raise AuthError(
            f"{what}: the token server refused {who} ({describe(response)})",
            f"log in again with `docker login {host}` (or pass the right credentials)"
            if credentials is not None
            else f"log in with `docker login {host}` (or pass credentials)",
        )
    if response.status_code != 200:
        raise RegistryError(
            f"{what}: the token server answered {describe(response)}",
            "retry later; if it keeps failing, the registry's token service is broken",
        )
    body = read_limited(response)
    media_type = content_type(response)
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        data = None
    if not isinstance(data, dict):
        raise RegistryError(
            f"{what}: the token server did not answer JSON (got {media_type or 'no content type'})",
            "check that the registry's auth realm points at a token service",
        )
    value = data.get("token") or data.get("access_token")
    if not isinstance(value, str) or not value:
        raise RegistryError(
            f"{what}: the token server's answer holds no token",
            "the token service does not follow the Docker token spec",
        )
    lifetime = data.get("expires_in")
    seconds = float(lifetime) if isinstance(lifetime, (int, float)) and lifetime > 0 else 0.0
    seconds = max(seconds or DEFAULT_TOKEN_LIFETIME, DEFAULT_TOKEN_LIFETIME)
    return Token(value, tuple(scopes), time.monotonic() + seconds - EXPIRY_MARGIN)


def _get_request(
    realm: str, challenge: Challenge, scopes: Sequence[str], credentials: Credentials | None
) -> httpx.Request:
    params: list[tuple[str, str | int | float | bool | None]] = []
    if challenge.service:
        params.append(("service", challenge.service))
    params.extend(("scope", scope) for scope in scopes)
    headers = {}
    if credentials is not None and credentials.has_basic:
        params.append(("account", credentials.username))
        headers["Authorization"] = basic_authorization(credentials)
    url = httpx.URL(realm)
    return httpx.Request("GET", url.copy_merge_params(params), headers=headers)


def _oauth_request(
    realm: str, challenge: Challenge, scopes: Sequence[str], credentials: Credentials
) -> httpx.Request:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": credentials.identity_token,
        "client_id": CLIENT_ID,
    }
    if challenge.service:
        form["service"] = challenge.service
    if scopes:
        form["scope"] = " ".join(scopes)
    return httpx.Request("POST", realm, data=form)
