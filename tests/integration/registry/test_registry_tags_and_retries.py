"""Tag pagination and retries on transient failures.

distribution 2.8 (the Debian registry) ignores ``n`` on tags/list, so pagination is
exercised through a thin proxy in front of the real registry that pages its answer the
way the OCI distribution spec (and distribution 3) does.
"""

from __future__ import annotations

import json
import threading
import time
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from tests.fixtures.httpserver import QuietHandler, serve
from tests.fixtures.registry import RunningRegistry
from tests.fixtures.samples import push_sample_image, unique_repository

from goship.errors import RegistryError
from goship.oci.reference import Reference
from goship.registry import AnonymousKeychain, RegistryClient, RegistryOptions

pytestmark = pytest.mark.integration


def paginating_proxy(upstream: str) -> type[QuietHandler]:
    class Proxy(QuietHandler):
        pages_served = 0

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            answer = httpx.get(upstream + parts.path)
            if not parts.path.endswith("/tags/list") or answer.status_code != 200:
                self.answer(answer.status_code, answer.content,
                            answer.headers.get("content-type", "application/json"))
                return
            query = parse_qs(parts.query)
            tags = sorted(answer.json()["tags"])
            last = query.get("last", [""])[0]
            remaining = [tag for tag in tags if tag > last]
            size = int(query.get("n", [str(len(remaining))])[0])
            page, rest = remaining[:size], remaining[size:]
            headers = {}
            if rest:
                headers["Link"] = f'<{parts.path}?n={size}&last={page[-1]}>; rel="next"'
            Proxy.pages_served += 1
            body = json.dumps({"name": answer.json()["name"], "tags": page}).encode()
            self.answer(200, body, "application/json", headers)

    return Proxy


def test_tags_are_listed_across_pages(registry_plain: RunningRegistry, make_client) -> None:
    repository = unique_repository()
    pusher = make_client(registry_plain)
    ref = Reference.parse(f"{registry_plain.host}/{repository}:v1")
    pushed = push_sample_image(pusher, ref)
    names = ["v1", "v2", "v3", "v4", "v5"]
    for tag in names[1:]:
        pusher.put_manifest(ref.with_tag(tag), pushed.manifest, pushed_type(pushed.manifest))
    assert sorted(pusher.list_tags(ref)) == names  # straight from the registry

    handler = paginating_proxy(registry_plain.url)
    with serve(handler) as proxy_host:
        client = make_client(RunningRegistry(proxy_host, f"http://{proxy_host}", None, None,
                                             None))
        listed = client.list_tags(Reference.parse(f"{proxy_host}/{repository}:v1"), page_size=2)
    assert listed == names
    assert handler.pages_served == 3  # type: ignore[attr-defined]


def pushed_type(manifest: bytes) -> str:
    return str(json.loads(manifest)["mediaType"])


class Flaky(QuietHandler):
    """/v2/ answers 503 twice; tags/list answers 429 (Retry-After: 1) once; PATCH always 503."""

    counts: ClassVar[dict[str, int]] = {}
    lock = threading.Lock()

    def _count(self, key: str) -> int:
        with Flaky.lock:
            Flaky.counts[key] = Flaky.counts.get(key, 0) + 1
            return Flaky.counts[key]

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/v2/":
            if self._count("ping") <= 2:
                self.answer(503, b'{"errors":[{"code":"UNAVAILABLE","message":"warming up"}]}',
                            "application/json", {"Retry-After": "0"})
            else:
                self.answer(200, b"{}", "application/json")
        elif path.endswith("/tags/list"):
            if self._count("tags") == 1:
                self.answer(429, b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}',
                            "application/json", {"Retry-After": "1"})
            else:
                self.answer(200, b'{"name":"app","tags":["a"]}', "application/json")
        else:
            self.answer(503, b"{}", "application/json")

    def do_PATCH(self) -> None:
        self._count("patch")
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.answer(503, b'{"errors":[{"code":"UNAVAILABLE","message":"down"}]}',
                    "application/json")


@pytest.fixture
def flaky_host():
    Flaky.counts = {}
    with serve(Flaky) as host:
        yield host


def test_transient_5xx_and_429_are_retried_honouring_retry_after(flaky_host: str) -> None:
    options = RegistryOptions(retries=3, backoff=0.01)
    with RegistryClient(options, AnonymousKeychain()) as client:
        start = time.monotonic()
        assert client.list_tags(Reference.parse(f"{flaky_host}/app:v1")) == ["a"]
    assert Flaky.counts == {"ping": 3, "tags": 2}
    assert time.monotonic() - start >= 1.0  # waited as Retry-After asked


def test_retries_give_up_with_the_registry_message(flaky_host: str) -> None:
    options = RegistryOptions(retries=1, backoff=0.01)
    with RegistryClient(options, AnonymousKeychain()) as client, pytest.raises(
        RegistryError, match="503 UNAVAILABLE: warming up"
    ):
        client.list_tags(Reference.parse(f"{flaky_host}/app:v1"))


def test_non_idempotent_requests_are_not_retried(flaky_host: str) -> None:
    options = RegistryOptions(retries=3, backoff=0.01)
    Flaky.counts = {"ping": 2}  # the next ping succeeds
    with RegistryClient(options, AnonymousKeychain()) as client:
        transport = client.transport(Reference.parse(f"{flaky_host}/app:v1"))
        response = transport.request("PATCH", "/v2/app/blobs/uploads/x", what="test",
                                     content=b"chunk")
    assert response.status_code == 503
    assert Flaky.counts["patch"] == 1
