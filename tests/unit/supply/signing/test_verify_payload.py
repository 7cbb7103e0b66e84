"""One signature checked against its payload and the image digest, with the signatures cosign
made (the public vectors) and with goship's own."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from goship.oci.digest import Digest
from goship.supply.signing.keys import generate_private_key, load_private_key, load_public_key
from goship.supply.signing.payload import make_payload
from goship.supply.signing.verify import check_payload

VECTORS = Path(__file__).parent / "vectors"
PAYLOAD = (VECTORS / "payload.json").read_bytes()
SIGNATURE = (VECTORS / "payload.sig.b64").read_text()
DIGEST = Digest.parse("sha256:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b")
RSA_DIGEST = Digest.parse("sha256:356631f7603526a0af827741f5fe005acf19b7ef7705a34241a91c2d47a6db5e")


def test_a_signature_cosign_made_verifies() -> None:
    check = check_payload(0, PAYLOAD, SIGNATURE, DIGEST, [load_public_key(VECTORS / "payload.pub")])
    assert check.verified, check.reason
    assert check.key == str(VECTORS / "payload.pub")
    assert check.docker_reference == "registry-testing.svc.lan/busybox"


@pytest.mark.parametrize("position", [0, 60, 130, len(PAYLOAD) - 1])
def test_a_flipped_payload_byte_fails(position: int) -> None:
    altered = bytearray(PAYLOAD)
    altered[position] ^= 0x01
    check = check_payload(0, bytes(altered), SIGNATURE, DIGEST, [load_public_key(VECTORS / "payload.pub")])
    assert not check.verified
    assert "does not verify with" in check.reason


def test_a_flipped_signature_byte_fails() -> None:
    raw = bytearray(base64.b64decode(SIGNATURE))
    raw[-1] ^= 0x01
    check = check_payload(0, PAYLOAD, base64.b64encode(bytes(raw)).decode(), DIGEST,
                          [load_public_key(VECTORS / "payload.pub")])
    assert not check.verified
    assert "does not verify" in check.reason


def test_the_rsa_signature_verifies_and_shows_its_annotation() -> None:
    keys = [load_public_key(VECTORS / "payload.pub"), load_public_key(VECTORS / "payload-rsa.pub")]
    check = check_payload(3, (VECTORS / "payload-rsa.json").read_bytes(),
                          (VECTORS / "payload-rsa.sig.b64").read_text(), RSA_DIGEST, keys)
    assert check.verified, check.reason
    assert check.key == str(VECTORS / "payload-rsa.pub")
    assert check.annotations == (("creator", "OBS"),)
    assert check.index == 3


def test_the_wrong_key_fails_and_names_the_keys_tried() -> None:
    keys = [load_public_key(VECTORS / "encrypted.pub"), load_public_key(VECTORS / "empty-password.pub")]
    check = check_payload(0, PAYLOAD, SIGNATURE, DIGEST, keys)
    assert not check.verified
    assert check.reason == (f"the signature does not verify with any of {VECTORS / 'encrypted.pub'}, "
                            f"{VECTORS / 'empty-password.pub'}")


def test_a_valid_signature_over_another_digest_fails() -> None:
    other = Digest.parse("sha256:" + "0" * 64)
    check = check_payload(0, PAYLOAD, SIGNATURE, other, [load_public_key(VECTORS / "payload.pub")])
    assert not check.verified
    assert f"names {DIGEST}, not this image's {other}" in check.reason


def test_a_signed_payload_of_another_type_fails() -> None:
    key = load_private_key(VECTORS / "encrypted.key", b"hello")
    payload = make_payload("r.example.com/a", DIGEST).replace(
        b"cosign container image signature", b"atomic container signature")
    signature = base64.b64encode(key.sign(payload)).decode()
    check = check_payload(0, payload, signature, DIGEST, [key.public_key()])
    assert not check.verified
    assert "type is 'atomic container signature'" in check.reason


@pytest.mark.parametrize(("annotation", "reason"), [
    (None, "no dev.cosignproject.cosign/signature annotation"),
    ("not base64!", "not base64"),
    ("", "not base64"),
])
def test_a_missing_or_unreadable_signature_annotation_fails(annotation: str | None, reason: str) -> None:
    check = check_payload(0, PAYLOAD, annotation, DIGEST, [load_public_key(VECTORS / "payload.pub")])
    assert not check.verified
    assert reason in check.reason


def test_a_signature_with_line_breaks_in_its_base64_verifies_as_in_cosign() -> None:
    wrapped = SIGNATURE[:40] + "\n" + SIGNATURE[40:] + "\n"
    assert check_payload(0, PAYLOAD, wrapped, DIGEST, [load_public_key(VECTORS / "payload.pub")]).verified


def test_goship_signatures_are_asn1_der_ecdsa_over_sha256() -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    key = generate_private_key()
    payload = make_payload("r.example.com/a", DIGEST, {"env": "prod"})
    signature = key.sign(payload)
    decode_dss_signature(signature)  # DER SEQUENCE { r, s }
    public = key.key.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(signature, payload, ec.ECDSA(hashes.SHA256()))
    check = check_payload(0, payload, base64.b64encode(signature).decode(), DIGEST, [key.public_key()])
    assert check.verified and check.annotations == (("env", "prod"),)
