"""cosign's encrypted private key file: a PEM block around a JSON envelope.

::

    -----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----
    base64 of {"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":"…"},
               "cipher":{"name":"nacl/secretbox","nonce":"…"},"ciphertext":"…"}
    -----END ENCRYPTED SIGSTORE PRIVATE KEY-----

The secretbox key is scrypt(password, salt, N, r, p, 32 bytes); the box (XSalsa20-Poly1305,
24-byte nonce) holds the private key as PKCS #8 DER. Older cosign releases wrote the header
``ENCRYPTED COSIGN PRIVATE KEY``; both are read, the current one is written. The crypto is
the `cryptography` package's scrypt and PyNaCl's SecretBox. Only the envelope and the PEM
armour (a base64 body between two marker lines, which neither library exposes for arbitrary
labels) are written here.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from dataclasses import dataclass
from typing import Any

from goship.supply.signing.gojson import Fields, marshal
from goship.supply.signing.interface import KeyFileError, WrongPasswordError

SIGSTORE_PRIVATE_KEY = "ENCRYPTED SIGSTORE PRIVATE KEY"
COSIGN_PRIVATE_KEY = "ENCRYPTED COSIGN PRIVATE KEY"  # written by cosign before 2.0
PRIVATE_KEY_LABELS = (SIGSTORE_PRIVATE_KEY, COSIGN_PRIVATE_KEY)

SCRYPT_N, SCRYPT_R, SCRYPT_P = 32768, 8, 1
# The parameter sets cosign's decryption accepts (its library's legacy, standard and OWASP
# strengths); anything else is refused before scrypt runs, so an altered file cannot make
# the key derivation take hours or all memory.
ACCEPTED_SCRYPT = frozenset({(32768, 8, 1), (65536, 8, 1), (131072, 8, 1)})
SALT_SIZE = 32
KEY_SIZE = 32
NONCE_SIZE = 24

_PEM = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----", re.DOTALL)
_HEADER_LINE = re.compile(rb"^[A-Za-z0-9-]+:")


@dataclass(frozen=True)
class PemBlock:
    label: str
    body: bytes  # the decoded bytes


def read_pem(data: bytes, what: str) -> PemBlock:
    """The first PEM block in ``data`` (text around it is ignored, as Go's pem.Decode does)."""
    match = _PEM.search(data)
    if match is None:
        raise KeyFileError(f"reading {what}: no PEM block in the file",
                           "give a key file written by goship keygen or cosign generate-key-pair "
                           "(private) or a PEM public key")
    lines = [line.strip() for line in match.group(2).splitlines()]
    body = b"".join(line for line in lines if line and not _HEADER_LINE.match(line))
    try:
        decoded = base64.b64decode(body, validate=True)
    except binascii.Error as exc:
        raise KeyFileError(f"reading {what}: the PEM block's base64 is damaged ({exc})",
                           "the file was cut or altered; use an intact copy") from exc
    return PemBlock(match.group(1).decode("ascii"), decoded)


def write_pem(label: str, body: bytes) -> bytes:
    """A PEM block as Go's pem.EncodeToMemory writes it: 64-column lines, a final newline."""
    encoded = base64.b64encode(body)
    lines = [encoded[start:start + 64] for start in range(0, len(encoded), 64)]
    return (f"-----BEGIN {label}-----\n".encode() + b"".join(line + b"\n" for line in lines)
            + f"-----END {label}-----\n".encode())


def _derive(password: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=KEY_SIZE, n=n, r=r, p=p).derive(password)


def seal(plaintext: bytes, password: bytes) -> bytes:
    """The JSON envelope of ``plaintext`` encrypted with ``password``: fresh salt and nonce,
    cosign's default scrypt strength, keys in the order cosign writes them."""
    from nacl.secret import SecretBox

    salt, nonce = os.urandom(SALT_SIZE), os.urandom(NONCE_SIZE)
    key = _derive(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    ciphertext = SecretBox(key).encrypt(plaintext, nonce).ciphertext

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    return marshal(Fields((
        ("kdf", Fields((("name", "scrypt"),
                        ("params", Fields((("N", SCRYPT_N), ("r", SCRYPT_R), ("p", SCRYPT_P)))),
                        ("salt", b64(salt))))),
        ("cipher", Fields((("name", "nacl/secretbox"), ("nonce", b64(nonce))))),
        ("ciphertext", b64(ciphertext)),
    )))


def unseal(envelope: bytes, password: bytes, what: str) -> bytes:
    """The plaintext of a JSON envelope; WrongPasswordError when ``password`` does not open it."""
    from nacl.exceptions import CryptoError
    from nacl.secret import SecretBox

    damaged = "the key file is damaged or not a cosign key; use an intact copy"
    try:
        data = json.loads(envelope)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KeyFileError(f"reading {what}: the encrypted key is not cosign's JSON envelope",
                           damaged) from exc
    kdf, cipher = _object(data, "kdf", what), _object(data, "cipher", what)
    if kdf.get("name") != "scrypt":
        raise KeyFileError(f"reading {what}: unsupported key derivation {kdf.get('name')!r} "
                           "(cosign keys use scrypt)", damaged)
    if cipher.get("name") != "nacl/secretbox":
        raise KeyFileError(f"reading {what}: unsupported cipher {cipher.get('name')!r} "
                           "(cosign keys use nacl/secretbox)", damaged)
    params = kdf.get("params")
    found = tuple(params.get(name) for name in ("N", "r", "p")) if isinstance(params, dict) else ()
    if found not in ACCEPTED_SCRYPT:
        raise KeyFileError(f"reading {what}: unsupported scrypt parameters {params!r}",
                           "cosign accepts N=32768, 65536 or 131072 with r=8, p=1; " + damaged)
    salt = _base64_field(kdf, "salt", what)
    nonce = _base64_field(cipher, "nonce", what)
    ciphertext = _base64_field(data, "ciphertext", what)
    if len(nonce) != NONCE_SIZE:
        raise KeyFileError(f"reading {what}: the nonce is {len(nonce)} bytes, not {NONCE_SIZE}", damaged)
    n, r, p = found
    key = _derive(password, salt, int(n), int(r), int(p))
    try:
        return SecretBox(key).decrypt(ciphertext, nonce)
    except CryptoError as exc:
        raise WrongPasswordError(
            f"decrypting {what}: wrong password",
            "give the password the key was made with in GOSHIP_PASSWORD (or COSIGN_PASSWORD), "
            "or type it when asked; if it is right, the key file was altered") from exc


def _object(data: Any, key: str, what: str) -> dict[str, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, dict):
        raise KeyFileError(f"reading {what}: the encrypted key has no '{key}' object",
                           "the key file is damaged or not a cosign key; use an intact copy")
    return value


def _base64_field(data: dict[str, Any], key: str, what: str) -> bytes:
    value = data.get(key)
    try:
        if not isinstance(value, str):
            raise ValueError("missing")
        return base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise KeyFileError(f"reading {what}: the encrypted key's '{key}' is not base64",
                           "the key file is damaged or not a cosign key; use an intact copy") from exc
