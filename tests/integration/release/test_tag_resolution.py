"""Resolving many tags at once (RegistryClient.resolve_tags, behind RegistryRepository and so
`goship prune`) against real distribution registries: plain, TLS with Basic auth, token
auth; with digests expected from an earlier run (conditional requests), right or stale; and
behind a front that misbehaves the ways networks and registries do (connections closed,
503s, a 401 when a token is refused, answers the lean path must not believe). Every answer
is checked against the registry's own, asked over a separate connection.
"""

from __future__ import annotations

import http.client
import io
import json
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from tests.fixtures.registry import TOKEN_SERVICE, RegistryFactory, RunningRegistry
from tests.fixtures.samples import keychain_of

from goship.errors import GoshipError
from goship.oci import mediatypes
from goship.oci.canonical import canonical_json
from goship.oci.digest import Digest
from goship.oci.manifest import Descriptor, Manifest
from goship.oci.reference import Reference
from goship.registry import AnonymousKeychain, Keychain, RegistryClient, RegistryOptions
from goship.release.inventory import RegistryRepository
from goship.release.prune import PruneOptions, prune_repository
from goship.release.settings import RetentionPolicy

pytestmark = pytest.mark.integration

ACCEPT = ", ".join(mediatypes.ALL_MANIFESTS)
TAGS = 60


def client_for(registry: RunningRegistry, keychain: Keychain | None = None,
               **options: object) -> RegistryClient:
    settings: dict[str, object] = {"ca_file": registry.ca_file, "retries": 2, "backoff": 0.01,
                                   "timeout": 20}
    settings.update(options)
    return RegistryClient(RegistryOptions(**settings),  # type: ignore[arg-type]
                          keychain or keychain_of(registry))


def seed(client: RegistryClient, repository: Reference, tags: int = TAGS) -> dict[str, Digest]:
    """``tags`` tags over tags // 3 distinct manifests; tag -> digest."""
    raw_config = canonical_json({"architecture": "amd64", "os": "linux", "config": {},
                                 "rootfs": {"type": "layers", "diff_ids": []}})
    config = Descriptor(mediatypes.OCI_CONFIG, Digest.of_bytes(raw_config), len(raw_config))
    client.upload_blob(repository, config.digest, config.size, lambda: io.BytesIO(raw_config))
    pushed = {}
    for number in range(tags):
        annotation = ("seed", f"{repository.repository}-{number // 3}")
        raw = Manifest(config, (), annotations=(annotation,)).to_bytes()
        tag = f"t-{number:04d}"
        pushed[tag] = client.put_manifest(repository.with_tag(tag), raw, mediatypes.OCI_MANIFEST)
    return pushed


def truth(registry: RunningRegistry, repository: Reference) -> dict[str, str]:
    """tag -> digest from the registry's API, over a connection of the test's own."""
    auth = None
    if registry.username and registry.password and registry.token_server is None:
        auth = (registry.username, registry.password)
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=str(registry.ca_file)) if (
        registry.ca_file) else True
    with httpx.Client(timeout=30, auth=auth, verify=verify) as http:
        base = f"{registry.url}/v2/{repository.repository}"
        if registry.token_server is not None:
            token = registry.token_server.issue_token(registry.username, [
                f"repository:{repository.repository}:pull"])["token"]
            http.headers["Authorization"] = f"Bearer {token}"
        listed = http.get(f"{base}/tags/list").json()["tags"]
        found = {}
        for tag in listed:
            answer = http.head(f"{base}/manifests/{tag}", headers={"Accept": ACCEPT})
            assert answer.status_code == 200
            found[tag] = answer.headers["docker-content-digest"]
        return found


def heads_logged(registry: RunningRegistry, offset: int, repository: Reference,
                 at_least: int) -> list[tuple[str, str]]:
    """(tag, status) of the manifest HEADs in the registry's access log since ``offset``."""
    assert registry.log_file is not None
    pattern = re.compile(rf'"HEAD /v2/{re.escape(repository.repository)}/manifests/(\S+) HTTP/1.1" (\d+)')
    deadline = time.monotonic() + 10
    while True:  # the registry writes each line just after its answer
        found = pattern.findall(registry.log_file.read_bytes()[offset:].decode(errors="replace"))
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def as_text(resolved: dict[str, Digest | None]) -> dict[str, str]:
    return {tag: str(digest) for tag, digest in resolved.items() if digest is not None}


@pytest.mark.parametrize("flavour", ["registry_plain", "registry_tls", "registry_token"])
def test_every_tag_resolves_to_the_registrys_digest(flavour: str, request: pytest.FixtureRequest) -> None:
    registry: RunningRegistry = request.getfixturevalue(flavour)
    repository = Reference(registry.host, f"resolve/{flavour.replace('_', '-')}")
    with client_for(registry) as client:
        seed(client, repository)
        names = client.list_tags(repository)
        resolved = client.resolve_tags(repository, [*names, "no-such-tag"])
    assert resolved["no-such-tag"] is None
    assert as_text(resolved) == truth(registry, repository)
    assert len(resolved) == TAGS + 1


def test_expected_digests_are_checked_not_believed(registry_factory: RegistryFactory) -> None:
    """Conditional requests: unchanged tags answer 304 (the registry's log says so), a tag
    moved since is reported where it points now, a deleted one as gone."""
    registry = registry_factory("plain", access_log=True)
    repository = Reference(registry.host, "resolve/expected")
    with client_for(registry) as client:
        pushed = seed(client, repository)
        moved_to = pushed["t-0059"]
        client.put_manifest(repository.with_tag("t-0000"), client.get_manifest(
            repository.with_digest(moved_to))[0], mediatypes.OCI_MANIFEST)
        client.delete_manifest(repository.with_digest(pushed["t-0030"]))  # t-0030, t-0031, t-0032
        assert registry.log_file is not None
        offset = registry.log_file.stat().st_size
        resolved = client.resolve_tags(repository, sorted(pushed), expected=pushed)
    statuses = heads_logged(registry, offset, repository, TAGS)
    assert resolved["t-0000"] == moved_to  # not the stale digest it was expected at
    assert resolved["t-0030"] is None and resolved["t-0032"] is None
    assert as_text(resolved) == truth(registry, repository)
    assert len(statuses) == TAGS
    by_tag = dict(statuses)
    assert by_tag["t-0000"] == "200" and by_tag["t-0030"] == "404" and by_tag["t-0001"] == "304"
    assert sum(status == "304" for _, status in statuses) == TAGS - 4


def test_a_verified_tls_connection_is_required(registry_tls: RunningRegistry) -> None:
    repository = Reference(registry_tls.host, "resolve/tls-trust")
    with client_for(registry_tls) as client:
        seed(client, repository, 3)
    with client_for(registry_tls, ca_file=None) as untrusting, pytest.raises(GoshipError) as raised:
        untrusting.resolve_tags(repository, ["t-0000", "t-0001"])
    assert "certificate" in raised.value.message.lower()
    # Listed as insecure, the host's certificate is not checked, as for every other request.
    with client_for(registry_tls, ca_file=None, insecure=(registry_tls.host,)) as insecure:
        resolved = insecure.resolve_tags(repository, ["t-0000", "t-0002"])
    expected = truth(registry_tls, repository)
    assert as_text(resolved) == {"t-0000": expected["t-0000"], "t-0002": expected["t-0002"]}


# ---------------------------------------------------------------------- a misbehaving front


@dataclass(frozen=True)
class Reply:
    """What the front does with one request: forward it (``status`` None) or answer
    ``status`` itself (0: no answer at all); with ``close``, drop the connection after."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    close: bool = False


Script = Callable[[int, str, str, dict[str, str]], Reply | None]


class Front:
    """A plain-HTTP front to a registry: ``script(number, method, path, headers)`` decides
    what becomes of each request (None: forwarded)."""

    def __init__(self, upstream: RunningRegistry, script: Script) -> None:
        self.upstream = upstream
        self.script = script
        self.count = 0
        self.lock = threading.Lock()
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                self._handle("HEAD")

            def do_GET(self) -> None:
                self._handle("GET")

            def _handle(self, method: str) -> None:
                with front.lock:
                    front.count += 1
                    number = front.count
                headers = {name.lower(): value for name, value in self.headers.items()}
                reply = front.script(number, method, self.path, headers) or Reply()
                if reply.close:
                    self.close_connection = True
                if reply.status == 0:
                    return
                if reply.status is not None:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                upstream = http.client.HTTPConnection(front.upstream.host, timeout=20)
                sent = {name: value for name, value in headers.items() if name not in ("host", "connection")}
                upstream.request(method, self.path, headers=sent)
                answer = upstream.getresponse()
                body = answer.read()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("connection", "transfer-encoding", "date", "content-length"):
                        self.send_header(name, value.replace(front.upstream.host, front.host))
                self.send_header("Content-Length", str(answer.getheader("content-length") or len(body)))
                self.end_headers()
                if method != "HEAD":
                    self.wfile.write(body)
                upstream.close()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


FrontFactory = Callable[[RunningRegistry, Script], Front]


@pytest.fixture
def front_factory() -> Iterator[FrontFactory]:
    fronts: list[Front] = []

    def make(upstream: RunningRegistry, script: Script) -> Front:
        fronts.append(Front(upstream, script))
        return fronts[-1]

    yield make
    for front in fronts:
        front.close()


def is_head(method: str, path: str) -> bool:
    return method == "HEAD" and "/manifests/" in path


def test_connections_closed_and_503s_lose_nothing(registry_plain: RunningRegistry,
                                                  front_factory: FrontFactory) -> None:
    repository = Reference(registry_plain.host, "resolve/flaky")
    with client_for(registry_plain) as client:
        pushed = seed(client, repository)

    def flaky(number: int, method: str, path: str, headers: dict[str, str]) -> Reply | None:
        if not is_head(method, path):
            return None
        if number % 7 == 0:
            return Reply(0, close=True)  # the connection drops without an answer
        if number % 11 == 0:
            return Reply(503, {"Retry-After": "0"})
        if number % 5 == 0:
            return Reply(close=True)  # answered, then the connection is closed
        return None

    front = front_factory(registry_plain, flaky)
    front_repository = Reference(front.host, repository.repository)
    with client_for(registry_plain, AnonymousKeychain()) as client:
        resolved = client.resolve_tags(front_repository, sorted(pushed))
    assert resolved == pushed


def test_an_answer_that_never_comes_is_asked_for_again(registry_plain: RunningRegistry,
                                                      front_factory: FrontFactory) -> None:
    repository = Reference(registry_plain.host, "resolve/stalled")
    with client_for(registry_plain) as client:
        pushed = seed(client, repository, 9)
    stalled: list[str] = []

    def stall_once(number: int, method: str, path: str, headers: dict[str, str]) -> Reply | None:
        tag = path.rsplit("/", 1)[-1]
        if is_head(method, path) and tag in ("t-0004", "t-0007") and tag not in stalled:
            stalled.append(tag)
            return Reply(0)  # no answer, and the connection stays open
        return None

    front = front_factory(registry_plain, stall_once)
    with client_for(registry_plain, AnonymousKeychain(), timeout=1) as client:
        started = time.monotonic()
        resolved = client.resolve_tags(Reference(front.host, repository.repository), sorted(pushed))
    assert resolved == pushed
    assert sorted(stalled) == ["t-0004", "t-0007"]
    assert time.monotonic() - started < 10


def test_answers_the_lean_path_cannot_trust_go_through_the_transport(
        registry_plain: RunningRegistry, front_factory: FrontFactory) -> None:
    """A 304 naming another digest, a 200 without a digest or as HTML: asked again, properly."""
    repository = Reference(registry_plain.host, "resolve/untrusted")
    with client_for(registry_plain) as client:
        pushed = seed(client, repository, 12)
    stale = {tag: Digest.of_bytes(tag.encode()) for tag in pushed}  # all wrong
    lies = {
        "t-0001": Reply(304, {"ETag": f'"{Digest.of_bytes(b"other")}"'}),  # "not modified", but another
        "t-0002": Reply(200, {"Content-Type": mediatypes.OCI_MANIFEST}),  # no digest
        "t-0003": Reply(200, {"Content-Type": "text/html", "Docker-Content-Digest": str(stale["t-0003"])}),
        "t-0004": Reply(302, {"Location": "/elsewhere"}),
    }

    def lying(number: int, method: str, path: str, headers: dict[str, str]) -> Reply | None:
        tag = path.rsplit("/", 1)[-1]
        # Only the lean path sends If-None-Match here: the Transport's own HEAD is forwarded.
        if is_head(method, path) and "if-none-match" in headers and tag in lies:
            return lies[tag]
        return None

    front = front_factory(registry_plain, lying)
    with client_for(registry_plain, AnonymousKeychain()) as client:
        resolved = client.resolve_tags(Reference(front.host, repository.repository), sorted(pushed),
                                       expected=stale)
    assert resolved == pushed


def test_an_expired_token_mid_run_is_renewed(registry_token: RunningRegistry,
                                            front_factory: FrontFactory) -> None:
    repository = Reference(registry_token.host, "resolve/token-refused")
    with client_for(registry_token) as client:
        pushed = seed(client, repository)
    refused: list[int] = []
    first_token: list[str] = []

    def expire_the_first_token(number: int, method: str, path: str, headers: dict[str, str]) -> Reply | None:
        """From the 20th request on, the first token is refused, as once it expires."""
        authorization = headers.get("authorization", "")
        if authorization and not first_token:
            first_token.append(authorization)
        if is_head(method, path) and number > 20 and authorization == first_token[0]:
            refused.append(number)
            assert registry_token.token_server is not None
            challenge = (f'Bearer realm="{registry_token.token_server.realm}",service="{TOKEN_SERVICE}",'
                         f'scope="repository:{repository.repository}:pull",error="invalid_token"')
            return Reply(401, {"WWW-Authenticate": challenge})
        return None

    front = front_factory(registry_token, expire_the_first_token)
    assert registry_token.token_server is not None
    registry_token.token_server.clear()
    with client_for(registry_token) as client:
        front_repository = Reference(front.host, repository.repository)
        resolved = client.resolve_tags(front_repository, sorted(pushed))
    assert resolved == pushed
    assert len(registry_token.token_server.recorded()) == 2  # the first token, and its renewal
    # The requests in flight when it expired were refused, and the rest went with the new one.
    assert 1 <= len(refused) <= 6


def test_a_name_outside_the_tag_grammar_is_never_written_into_a_request(
        registry_plain: RunningRegistry, front_factory: FrontFactory) -> None:
    repository = Reference(registry_plain.host, "resolve/odd-names")
    with client_for(registry_plain) as client:
        pushed = seed(client, repository, 3)
    seen: list[dict[str, str]] = []

    def record(number: int, method: str, path: str, headers: dict[str, str]) -> Reply | None:
        seen.append(headers)
        return None

    front = front_factory(registry_plain, record)
    front_repository = Reference(front.host, repository.repository)
    with client_for(registry_plain, AnonymousKeychain()) as client:
        # Outside the grammar but printable: asked through the Transport, which encodes it.
        resolved = client.resolve_tags(front_repository, [*sorted(pushed), "t 0000"])
        assert resolved == {**pushed, "t 0000": None}
        with pytest.raises(GoshipError) as raised:
            client.resolve_tags(front_repository, [*sorted(pushed), "t-0000\r\nX-Injected: yes"])
    assert "X-Injected" in raised.value.message
    assert seen and not any("x-injected" in headers for headers in seen)


# ------------------------------------------------------------------------------ prune runs


def test_a_second_prune_expects_what_the_first_saw_but_plans_from_the_registry(
        registry_factory: RegistryFactory, tmp_path: Path) -> None:
    """The second run's HEADs are conditional on the first run's record; a protected tag that
    moved in between onto an otherwise doomed manifest keeps that manifest."""
    registry = registry_factory("plain", access_log=True)
    repository = Reference(registry.host, "resolve/second-run")
    policy = RetentionPolicy(protect=("v*",), max_deletions=1000)
    with client_for(registry) as client:
        pushed = seed(client, repository, 30)
        client.put_manifest(repository.with_tag("v1"), client.get_manifest(
            repository.with_digest(pushed["t-0000"]))[0], mediatypes.OCI_MANIFEST)

        def run() -> set[Digest]:
            result = prune_repository(RegistryRepository(client, repository), policy, PruneOptions(),
                                      audit_dir=tmp_path)
            return {item.digest for item in result.plan.digests if item.keep}

        assert run() == {pushed["t-0000"]}
        client.put_manifest(repository.with_tag("v1"), client.get_manifest(
            repository.with_digest(pushed["t-0029"]))[0], mediatypes.OCI_MANIFEST)
        assert registry.log_file is not None
        offset = registry.log_file.stat().st_size
        assert run() == {pushed["t-0029"]}
    statuses = dict(heads_logged(registry, offset, repository, 31))
    assert statuses["v1"] == "200" and statuses["t-0029"] == "304" and statuses["t-0000"] == "304"
    records = sorted(tmp_path.rglob("*.json"))
    assert json.loads(records[-1].read_text())["observed"]["v1"] == str(pushed["t-0029"])
