"""Passwords and tokens never show up in reprs, strings or error messages."""

from __future__ import annotations

import time

import httpx

from goship.registry.auth import Token
from goship.registry.failures import auth_error, describe, error_for_status
from goship.registry.keychain import Credentials

PASSWORD = "hunter2-very-secret"
TOKEN = "eyJhbGciOiJFUzI1NiJ9.secret-token-value"


def test_credentials_repr_and_str_hide_secrets() -> None:
    credentials = Credentials("alice", PASSWORD, TOKEN)
    for text in (repr(credentials), str(credentials), f"{credentials}", repr([credentials])):
        assert PASSWORD not in text
        assert TOKEN not in text
        assert "alice" in text
        assert "<redacted>" in text


def test_token_repr_hides_the_token() -> None:
    token = Token(TOKEN, ("repository:a:pull",), time.monotonic() + 60)
    assert TOKEN not in repr(token)
    assert "repository:a:pull" in repr(token)


def test_oci_error_body_is_parsed_into_the_message() -> None:
    response = httpx.Response(
        404,
        json={"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown",
                          "detail": {"Tag": "v9"}}]},
    )
    assert describe(response) == "404 MANIFEST_UNKNOWN: manifest unknown"


def test_auth_errors_name_the_user_not_the_password() -> None:
    response = httpx.Response(
        401,
        headers={"WWW-Authenticate": 'Basic realm="r"'},
        json={"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
    )
    error = auth_error(response, "pushing r/a:v1", "r:5000", "alice")
    assert error.exit_code == 7
    assert "alice" in error.message
    assert "401 UNAUTHORIZED: authentication required" in error.message
    assert "docker login r:5000" in error.hint
    assert PASSWORD not in error.message + error.hint


def test_html_error_page_is_reported_as_not_a_registry() -> None:
    response = httpx.Response(502, headers={"Content-Type": "text/html; charset=utf-8"},
                              content=b"<html>bad gateway</html>")
    error = error_for_status(response, "pulling x", "proxy.example")
    assert "did not answer like an OCI registry (got text/html" in error.message
