"""Push and pull round trips against the real distribution registry in all three setups."""

from __future__ import annotations

import pytest
from tests.fixtures.registry import RunningRegistry
from tests.fixtures.samples import push_sample_image, unique_repository

from goship.errors import ImageError
from goship.oci import mediatypes
from goship.oci.digest import Digest
from goship.oci.reference import Reference

pytestmark = pytest.mark.integration

FLAVOURS = ["registry_plain", "registry_tls", "registry_token"]


@pytest.fixture(params=FLAVOURS)
def registry(request: pytest.FixtureRequest) -> RunningRegistry:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


def test_push_then_read_back_manifest_blob_and_tag(registry: RunningRegistry, make_client) -> None:
    client = make_client(registry)
    ref = Reference.parse(f"{registry.host}/{unique_repository()}:v1")
    pushed = push_sample_image(client, ref)

    raw, media_type, digest = client.get_manifest(ref)
    assert raw == pushed.manifest
    assert media_type == mediatypes.OCI_MANIFEST
    assert digest == pushed.digest == Digest.of_bytes(pushed.manifest)

    by_digest = ref.with_digest(pushed.digest)
    assert client.get_manifest(Reference(ref.registry, ref.repository, "", pushed.digest))[0] == raw
    assert client.head_manifest(by_digest) == (mediatypes.OCI_MANIFEST, pushed.digest, len(raw))

    with client.open_blob(ref, pushed.layer_digest) as reader:
        assert reader.read() == pushed.layer
        assert reader.verified
    assert client.blob_exists(ref, pushed.layer_digest)
    assert client.list_tags(ref) == ["v1"]


def test_second_upload_of_the_same_blob_is_exists(registry: RunningRegistry, make_client) -> None:
    client = make_client(registry)
    ref = Reference.parse(f"{registry.host}/{unique_repository()}:v1")
    pushed = push_sample_image(client, ref)
    again = client.upload_blob(ref, pushed.layer_digest, len(pushed.layer),
                               lambda: pytest.fail("an existing blob must not be read"))
    assert again == "exists"


def test_missing_manifest_is_an_image_error(registry: RunningRegistry, make_client) -> None:
    client = make_client(registry)
    ref = Reference.parse(f"{registry.host}/{unique_repository()}:v1")
    push_sample_image(client, ref)
    missing = ref.with_tag("does-not-exist")
    with pytest.raises(ImageError) as caught:
        client.get_manifest(missing)
    assert f"image {missing} not found" in caught.value.message
    assert caught.value.exit_code == 5
    assert client.head_manifest(missing) is None


def test_unknown_repository_is_an_image_error(registry: RunningRegistry, make_client) -> None:
    client = make_client(registry)
    ref = Reference.parse(f"{registry.host}/{unique_repository('never')}:v1")
    with pytest.raises(ImageError, match="not found"):
        client.get_manifest(ref)
    with pytest.raises(ImageError, match="not found"):
        client.list_tags(ref)


def test_delete_manifest_then_it_is_gone(registry: RunningRegistry, make_client) -> None:
    client = make_client(registry)
    ref = Reference.parse(f"{registry.host}/{unique_repository()}:v1")
    pushed = push_sample_image(client, ref)
    client.delete_manifest(ref.with_digest(pushed.digest))
    assert client.head_manifest(ref) is None
    with pytest.raises(ImageError):
        client.delete_manifest(ref.with_digest(pushed.digest))


def test_index_round_trip_keeps_its_media_type(registry: RunningRegistry, make_client) -> None:
    from goship.oci.manifest import Descriptor, Index
    from goship.oci.platform import Platform

    client = make_client(registry)
    ref = Reference.parse(f"{registry.host}/{unique_repository()}:v1")
    pushed = push_sample_image(client, ref)
    index = Index((Descriptor(mediatypes.OCI_MANIFEST, pushed.digest, len(pushed.manifest),
                              platform=Platform("linux", "amd64")),)).to_bytes()
    index_ref = ref.with_tag("multi")
    digest = client.put_manifest(index_ref, index, mediatypes.OCI_INDEX)
    assert client.get_manifest(index_ref) == (index, mediatypes.OCI_INDEX, digest)


def test_referrers_absent_is_none(registry_plain: RunningRegistry, make_client) -> None:
    client = make_client(registry_plain)
    ref = Reference.parse(f"{registry_plain.host}/{unique_repository()}:v1")
    pushed = push_sample_image(client, ref)
    # distribution 2.8 has no referrers API: the client reports "none", not an error.
    assert client.referrers(ref, pushed.digest) is None
