"""Upload Location joining and Link-header pagination, as registries really send them."""

from __future__ import annotations

import pytest

from goship.errors import RegistryError
from goship.registry.urls import add_query, display_url, next_link, resolve_location

POST_URL = "https://reg.example:5000/v2/team/app/blobs/uploads/"


def test_relative_location_is_joined_to_the_request() -> None:
    assert (
        resolve_location(POST_URL, "/v2/team/app/blobs/uploads/abc?_state=x", "pushing")
        == "https://reg.example:5000/v2/team/app/blobs/uploads/abc?_state=x"
    )


def test_absolute_location_on_another_host_is_kept() -> None:
    location = "https://storage.example/upload/abc?sig=1"
    assert resolve_location(POST_URL, location, "pushing") == location


def test_missing_location_is_a_registry_error_naming_the_operation() -> None:
    with pytest.raises(RegistryError, match=r"pushing blob: .*without a Location"):
        resolve_location(POST_URL, None, "pushing blob")


def test_digest_is_added_to_a_location_that_already_has_a_query() -> None:
    url = add_query("http://r/v2/a/blobs/uploads/u?_state=abc%3D%3D", digest="sha256:" + "a" * 64)
    assert url == "http://r/v2/a/blobs/uploads/u?_state=abc%3D%3D&digest=sha256:" + "a" * 64


def test_digest_is_added_to_a_location_without_query() -> None:
    assert add_query("/v2/a/blobs/uploads/u", digest="sha256:00") == (
        "/v2/a/blobs/uploads/u?digest=sha256:00"
    )


def test_distribution_style_next_link() -> None:
    url = "http://127.0.0.1:5000/v2/team/app/tags/list?n=2"
    header = '</v2/team/app/tags/list?last=b&n=2>; rel="next"'
    assert next_link(url, [header]) == "http://127.0.0.1:5000/v2/team/app/tags/list?last=b&n=2"


def test_next_link_among_several_links_and_unquoted_rel() -> None:
    header = (
        '<https://r.example/v2/a/tags/list?n=1&last=a,b>; rel="prev", '
        "<https://r.example/v2/a/tags/list?n=1&last=c>; rel=next"
    )
    assert next_link("https://r.example/v2/a/tags/list", [header]) == (
        "https://r.example/v2/a/tags/list?n=1&last=c"
    )


def test_no_next_link() -> None:
    assert next_link("https://r/v2/a/tags/list", []) is None
    assert next_link("https://r/v2/a/tags/list", ['</x>; rel="prev"']) is None


def test_display_url_hides_query_and_userinfo() -> None:
    assert display_url("https://user:secret@s3.example:443/b/key?X-Amz-Signature=abc") == (
        "https://s3.example:443/b/key"
    )
