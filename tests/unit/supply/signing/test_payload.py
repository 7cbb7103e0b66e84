"""The simple-signing payload is written byte for byte as cosign writes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from goship.oci.digest import Digest
from goship.oci.reference import Reference
from goship.supply.signing.gojson import UnencodableError, format_number, marshal, quote
from goship.supply.signing.interface import PayloadError
from goship.supply.signing.payload import docker_reference, make_payload, parse_payload

VECTORS = Path(__file__).parent / "vectors"
DEADBEEF = Digest.parse("sha256:" + "d34db33f" * 8)


def test_cosign_s_payload_for_a_docker_hub_image() -> None:
    ref = Reference.parse("docker.io/namespace/image@sha256:"
                          "4aa3054270f7a70b4528f2064ee90961788e1e1518703592ae4463de3b889dec")
    assert ref.digest is not None
    assert make_payload(docker_reference(ref), ref.digest) == (VECTORS / "obsolete-payload.json").read_bytes()


def test_annotations_with_a_number() -> None:
    payload = make_payload("example.com/atomic/test/image", DEADBEEF,
                           {"timestamp": 1458239713, "creator": "atomic"})
    assert payload == (VECTORS / "sigstore-payload-annotations.json").read_bytes()


def test_nested_float_bool_and_null_annotations_in_go_s_key_order() -> None:
    payload = make_payload("example.com/cosign/test/image", DEADBEEF, {
        "some_struct": {"nothing": None, "foo": "bar", "false": True},
        "creator": "anyone",
        "CamelCase WithSpace": 8.314,
    })
    assert payload == (VECTORS / "sigstore-payload-arbitrary-claims.json").read_bytes()


def test_the_payloads_cosign_signed_are_reproduced() -> None:
    assert make_payload("registry-testing.svc.lan/busybox", Digest.parse(
        "sha256:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b")) == \
        (VECTORS / "payload.json").read_bytes()
    assert make_payload("registry.suse.com/suse/sle-micro/5.0/toolbox", Digest.parse(
        "sha256:356631f7603526a0af827741f5fe005acf19b7ef7705a34241a91c2d47a6db5e"),
        {"creator": "OBS"}) == (VECTORS / "payload-rsa.json").read_bytes()


def test_no_annotations_and_empty_annotations_are_both_null_as_cosign_without_a() -> None:
    assert make_payload("r.example.com/a", DEADBEEF, {}).endswith(b',"optional":null}')
    assert make_payload("r.example.com/a", DEADBEEF, None).endswith(b',"optional":null}')


def test_docker_reference_is_the_repository_without_tag_or_digest() -> None:
    assert docker_reference(Reference.parse("127.0.0.1:5000/team/app:v1")) == "127.0.0.1:5000/team/app"
    assert docker_reference(Reference.parse("busybox")) == "index.docker.io/library/busybox"


def test_strings_are_escaped_as_go_escapes_them() -> None:
    text = 'a<b>&c"d\\e\nf\tg\r\b\f\x01\x1f\x7f é ✓ \u2028\u2029 😀'
    assert quote(text) == ('"a\\u003cb\\u003e\\u0026c\\"d\\\\e\\nf\\tg\\r\\b\\f\\u0001\\u001f\x7f é ✓ '
                           '\\u2028\\u2029 😀"')
    assert marshal({"k": "\ud800"}) == '{"k":"\ufffd"}'.encode()  # invalid UTF-8 becomes U+FFFD


@pytest.mark.parametrize(("number", "text"), [
    (0, "0"), (-0.0, "-0"), (1, "1"), (1.5, "1.5"), (100.0, "100"), (0.1, "0.1"),
    (1e20, "100000000000000000000"), (1e21, "1e+21"), (1.2345e22, "1.2345e+22"),
    (1e-6, "0.000001"), (1e-7, "1e-7"), (1.5e-10, "1.5e-10"), (-2.5e300, "-2.5e+300"),
    (2**53 + 1, "9007199254740992"),  # a float64, as Go decodes every JSON number
    (123456789, "123456789"),
])
def test_numbers_are_written_as_go_writes_a_float64(number: float, text: str) -> None:
    assert format_number(number) == text


def test_values_go_cannot_encode_are_refused() -> None:
    with pytest.raises(UnencodableError):
        make_payload("r.example.com/a", DEADBEEF, {"bad": float("nan")})
    with pytest.raises(UnencodableError):
        marshal({"bytes": b"raw"})


def test_a_payload_reads_back() -> None:
    document = parse_payload((VECTORS / "payload-rsa.json").read_bytes())
    assert document.docker_reference == "registry.suse.com/suse/sle-micro/5.0/toolbox"
    assert document.manifest_digest == (
        "sha256:356631f7603526a0af827741f5fe005acf19b7ef7705a34241a91c2d47a6db5e")
    assert document.type == "cosign container image signature"
    assert document.annotation_strings() == {"creator": "OBS"}
    claims = parse_payload((VECTORS / "sigstore-payload-arbitrary-claims.json").read_bytes())
    nested = json.dumps({"false": True, "foo": "bar", "nothing": None})
    assert claims.annotation_strings()["some_struct"] == nested


@pytest.mark.parametrize("raw", [b"", b"[]", b'{"critical":{}}', b'{"critical":{"image":{}}}',
                                 b'{"critical":{"image":{"docker-manifest-digest":"sha256:x"}}}', b"\xff"])
def test_a_document_that_is_not_a_simple_signing_payload_is_refused(raw: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_payload(raw)
