"""Key files in cosign's format: the cosign-made vectors read as cosign reads them, and the
files goship keygen writes have cosign's exact envelope."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest

from goship.errors import ExitCode, UsageError
from goship.supply.signing.envelope import read_pem, seal, unseal, write_pem
from goship.supply.signing.interface import KeyFileError, SigningError, WrongPasswordError
from goship.supply.signing.keys import (
    load_private_key,
    load_public_key,
    read_private_key_file,
    write_key_pair,
)

VECTORS = Path(__file__).parent / "vectors"
PASSWORD = (VECTORS / "PASSWORD.txt").read_bytes()


def test_the_cosign_made_key_decrypts_with_its_password_and_matches_its_public_key() -> None:
    key = load_private_key(VECTORS / "encrypted.key", PASSWORD)
    assert key.public_key().to_pem() == (VECTORS / "encrypted.pub").read_bytes()
    signature = key.sign(b"payload")
    assert load_public_key(VECTORS / "encrypted.pub").verify(signature, b"payload")


def test_a_wrong_password_is_a_clear_signature_error_naming_the_key_file() -> None:
    with pytest.raises(WrongPasswordError) as raised:
        load_private_key(VECTORS / "encrypted.key", b"hello!")
    error = raised.value
    assert error.exit_code == ExitCode.SIGNATURE == 11
    assert error.message == f"decrypting {VECTORS / 'encrypted.key'}: wrong password"
    assert "GOSHIP_PASSWORD" in error.hint


def test_the_legacy_cosign_header_is_read() -> None:
    key = load_private_key(VECTORS / "legacy-cosign-header.key", PASSWORD)
    assert key.public_key().verify(key.sign(b"x"), b"x")


def test_an_empty_password_is_a_password() -> None:
    key = load_private_key(VECTORS / "empty-password.key", b"")
    assert key.public_key().to_pem() == (VECTORS / "empty-password.pub").read_bytes()
    with pytest.raises(WrongPasswordError):
        load_private_key(VECTORS / "empty-password.key", b" ")


def test_a_sec1_key_inside_the_envelope_is_refused_as_cosign_refuses_it() -> None:
    with pytest.raises(KeyFileError) as raised:
        load_private_key(VECTORS / "legacy-cosign-header-sec1.key", PASSWORD)
    assert "not PKCS #8" in raised.value.message
    assert "SEC 1" in raised.value.message
    assert raised.value.exit_code == ExitCode.SIGNATURE


@pytest.mark.parametrize(("content", "expected"), [
    (None, "no such file"),
    (b"", "no PEM block"),
    (b"just some text\n", "no PEM block"),
    (b"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n!!!!\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
     "base64 is damaged"),
    (write_pem("ENCRYPTED SIGSTORE PRIVATE KEY", b"not json"), "not cosign's JSON envelope"),
    (write_pem("ENCRYPTED SIGSTORE PRIVATE KEY", b'{"kdf":{"name":"pbkdf2"},"cipher":{}}'),
     "unsupported key derivation"),
    ((VECTORS / "encrypted.pub").read_bytes(), "holds a public key, not a cosign encrypted private key"),
    (write_pem("EC PRIVATE KEY", b"\x30\x00"), "holds a 'EC PRIVATE KEY' block"),
])
def test_a_missing_or_malformed_private_key_file_is_named_with_what_is_wrong(
        tmp_path: Path, content: bytes | None, expected: str) -> None:
    path = tmp_path / "cosign.key"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(KeyFileError) as raised:
        read_private_key_file(path).decrypt(b"")
    assert str(path) in raised.value.message
    assert expected in raised.value.message
    assert raised.value.hint


def _envelope_of(path: Path) -> dict:
    block = read_pem(path.read_bytes(), str(path))
    return json.loads(block.body)


def test_altered_scrypt_parameters_are_refused_before_any_key_derivation(tmp_path: Path) -> None:
    envelope = _envelope_of(VECTORS / "encrypted.key")
    envelope["kdf"]["params"]["N"] = 1 << 30  # would take hours and gigabytes
    path = tmp_path / "altered.key"
    path.write_bytes(write_pem("ENCRYPTED SIGSTORE PRIVATE KEY", json.dumps(envelope).encode()))
    with pytest.raises(KeyFileError, match="unsupported scrypt parameters"):
        load_private_key(path, PASSWORD)


def test_an_altered_ciphertext_does_not_decrypt(tmp_path: Path) -> None:
    envelope = _envelope_of(VECTORS / "encrypted.key")
    ciphertext = bytearray(base64.b64decode(envelope["ciphertext"]))
    ciphertext[-1] ^= 1
    envelope["ciphertext"] = base64.b64encode(bytes(ciphertext)).decode()
    path = tmp_path / "altered.key"
    path.write_bytes(write_pem("ENCRYPTED SIGSTORE PRIVATE KEY", json.dumps(envelope).encode()))
    with pytest.raises(WrongPasswordError):
        load_private_key(path, PASSWORD)


def test_keygen_writes_cosign_s_envelope_and_a_pem_public_key(tmp_path: Path) -> None:
    files = write_key_pair(tmp_path / "release", b"s3cret")
    assert files.private_key == tmp_path / "release.key"
    assert files.public_key == tmp_path / "release.pub"
    assert stat.S_IMODE(files.private_key.stat().st_mode) == 0o600
    text = files.private_key.read_bytes()
    assert text.startswith(b"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
    assert text.endswith(b"-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
    assert all(len(line) <= 64 for line in text.splitlines())
    raw = read_pem(text, "release.key").body
    envelope = json.loads(raw)
    # Go's encoder writes the struct fields in this order, with nothing else
    assert list(envelope) == ["kdf", "cipher", "ciphertext"]
    assert list(envelope["kdf"]) == ["name", "params", "salt"]
    assert envelope["kdf"]["name"] == "scrypt"
    assert raw.startswith(b'{"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":"')
    assert len(base64.b64decode(envelope["kdf"]["salt"])) == 32
    assert envelope["cipher"]["name"] == "nacl/secretbox"
    assert len(base64.b64decode(envelope["cipher"]["nonce"])) == 24
    public = files.public_key.read_bytes()
    assert public.startswith(b"-----BEGIN PUBLIC KEY-----\n")
    key = load_private_key(files.private_key, b"s3cret")
    assert key.public_key().to_pem() == public
    assert load_public_key(files.public_key).algorithm == "ECDSA P-256 SHA-256"
    with pytest.raises(WrongPasswordError):
        load_private_key(files.private_key, b"other")


def test_two_key_pairs_differ_in_key_salt_and_nonce(tmp_path: Path) -> None:
    first = _envelope_of(write_key_pair(tmp_path / "a", b"pw").private_key)
    second = _envelope_of(write_key_pair(tmp_path / "b", b"pw").private_key)
    assert first["kdf"]["salt"] != second["kdf"]["salt"]
    assert first["cipher"]["nonce"] != second["cipher"]["nonce"]
    assert (tmp_path / "a.pub").read_bytes() != (tmp_path / "b.pub").read_bytes()


def test_keygen_refuses_to_replace_a_key_pair_without_force(tmp_path: Path) -> None:
    files = write_key_pair(tmp_path / "cosign", b"")
    before = files.private_key.read_bytes(), files.public_key.read_bytes()
    with pytest.raises(UsageError, match="already exist"):
        write_key_pair(tmp_path / "cosign", b"")
    assert (files.private_key.read_bytes(), files.public_key.read_bytes()) == before
    replaced = write_key_pair(tmp_path / "cosign", b"", force=True)
    assert replaced.public_key.read_bytes() != before[1]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cosign.key", "cosign.pub"]  # no temp files


def test_the_envelope_round_trips_any_plaintext_and_password() -> None:
    sealed = seal(b"\x00secret\xff", "pässwörd".encode())
    assert unseal(sealed, "pässwörd".encode(), "x") == b"\x00secret\xff"
    with pytest.raises(WrongPasswordError):
        unseal(sealed, b"passwort", "x")


def test_public_keys_of_every_kind_cosign_verifies_are_read() -> None:
    assert load_public_key(VECTORS / "payload.pub").algorithm == "ECDSA P-256 SHA-256"
    assert load_public_key(VECTORS / "payload-rsa.pub").algorithm == "RSA-2048 PKCS#1 v1.5 SHA-256"


def test_ed25519_and_pkcs1_rsa_public_keys_are_read(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    private = ed25519.Ed25519PrivateKey.generate()
    (tmp_path / "ed.pub").write_bytes(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    key = load_public_key(tmp_path / "ed.pub")
    assert key.algorithm == "Ed25519"
    assert key.verify(private.sign(b"m"), b"m")
    assert not key.verify(private.sign(b"m"), b"n")
    rsa_key = rsa.generate_private_key(65537, 2048).public_key()
    (tmp_path / "rsa.pub").write_bytes(rsa_key.public_bytes(serialization.Encoding.PEM,
                                                            serialization.PublicFormat.PKCS1))
    assert load_public_key(tmp_path / "rsa.pub").algorithm == "RSA-2048 PKCS#1 v1.5 SHA-256"


@pytest.mark.parametrize(("content", "expected"), [
    (None, "no such file"),
    ((VECTORS / "encrypted.key").read_bytes(), "it is a private key, not a public key"),
    (write_pem("CERTIFICATE REQUEST", b"\x30\x00"), "is not a public key"),
    (write_pem("PUBLIC KEY", b"\x30\x03\x02\x01\x00"), "cannot be parsed"),
])
def test_a_missing_or_wrong_public_key_file_is_a_clear_error(tmp_path: Path, content: bytes | None,
                                                              expected: str) -> None:
    path = tmp_path / "cosign.pub"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SigningError) as raised:
        load_public_key(path)
    assert expected in raised.value.message
    assert str(path) in raised.value.message


def test_a_weak_rsa_public_key_is_refused_as_sigstore_refuses_it(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    weak = rsa.generate_private_key(65537, 1024).public_key()
    (tmp_path / "weak.pub").write_bytes(weak.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    with pytest.raises(KeyFileError, match="1024 bits"):
        load_public_key(tmp_path / "weak.pub")
