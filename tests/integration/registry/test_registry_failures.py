"""What a user sees when the registry is unreachable, untrusted, not a registry, or corrupt."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from tests.fixtures.httpserver import QuietHandler, serve
from tests.fixtures.registry import RunningRegistry, free_port
from tests.fixtures.samples import push_sample_image, unique_repository

from goship.errors import ExitCode, RegistryError
from goship.oci.reference import Reference
from goship.registry import AnonymousKeychain, RegistryOptions

pytestmark = pytest.mark.integration


def test_tls_registry_without_its_ca_is_a_tls_error(registry_tls: RunningRegistry,
                                                    make_client) -> None:
    client = make_client(registry_tls, ca_file=None)
    ref = Reference.parse(f"{registry_tls.host}/{unique_repository()}:v1")
    with pytest.raises(RegistryError) as caught:
        client.get_manifest(ref)
    message = caught.value.message
    assert "TLS certificate" in message and registry_tls.host in message
    assert "--ca-file" in caught.value.hint
    assert "insecure" in caught.value.hint
    assert caught.value.exit_code == ExitCode.REGISTRY


def test_tls_registry_by_localhost_name_with_its_ca(registry_tls: RunningRegistry,
                                                    make_client) -> None:
    client = make_client(registry_tls)
    port = registry_tls.host.rsplit(":", 1)[1]
    ref = Reference.parse(f"localhost:{port}/{unique_repository()}:v1")
    pushed = push_sample_image(client, ref)
    assert client.get_manifest(ref)[2] == pushed.digest


def test_insecure_option_skips_verification(registry_tls: RunningRegistry, make_client) -> None:
    client = make_client(registry_tls, ca_file=None, insecure=(registry_tls.host,))
    ref = Reference.parse(f"{registry_tls.host}/{unique_repository()}:v1")
    pushed = push_sample_image(client, ref)
    assert client.get_manifest(ref)[2] == pushed.digest


def test_registry_down_is_a_quick_registry_error(make_client) -> None:
    host = f"127.0.0.1:{free_port()}"  # nothing listens there any more
    client = make_client(RunningRegistry(host, f"http://{host}", None, None, None),
                         retries=2, backoff=0.01)
    start = time.monotonic()
    with pytest.raises(RegistryError) as caught:
        client.get_manifest(Reference.parse(f"{host}/app:v1"))
    assert time.monotonic() - start < 5
    assert f"cannot reach registry {host}: connection refused" in caught.value.message
    assert "running" in caught.value.hint
    assert caught.value.exit_code == ExitCode.REGISTRY


def test_unknown_host_name_is_a_registry_error(make_client) -> None:
    client = make_client(RunningRegistry("x", "https://x", None, None, None), retries=0)
    ref = Reference.parse("no-such-host.invalid/app:v1")
    with pytest.raises(RegistryError, match=r"cannot reach registry no-such-host\.invalid"):
        client.get_manifest(ref)


class HtmlEverywhere(QuietHandler):
    def do_GET(self) -> None:
        self.answer(200, b"<!doctype html><html><body>Welcome!</body></html>",
                    "text/html; charset=utf-8")

    do_HEAD = do_GET


def test_web_server_that_is_not_a_registry(make_client) -> None:
    with serve(HtmlEverywhere) as host:
        client = make_client(RunningRegistry(host, f"http://{host}", None, None, None))
        with pytest.raises(RegistryError) as caught:
            client.get_manifest(Reference.parse(f"{host}/app:v1"))
    assert f"{host} did not answer like an OCI registry (got text/html" in caught.value.message
    assert "/v2/" in caught.value.hint


def test_corrupted_blob_is_detected_at_the_end_of_the_stream(registry_plain: RunningRegistry,
                                                             make_client) -> None:
    client = make_client(registry_plain)
    ref = Reference.parse(f"{registry_plain.host}/{unique_repository()}:v1")
    pushed = push_sample_image(client, ref)
    assert registry_plain.storage is not None
    hex_digest = pushed.layer_digest.hex
    stored: Path = (registry_plain.storage / "docker/registry/v2/blobs/sha256" / hex_digest[:2]
                    / hex_digest / "data")
    damaged = bytearray(stored.read_bytes())
    damaged[10] ^= 0xFF
    stored.write_bytes(bytes(damaged))

    with client.open_blob(ref, pushed.layer_digest) as reader:
        first = reader.read(5)  # streaming: the first bytes arrive before the check
        assert first == pushed.layer[:5]
        with pytest.raises(RegistryError, match="hash to"):
            reader.read()


def test_options_reject_an_unreadable_ca_file(tmp_path: Path) -> None:
    from goship.errors import ConfigError
    from goship.registry import RegistryClient

    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with (
        RegistryClient(RegistryOptions(ca_file=bad), AnonymousKeychain()) as client,
        pytest.raises(ConfigError, match=re.escape(str(bad))),
    ):
        client.transport(Reference.parse("reg.example/app:v1"))
