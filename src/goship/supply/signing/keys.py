"""Signing keys as cosign keeps them: an encrypted PKCS #8 private key (envelope.py) and a
PEM public key (SubjectPublicKeyInfo).

``goship keygen`` makes ECDSA P-256 pairs, as ``cosign generate-key-pair`` does. Reading
follows cosign: the private key inside the envelope must be PKCS #8 (ECDSA, RSA or Ed25519;
a SEC 1 "EC PRIVATE KEY" is refused, as cosign refuses it), and signatures are ECDSA and
RSA PKCS #1 v1.5 over SHA-256, or plain Ed25519. Public keys are SPKI ("PUBLIC KEY") or
PKCS #1 ("RSA PUBLIC KEY") PEM, with the key sizes and curves sigstore accepts.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from goship.errors import UsageError
from goship.supply.signing.envelope import (
    PRIVATE_KEY_LABELS,
    SIGSTORE_PRIVATE_KEY,
    read_pem,
    seal,
    unseal,
    write_pem,
)
from goship.supply.signing.interface import KeyFileError

PrivateKeyObject = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
PublicKeyObject = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey

CURVES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
RSA_BITS = (2048, 4096)  # the sizes sigstore accepts
PUBLIC_KEY_LABEL = "PUBLIC KEY"
RSA_PUBLIC_KEY_LABEL = "RSA PUBLIC KEY"
_NEW_KEY_HINT = "make a new pair with `goship keygen`, or give a key made by `cosign generate-key-pair`"


@dataclass(frozen=True)
class PublicKey:
    key: PublicKeyObject
    source: str  # the file it came from, as the user named it

    @property
    def algorithm(self) -> str:
        if isinstance(self.key, ec.EllipticCurvePublicKey):
            return f"ECDSA {CURVES.get(self.key.curve.name, self.key.curve.name)} SHA-256"
        if isinstance(self.key, rsa.RSAPublicKey):
            return f"RSA-{self.key.key_size} PKCS#1 v1.5 SHA-256"
        return "Ed25519"

    def verify(self, signature: bytes, payload: bytes) -> bool:
        """Whether ``signature`` is this key's signature over ``payload``."""
        try:
            if isinstance(self.key, ec.EllipticCurvePublicKey):
                self.key.verify(signature, payload, ec.ECDSA(hashes.SHA256()))
            elif isinstance(self.key, rsa.RSAPublicKey):
                self.key.verify(signature, payload, padding.PKCS1v15(), hashes.SHA256())
            else:
                self.key.verify(signature, payload)
        except (InvalidSignature, ValueError):
            return False
        return True

    def to_pem(self) -> bytes:
        return self.key.public_bytes(serialization.Encoding.PEM,
                                     serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class PrivateKey:
    key: PrivateKeyObject
    source: str

    def sign(self, payload: bytes) -> bytes:
        """The signature cosign makes with this key: ASN.1 DER for ECDSA."""
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            return self.key.sign(payload, ec.ECDSA(hashes.SHA256()))
        if isinstance(self.key, rsa.RSAPrivateKey):
            return self.key.sign(payload, padding.PKCS1v15(), hashes.SHA256())
        return self.key.sign(payload)

    def public_key(self) -> PublicKey:
        return PublicKey(self.key.public_key(), self.source)

    def to_pkcs8(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())


def generate_private_key(source: str = "") -> PrivateKey:
    """A new ECDSA P-256 key, the kind `cosign generate-key-pair` makes."""
    return PrivateKey(ec.generate_private_key(ec.SECP256R1()), source)


def encrypted_private_key_pem(key: PrivateKey, password: bytes) -> bytes:
    """The key file cosign writes: PKCS #8 in the envelope, under the current header."""
    return write_pem(SIGSTORE_PRIVATE_KEY, seal(key.to_pkcs8(), password))


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise KeyFileError(f"reading {what}: no such file", "give the path of an existing key file") from exc
    except IsADirectoryError as exc:
        raise KeyFileError(f"reading {what}: it is a directory", "give the path of a key file") from exc
    except OSError as exc:
        raise KeyFileError(f"reading {what}: {exc.strerror or exc}", "check the file's permissions") from exc


def load_private_key(path: Path, password: bytes) -> PrivateKey:
    """The private key in a cosign key file, decrypted with ``password``."""
    return read_private_key_file(path).decrypt(password)


@dataclass(frozen=True)
class EncryptedKeyFile:
    """A cosign private key file that has been read but not yet decrypted."""

    source: str
    envelope: bytes

    def decrypt(self, password: bytes) -> PrivateKey:
        return _private_key_from_der(unseal(self.envelope, password, self.source), self.source)


def read_private_key_file(path: Path) -> EncryptedKeyFile:
    """The file's encrypted key; KeyFileError when it is missing or holds no cosign private key
    (known before a password is asked for)."""
    return encrypted_key_from_pem(_read(path, str(path)), str(path))


def encrypted_key_from_pem(data: bytes, source: str) -> EncryptedKeyFile:
    block = read_pem(data, source)
    if block.label not in PRIVATE_KEY_LABELS:
        kind = "a public key" if "PUBLIC" in block.label else f"a '{block.label}' block"
        raise KeyFileError(f"reading {source}: it holds {kind}, not a cosign encrypted private key",
                           "give the private key (cosign.key) to sign; " + _NEW_KEY_HINT)
    return EncryptedKeyFile(source, block.body)


def _private_key_from_der(der: bytes, source: str) -> PrivateKey:
    if not _is_pkcs8(der):
        raise KeyFileError(
            f"reading {source}: the key inside is not PKCS #8 (an EC key in SEC 1 form, or "
            "PKCS #1); cosign refuses it too",
            "convert it to PKCS #8 (`openssl pkcs8 -topk8`) and import it with "
            "`cosign import-key-pair`, or make a new pair with `goship keygen`")
    try:
        key = serialization.load_der_private_key(der, password=None)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise KeyFileError(f"reading {source}: the decrypted key cannot be parsed ({exc})",
                           _NEW_KEY_HINT) from exc
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name not in CURVES:
        raise KeyFileError(f"reading {source}: ECDSA curve {key.curve.name} is not supported",
                           "use P-256, P-384 or P-521; " + _NEW_KEY_HINT)
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)):
        raise KeyFileError(f"reading {source}: {type(key).__name__} keys cannot sign images",
                           "use an ECDSA, RSA or Ed25519 key; " + _NEW_KEY_HINT)
    return PrivateKey(key, source)


def _is_pkcs8(der: bytes) -> bool:
    """Whether DER bytes are a PKCS #8 PrivateKeyInfo: SEQUENCE { INTEGER, SEQUENCE, ... }.

    ``cryptography`` loads SEC 1 and PKCS #1 DER just as readily, but cosign (Go's
    ParsePKCS8PrivateKey) does not; the second element tells them apart (a SEQUENCE here;
    an OCTET STRING in SEC 1, an INTEGER in PKCS #1)."""
    def header(offset: int) -> tuple[int, int] | None:  # (content start, content length)
        if offset + 2 > len(der):
            return None
        first = der[offset + 1]
        if first < 0x80:
            return offset + 2, first
        count = first & 0x7F
        if count == 0 or count > 4 or offset + 2 + count > len(der):
            return None
        return offset + 2 + count, int.from_bytes(der[offset + 2:offset + 2 + count], "big")

    outer = header(0)
    if der[:1] != b"\x30" or outer is None:
        return False
    version = header(outer[0])
    if der[outer[0]:outer[0] + 1] != b"\x02" or version is None:
        return False
    after = version[0] + version[1]
    return der[after:after + 1] == b"\x30"


def load_public_key(path: Path) -> PublicKey:
    """A PEM public key (SPKI, or PKCS #1 for RSA) as cosign reads ``--key``."""
    return public_key_from_pem(_read(path, str(path)), str(path))


def public_key_from_pem(data: bytes, source: str) -> PublicKey:
    block = read_pem(data, source)
    if block.label in PRIVATE_KEY_LABELS or "PRIVATE" in block.label:
        raise KeyFileError(f"reading {source}: it is a private key, not a public key",
                           "give the public key (cosign.pub) to verify")
    if block.label not in (PUBLIC_KEY_LABEL, RSA_PUBLIC_KEY_LABEL):
        raise KeyFileError(f"reading {source}: a '{block.label}' PEM block is not a public key",
                           "give a PEM public key: -----BEGIN PUBLIC KEY-----")
    try:
        key = serialization.load_der_public_key(block.body)  # SPKI, or PKCS #1 for RSA
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise KeyFileError(f"reading {source}: the public key cannot be parsed ({exc})",
                           "give the .pub file goship keygen or cosign generate-key-pair wrote") from exc
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in CURVES:
            raise KeyFileError(f"reading {source}: ECDSA curve {key.curve.name} is not supported",
                               "sigstore verifies P-256, P-384 and P-521 keys")
    elif isinstance(key, rsa.RSAPublicKey):
        if not RSA_BITS[0] <= key.key_size <= RSA_BITS[1]:
            raise KeyFileError(f"reading {source}: an RSA key of {key.key_size} bits is not accepted",
                               "sigstore verifies RSA keys of 2048 to 4096 bits")
    elif not isinstance(key, ed25519.Ed25519PublicKey):
        raise KeyFileError(f"reading {source}: {type(key).__name__} keys cannot verify image signatures",
                           "give an ECDSA, RSA or Ed25519 public key")
    return PublicKey(key, source)


@dataclass(frozen=True)
class KeyPairFiles:
    private_key: Path
    public_key: Path
    public: PublicKey


def write_key_pair(prefix: Path, password: bytes, *, force: bool = False) -> KeyPairFiles:
    """Write PREFIX.key (encrypted, mode 0600) and PREFIX.pub for a new ECDSA P-256 key;
    each file appears whole or not at all. Existing files are replaced only with ``force``."""
    private_path = prefix.with_name(prefix.name + ".key")
    public_path = prefix.with_name(prefix.name + ".pub")
    existing = [str(path) for path in (private_path, public_path) if path.exists()]
    if existing and not force:
        raise UsageError(f"{' and '.join(existing)} already exist{'s' if len(existing) == 1 else ''}",
                         "pass --force to replace the key pair (signatures made with the old key "
                         "will no longer verify with the new public key)")
    key = generate_private_key(str(private_path))
    _write_atomically(private_path, encrypted_private_key_pem(key, password), 0o600)
    _write_atomically(public_path, key.public_key().to_pem(), 0o644)
    return KeyPairFiles(private_path, public_path, PublicKey(key.key.public_key(), str(public_path)))


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    from goship.errors import OutputError

    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.chmod(mode)  # the umask may have taken bits from the requested mode
        temporary.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise OutputError(f"writing {path}: {exc.strerror or exc}",
                          "check that the directory exists and is writable") from exc
