"""The `.sig` manifest and its config have the bytes cosign (go-containerregistry) writes."""

from __future__ import annotations

import json

from goship.oci import mediatypes
from goship.oci.digest import Digest
from goship.oci.manifest import Descriptor
from goship.supply.signing.store import signature_config, signature_manifest, signature_tag

PAYLOAD = Digest.parse("sha256:4306feade2f8d7aa22ad654dfd61d0ee66a94f8970fba8d825f45641e9087a78")
SECOND = Digest.parse("sha256:" + "ab" * 32)


def test_the_tag_is_cosign_s() -> None:
    assert signature_tag(PAYLOAD) == f"sha256-{PAYLOAD.hex}.sig"


def test_a_new_signature_image_config_is_go_containerregistry_s_empty_image_plus_one_layer() -> None:
    config = signature_config(None, [str(PAYLOAD)], appended=1)
    assert config == (
        b'{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],'
        b'"os":"","rootfs":{"type":"layers","diff_ids":["' + str(PAYLOAD).encode() + b'"]},"config":{}}')
    assert len(config) == 233  # the config size cosign's signature manifests carry


def test_an_appended_layer_keeps_the_previous_config_s_dates_and_history() -> None:
    previous = json.loads(signature_config(None, [str(PAYLOAD)], appended=1))
    previous["created"] = "2023-02-17T09:25:33.91047962-08:00"  # what older cosign releases recorded
    config = json.loads(signature_config(previous, [str(PAYLOAD), str(SECOND)], appended=1))
    assert config["created"] == "2023-02-17T09:25:33.91047962-08:00"
    assert config["history"] == [{"created": "0001-01-01T00:00:00Z"}] * 2
    assert config["rootfs"]["diff_ids"] == [str(PAYLOAD), str(SECOND)]


def test_the_manifest_has_go_s_field_order() -> None:
    config = Descriptor(mediatypes.OCI_CONFIG, SECOND, 233)
    layer = Descriptor("application/vnd.dev.cosign.simplesigning.v1+json", PAYLOAD, 250,
                       annotations=(("dev.cosignproject.cosign/signature", "MEUCIQ=="),))
    raw = signature_manifest(mediatypes.OCI_MANIFEST, config, (layer,))
    assert raw == (
        b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'
        b'"config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":233,"digest":"'
        + str(SECOND).encode() + b'"},'
        b'"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json",'
        b'"size":250,"digest":"' + str(PAYLOAD).encode()
        + b'","annotations":{"dev.cosignproject.cosign/signature":"MEUCIQ=="}}]}')
