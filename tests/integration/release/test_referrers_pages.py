"""The referrers API answered in pages (Link: <...>; rel="next"), as the OCI distribution spec
allows.

The Debian registry (distribution 2.8) has no referrers API, so a thin proxy in front of the
real registry answers GET /v2/<name>/referrers/<digest> from the referrer manifests actually
pushed there, two per page, and forwards every other read to the registry unchanged.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from tests.fixtures.httpserver import QuietHandler, serve
from tests.fixtures.registry import RunningRegistry
from tests.fixtures.samples import keychain_of, push_sample_image, unique_repository

from goship.oci import mediatypes
from goship.oci.digest import Digest
from goship.oci.reference import Reference
from goship.registry import RegistryClient, RegistryOptions
from goship.release.promote import promote
from goship.release.referrers import cosign_tag, discover

pytestmark = pytest.mark.integration

PAGE = 2
REFERRERS = re.compile(r"/v2/(?P<name>.+)/referrers/(?P<subject>sha256:[0-9a-f]{64})")
KINDS = ("application/spdx+json", "application/vnd.in-toto+json",
         "application/vnd.dev.cosign.artifact.sig.v1+json", "application/spdx+json",
         "application/vnd.example.report")


class PagingProxy(QuietHandler):
    upstream: ClassVar[str] = ""
    listed: ClassVar[dict[str, list[dict[str, object]]]] = {}  # subject digest -> descriptors
    pages: ClassVar[list[str]] = []  # the referrers URLs asked for
    loop: ClassVar[bool] = False  # the last page links back to the first

    def do_HEAD(self) -> None:
        self._forward("HEAD")

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        asked = REFERRERS.fullmatch(parts.path)
        if asked is None:
            self._forward("GET")
            return
        PagingProxy.pages.append(self.path)
        subject = asked.group("subject")
        items = PagingProxy.listed.get(subject, [])
        page = int(parse_qs(parts.query).get("page", ["0"])[0])
        body = json.dumps({"schemaVersion": 2, "mediaType": mediatypes.OCI_INDEX,
                           "manifests": items[page * PAGE:(page + 1) * PAGE]}).encode()
        headers = {}
        if (page + 1) * PAGE < len(items):
            headers["Link"] = f'<{parts.path}?page={page + 1}>; rel="next"'
        elif PagingProxy.loop:
            headers["Link"] = f'<{parts.path}?page=0>; rel="next"'
        self.answer(200, body, mediatypes.OCI_INDEX, headers)

    def _forward(self, method: str) -> None:
        accept = self.headers.get("Accept")
        answer = httpx.request(method, PagingProxy.upstream + self.path,
                               headers={"Accept": accept} if accept else {})
        self.send_response(answer.status_code)
        for name in ("Content-Type", "Content-Length", "Docker-Content-Digest",
                     "Docker-Distribution-Api-Version"):
            if name in answer.headers:
                self.send_header(name, answer.headers[name])
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(answer.content)


@pytest.fixture
def proxy(registry_plain: RunningRegistry) -> Iterator[str]:
    PagingProxy.upstream = registry_plain.url
    PagingProxy.listed = {}
    PagingProxy.pages = []
    PagingProxy.loop = False
    with serve(PagingProxy) as host:
        yield host


@pytest.fixture
def client(registry_plain: RunningRegistry) -> Iterator[RegistryClient]:
    with RegistryClient(RegistryOptions(retries=1, backoff=0.01, timeout=30),
                        keychain_of(registry_plain)) as made:
        yield made


def push_referrers(client: RegistryClient, repository: Reference, subject: Digest,
                   subject_size: int) -> list[dict[str, object]]:
    """Five artifacts whose subject is ``subject``, pushed to the real registry; their
    descriptors as a registry with the referrers API lists them."""
    empty = Digest.of_bytes(b"{}")
    client.upload_blob(repository, empty, 2, lambda: io.BytesIO(b"{}"))
    descriptors: list[dict[str, object]] = []
    for number, artifact_type in enumerate(KINDS):
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": mediatypes.OCI_MANIFEST, "artifactType": artifact_type,
            "config": {"mediaType": mediatypes.OCI_EMPTY, "digest": str(empty), "size": 2},
            "layers": [{"mediaType": mediatypes.OCI_EMPTY, "digest": str(empty), "size": 2}],
            "subject": {"mediaType": mediatypes.OCI_MANIFEST, "digest": str(subject),
                        "size": subject_size},
            "annotations": {"number": str(number)},
        }, separators=(",", ":")).encode()
        digest = client.put_manifest(repository.with_digest(Digest.of_bytes(manifest)), manifest,
                                     mediatypes.OCI_MANIFEST)
        descriptors.append({"mediaType": mediatypes.OCI_MANIFEST, "digest": str(digest),
                            "size": len(manifest), "artifactType": artifact_type})
    return descriptors


def test_every_page_of_referrers_is_read(registry_plain: RunningRegistry, proxy: str,
                                         client: RegistryClient) -> None:
    repository = unique_repository("paged")
    image = push_sample_image(client, Reference.parse(f"{registry_plain.host}/{repository}:v1"))
    descriptors = push_referrers(client, image.ref.with_tag(""), image.digest, len(image.manifest))
    PagingProxy.listed[str(image.digest)] = descriptors

    found = discover(client, Reference.parse(f"{proxy}/{repository}"), [image.digest])

    assert found.api is True
    assert [str(digest) for digest in found.manifests] == [str(item["digest"]) for item in descriptors]
    # Three pages for this subject (2 + 2 + 1), one each for the five referrers (none of them
    # has referrers of its own).
    asked = [page for page in PagingProxy.pages if str(image.digest) in page]
    assert len(asked) == 3


def test_a_link_back_to_a_page_already_read_ends_the_listing(
        registry_plain: RunningRegistry, proxy: str, client: RegistryClient) -> None:
    repository = unique_repository("paged")
    image = push_sample_image(client, Reference.parse(f"{registry_plain.host}/{repository}:v1"))
    descriptors = push_referrers(client, image.ref.with_tag(""), image.digest, len(image.manifest))
    PagingProxy.listed[str(image.digest)] = descriptors
    PagingProxy.loop = True

    found = discover(client, Reference.parse(f"{proxy}/{repository}"), [image.digest])

    assert len(found.manifests) == len(descriptors)
    assert len([page for page in PagingProxy.pages if str(image.digest) in page]) == 4


def test_promotion_carries_referrers_from_every_page(registry_plain: RunningRegistry, proxy: str,
                                                     client: RegistryClient) -> None:
    repository = unique_repository("paged")
    image = push_sample_image(client, Reference.parse(f"{registry_plain.host}/{repository}:v1"))
    descriptors = push_referrers(client, image.ref.with_tag(""), image.digest, len(image.manifest))
    PagingProxy.listed[str(image.digest)] = descriptors
    target = Reference.parse(f"{registry_plain.host}/{unique_repository('promoted')}")

    result = promote(client, Reference.parse(f"{proxy}/{repository}:v1"), target, tags=["1.0.0"])

    assert sorted(str(item.digest) for item in result.referrers) == \
        sorted(str(item["digest"]) for item in descriptors)
    for item in descriptors:  # each referrer, byte for byte, in the target
        client.get_manifest(target.with_digest(Digest.parse(str(item["digest"]))))
    # The target has no referrers API: the fallback index lists all five.
    raw, _, _ = client.get_manifest(target.with_tag(cosign_tag(image.digest, "")))
    assert sorted(entry["digest"] for entry in json.loads(raw)["manifests"]) == \
        sorted(str(item["digest"]) for item in descriptors)
