"""Listing tags (with ``Link`` pagination) and the referrers API."""

from __future__ import annotations

import json

from goship.errors import ImageError
from goship.oci import mediatypes
from goship.oci.digest import Digest
from goship.oci.reference import Reference
from goship.registry.challenge import pull_scope
from goship.registry.failures import (
    error_codes,
    error_for_status,
    looks_like_html,
    not_a_registry,
    read_limited,
)
from goship.registry.transport import Transport
from goship.registry.urls import next_link

MAX_PAGES = 10_000
PAGE_LIMIT = 16 * 1024 * 1024


def list_tags(transport: Transport, ref: Reference, page_size: int | None = None) -> list[str]:
    what = f"listing tags of {ref.name}"
    url = f"/v2/{ref.repository}/tags/list"
    if page_size is not None:
        url += f"?n={page_size}"
    tags: list[str] = []
    seen: set[str] = set()
    for _page in range(MAX_PAGES):
        response = transport.request(
            "GET", url, what=what, scopes=[pull_scope(ref.repository)]
        )
        codes = error_codes(response) if response.status_code == 404 else set()
        if response.status_code == 404 and (not codes or "NAME_UNKNOWN" in codes) and (
            not looks_like_html(response)
        ):
            raise ImageError(
                f"{what}: repository {ref.name} not found",
                "check the registry and repository name",
            )
        if response.status_code != 200:
            raise error_for_status(response, what, transport.host)
        try:
            data = json.loads(read_limited(response, PAGE_LIMIT))
        except (UnicodeDecodeError, json.JSONDecodeError):
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("tags") or [], list):
            raise not_a_registry(transport.host, response, what)
        tags.extend(str(tag) for tag in data.get("tags") or [])
        following = next_link(str(response.request.url), response.headers.get_list("link"))
        if following is None or following in seen:
            break
        seen.add(following)
        url = following
    return tags


def referrers(transport: Transport, ref: Reference, digest: Digest) -> bytes | None:
    """The referrers index of ``digest`` (OCI 1.1), or None when the registry has none.

    A registry may answer a long list in pages, each with a ``Link: <...>; rel="next"``
    header (distribution spec, "Listing Referrers"); the pages' ``manifests`` are joined into
    the one index returned, which keeps the first page's other fields."""
    what = f"listing referrers of {ref.name}@{digest.short()}"
    url = f"/v2/{ref.repository}/referrers/{digest}"
    document: dict[str, object] = {}
    manifests: list[object] = []
    seen: set[str] = set()
    for _page in range(MAX_PAGES):
        response = transport.request(
            "GET", url, what=what, scopes=[pull_scope(ref.repository)],
            headers={"Accept": mediatypes.OCI_INDEX},
        )
        if response.status_code == 404 and not document:
            return None
        if response.status_code != 200 or looks_like_html(response):
            raise error_for_status(response, what, transport.host)
        raw = read_limited(response, PAGE_LIMIT)
        following = next_link(str(response.request.url), response.headers.get_list("link"))
        if not document and following is None:
            return raw  # one page: the registry's bytes as they are
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("manifests"), list):
            raise not_a_registry(transport.host, response, what)
        document = document or data
        manifests.extend(data["manifests"])
        if following is None or following in seen:
            break
        seen.add(following)
        url = following
    return json.dumps({**document, "manifests": manifests}, separators=(",", ":")).encode()
