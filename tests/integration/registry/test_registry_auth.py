"""Authentication against real registries: htpasswd over TLS, and token auth."""

from __future__ import annotations

import io
import logging
import traceback
from pathlib import Path

import pytest
from tests.fixtures.registry import RunningRegistry
from tests.fixtures.samples import push_sample_image, unique_repository

from goship.errors import AuthError, ExitCode
from goship.oci.digest import Digest
from goship.oci.reference import Reference
from goship.registry import (
    AnonymousKeychain,
    Credentials,
    DockerConfigKeychain,
    StaticKeychain,
)

pytestmark = pytest.mark.integration


def everything_said(error: BaseException) -> str:
    """Message, hint, repr and the whole chained traceback: all a user or log could see."""
    hint = getattr(error, "hint", "")
    return "\n".join([str(error), hint, repr(error), *traceback.format_exception(error)])


@pytest.mark.parametrize("flavour", ["registry_tls", "registry_token"])
def test_wrong_password_is_auth_error_exit_7_without_the_password(
    flavour: str, request: pytest.FixtureRequest, make_client, caplog: pytest.LogCaptureFixture
) -> None:
    registry: RunningRegistry = request.getfixturevalue(flavour)
    wrong = "Wr0ng-" + (registry.password or "") + "-passw0rd"
    client = make_client(registry, StaticKeychain.from_username_password(
        registry.username or "", wrong))
    ref = Reference.parse(f"{registry.host}/{unique_repository()}:v1")
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthError) as caught:
        push_sample_image(client, ref)
    error = caught.value
    assert error.exit_code == ExitCode.AUTH == 7
    assert registry.username in error.message
    assert "docker login" in error.hint
    said = everything_said(error) + caplog.text
    assert wrong not in said
    assert registry.password not in said


def test_credentials_from_docker_config_file(registry_tls: RunningRegistry, make_client,
                                             tmp_path: Path) -> None:
    config_dir = tmp_path / "docker"
    registry_tls.docker_config(config_dir)
    keychain = DockerConfigKeychain.from_environment({"DOCKER_CONFIG": str(config_dir)},
                                                     tmp_path / "home")
    client = make_client(registry_tls, keychain)
    ref = Reference.parse(f"{registry_tls.host}/{unique_repository()}:v1")
    pushed = push_sample_image(client, ref)
    assert client.get_manifest(ref)[2] == pushed.digest


def test_no_credentials_on_htpasswd_registry(registry_tls: RunningRegistry, make_client) -> None:
    client = make_client(registry_tls, AnonymousKeychain())
    ref = Reference.parse(f"{registry_tls.host}/{unique_repository()}:v1")
    with pytest.raises(AuthError) as caught:
        client.list_tags(ref)
    assert "no credentials" in caught.value.message
    assert f"docker login {registry_tls.host}" in caught.value.hint


def test_anonymous_push_to_token_registry_is_refused(registry_token: RunningRegistry,
                                                     make_client) -> None:
    client = make_client(registry_token, AnonymousKeychain())
    ref = Reference.parse(f"{registry_token.host}/{unique_repository()}:v1")
    with pytest.raises(AuthError) as caught:
        push_sample_image(client, ref)
    assert caught.value.exit_code == 7
    assert "docker login" in caught.value.hint


def test_pull_only_account_gets_a_denied_push(registry_token: RunningRegistry,
                                              make_client) -> None:
    owner = make_client(registry_token)
    ref = Reference.parse(f"{registry_token.host}/{unique_repository()}:v1")
    pushed = push_sample_image(owner, ref)

    reader = make_client(registry_token, StaticKeychain.from_username_password(
        registry_token.reader_username or "", registry_token.reader_password or ""))
    assert reader.get_manifest(ref)[2] == pushed.digest  # pulling is allowed
    data = b"new layer"
    with pytest.raises(AuthError) as caught:
        reader.upload_blob(ref, Digest.of_bytes(data), len(data), lambda: io.BytesIO(data))
    assert "reader" in caught.value.message
    assert f"repository:{ref.repository}:pull,push" in caught.value.message  # what was denied
    assert registry_token.reader_password not in everything_said(caught.value)


def test_mount_upgrades_the_token_to_both_repositories(registry_token: RunningRegistry,
                                                       make_client) -> None:
    client = make_client(registry_token)
    source = Reference.parse(f"{registry_token.host}/{unique_repository('source')}:v1")
    target = Reference.parse(f"{registry_token.host}/{unique_repository('target')}:v1")
    pushed = push_sample_image(client, source)
    assert registry_token.token_server is not None
    registry_token.token_server.clear()

    result = client.upload_blob(target, pushed.layer_digest, len(pushed.layer),
                                lambda: pytest.fail("a mounted blob must not be read"),
                                mount_from=source)

    assert result == "mounted"
    asked = [set(request.scopes) for request in registry_token.token_server.recorded()]
    assert {f"repository:{target.repository}:pull,push",
            f"repository:{source.repository}:pull"} in asked
    assert client.blob_exists(target, pushed.layer_digest)


def test_identity_token_uses_the_oauth2_refresh_grant(registry_token: RunningRegistry,
                                                      make_client) -> None:
    server = registry_token.token_server
    assert server is not None
    server.refresh_tokens["refresh-abc123"] = registry_token.username or ""
    server.clear()
    client = make_client(registry_token, StaticKeychain(Credentials(
        identity_token="refresh-abc123")))
    ref = Reference.parse(f"{registry_token.host}/{unique_repository()}:v1")
    push_sample_image(client, ref)
    requests = server.recorded()
    assert requests and all(r.method == "POST" for r in requests)
    assert {r.grant_type for r in requests} == {"refresh_token"}


@pytest.mark.parametrize("field", ["token", "access_token"])
def test_token_in_either_json_field(registry_token: RunningRegistry, make_client,
                                    field: str) -> None:
    server = registry_token.token_server
    assert server is not None
    server.token_field = field
    try:
        client = make_client(registry_token)
        ref = Reference.parse(f"{registry_token.host}/{unique_repository()}:v1")
        pushed = push_sample_image(client, ref)
        assert client.get_manifest(ref)[2] == pushed.digest
    finally:
        server.token_field = "both"


def test_token_is_reused_for_requests_it_covers(registry_token: RunningRegistry,
                                                make_client) -> None:
    server = registry_token.token_server
    assert server is not None
    client = make_client(registry_token)
    ref = Reference.parse(f"{registry_token.host}/{unique_repository()}:v1")
    server.clear()
    push_sample_image(client, ref)  # HEAD, POST, PUT for two blobs, then the manifest
    client.get_manifest(ref)  # a pull,push token covers pull
    assert len(server.recorded()) == 1


def test_mount_token_is_upgraded_before_the_request_not_after_a_401(registry_factory,
                                                                    make_client) -> None:
    registry = registry_factory("token", access_log=True)
    client = make_client(registry)
    source = Reference.parse(f"{registry.host}/{unique_repository('source')}:v1")
    target = Reference.parse(f"{registry.host}/{unique_repository('target')}:v1")
    pushed = push_sample_image(client, source)

    assert client.upload_blob(target, pushed.layer_digest, len(pushed.layer),
                              lambda: pytest.fail("must not be read"),
                              mount_from=source) == "mounted"

    mount_lines = [line for line in registry.log_file.read_text().splitlines()
                   if f"POST /v2/{target.repository}/blobs/uploads/?mount=" in line]
    assert mount_lines, "the registry's access log should show the mount request"
    assert all('" 201 ' in line for line in mount_lines), mount_lines  # no 401 first


def test_a_401_is_answered_with_the_challenge_scope_merged(registry_token: RunningRegistry,
                                                          make_client) -> None:
    ref = Reference.parse(f"{registry_token.host}/{unique_repository()}:v1")
    push_sample_image(make_client(registry_token), ref)
    server = registry_token.token_server
    assert server is not None
    server.clear()
    # A fresh client asks for no scope at all: the registry's 401 names the scope it
    # needs and the client fetches a token for it, once.
    client = make_client(registry_token)
    response = client.transport(ref).request("GET", f"/v2/{ref.repository}/tags/list",
                                             what="listing tags")
    assert response.status_code == 200
    assert [r.scopes for r in server.recorded()] == [(), (f"repository:{ref.repository}:pull",)]
