"""Turning registry answers and network failures into goship errors a user can act on.

Messages name the operation and the object and never contain credentials, tokens or the
query strings of URLs (upload state and storage signatures live there).
"""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from goship.errors import AuthError, GoshipError, RegistryError

BODY_LIMIT = 64 * 1024
_JSON_TYPES = ("application/json", "+json")


@dataclass(frozen=True)
class ErrorDetail:
    code: str
    message: str

    def __str__(self) -> str:
        if self.code and self.message:
            return f"{self.code}: {self.message}"
        return self.code or self.message


def read_limited(response: httpx.Response, limit: int = BODY_LIMIT) -> bytes:
    """At most ``limit`` bytes of an (error) body, reading a streamed response if need be.

    The body is read once and kept, so several callers may look at it.
    """
    try:
        return response.content[:limit]
    except httpx.ResponseNotRead:
        pass
    try:
        response.read()
    except (httpx.HTTPError, httpx.StreamError):
        return b""  # an error body that breaks off still leaves us the status
    finally:
        response.close()
    return response.content[:limit]


def content_type(response: httpx.Response) -> str:
    value: str = response.headers.get("content-type", "")
    return value.split(";", 1)[0].strip().lower()


def is_json_type(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def error_details(response: httpx.Response) -> list[ErrorDetail]:
    """The ``{"errors": [{"code", "message"}]}`` body of an OCI error answer."""
    body = read_limited(response)
    if not body:
        return []
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return []
    errors = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(errors, list):
        return []
    details = []
    for item in errors:
        if isinstance(item, dict):
            details.append(ErrorDetail(str(item.get("code") or ""), str(item.get("message") or "")))
    return details


def error_codes(response: httpx.Response) -> set[str]:
    return {detail.code for detail in error_details(response)}


def describe(response: httpx.Response) -> str:
    """``401 UNAUTHORIZED: authentication required`` or ``502 Bad Gateway``."""
    details = error_details(response)
    status = f"{response.status_code}"
    if details:
        return f"{status} " + "; ".join(str(detail) for detail in details)
    return f"{status} {response.reason_phrase}".strip()


def looks_like_html(response: httpx.Response) -> bool:
    media_type = content_type(response)
    return media_type in ("text/html", "application/xhtml+xml")


def not_a_registry(host: str, response: httpx.Response, what: str) -> RegistryError:
    got = content_type(response) or "no content type"
    return RegistryError(
        f"{what}: {host} did not answer like an OCI registry (got {got}, status "
        f"{response.status_code})",
        f"check that {host} is a container registry (the API lives under /v2/) and that "
        "no proxy or login page sits in front of it",
    )


def auth_error(
    response: httpx.Response, what: str, host: str, username: str | None, denied_scopes: str = ""
) -> AuthError:
    if response.status_code == 403:
        return AuthError(
            f"{what}: {host} denied access ({describe(response)})",
            f"the account {username!r} lacks permission for this; ask the registry's owner"
            if username
            else f"log in with `docker login {host}` (or pass credentials) and retry",
        )
    who = f" for user {username!r}" if username else " (no credentials found)"
    message = f"{what}: {host} answered {describe(response)}{who}"
    if denied_scopes:
        message += f"; the token does not grant {denied_scopes}"
    hint = (
        f"check the password or token of {username!r} with `docker login {host}`, "
        "and that the account may access this repository"
        if username
        else f"log in with `docker login {host}` (or podman login), or pass credentials"
    )
    return AuthError(message, hint)


def error_for_status(response: httpx.Response, what: str, host: str) -> GoshipError:
    """The error for an unexpected status (callers map 404s that mean "missing" first)."""
    if response.status_code in (401, 403):
        return auth_error(response, what, host, None)
    if looks_like_html(response):
        return not_a_registry(host, response, what)
    if response.status_code == 429:
        return RegistryError(
            f"{what}: {host} is rate limiting requests ({describe(response)})",
            "wait a while and retry, or log in: registries give accounts higher limits",
        )
    if response.status_code >= 500:
        return RegistryError(
            f"{what}: {host} failed with {describe(response)}",
            "the registry had an internal problem; retry later or ask its operator",
        )
    return RegistryError(
        f"{what}: {host} answered {describe(response)}",
        "the registry refused the request; the message above is its reason",
    )


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def is_certificate_error(exc: BaseException) -> bool:
    return any(isinstance(cause, ssl.SSLCertVerificationError) for cause in _causes(exc)) or (
        "CERTIFICATE_VERIFY_FAILED" in str(exc)
    )


def is_tls_protocol_error(exc: BaseException) -> bool:
    """A TLS handshake failure other than certificate verification, such as a plain-HTTP
    server answering a ClientHello ("wrong version number")."""
    if is_certificate_error(exc):
        return False
    return any(isinstance(cause, ssl.SSLError) for cause in _causes(exc)) or any(
        marker in str(exc).lower() for marker in ("wrong version number", "record layer failure")
    )


def network_error(exc: httpx.HTTPError, host: str, what: str, timeout: float) -> RegistryError:
    if is_certificate_error(exc):
        reason = next(
            (
                cause.verify_message
                for cause in _causes(exc)
                if isinstance(cause, ssl.SSLCertVerificationError) and cause.verify_message
            ),
            "certificate verify failed",
        )
        return RegistryError(
            f"{what}: TLS certificate of {host} could not be verified ({reason})",
            "pass the CA that signed the registry's certificate with --ca-file, or (for a lab "
            f"registry only) list {host} as an insecure registry to skip verification",
        )
    if is_tls_protocol_error(exc):
        return RegistryError(
            f"{what}: TLS handshake with {host} failed ({_reason(exc)})",
            f"check that {host} speaks HTTPS on that port; a plain-HTTP registry must be on "
            "loopback or listed as an insecure registry",
        )
    if isinstance(exc, httpx.TimeoutException):
        return RegistryError(
            f"{what}: {host} did not answer within {timeout:g}s",
            "check the network and that the registry is healthy; raise the timeout for slow links",
        )
    if isinstance(exc, httpx.ConnectError):
        return RegistryError(
            f"{what}: cannot reach registry {host}: {_reason(exc)}",
            f"check that the registry at {host} is running and that the host name and port "
            "are right (and the proxy setting, if you need one)",
        )
    return RegistryError(
        f"{what}: the connection to {host} failed: {_reason(exc)}",
        "retry; if it keeps failing, check the network and the registry's health",
    )


def _reason(exc: BaseException) -> str:
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror):
            return f"host name not found ({cause.strerror or cause})"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, ssl.SSLError) and cause.reason:
            return str(cause.reason).replace("_", " ").lower()
    text = str(exc).strip()
    return text or type(exc).__name__
