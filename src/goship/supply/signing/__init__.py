"""cosign-compatible signing: key pairs in cosign's format (keys.py, envelope.py), the
simple-signing payload (payload.py, written byte for byte as Go writes it: gojson.py), the
``sha256-<hex>.sig`` signature manifest in a registry (store.py), signing (sign.py) and
verification (verify.py). interface.py holds the results, the errors (exit code 11) and the
registry protocol they use.

Signatures goship makes verify with ``cosign verify --key cosign.pub --insecure-ignore-tlog``,
and cosign's verify with ``goship verify-signature``.
"""

from __future__ import annotations

from goship.supply.signing.interface import (
    KeyFileError,
    SignatureCheck,
    SignatureResult,
    SigningError,
    UnverifiedImageError,
    VerificationResult,
    WrongPasswordError,
)
from goship.supply.signing.keys import (
    PrivateKey,
    PublicKey,
    load_private_key,
    load_public_key,
    write_key_pair,
)
from goship.supply.signing.sign import resolve_digest, sign_image
from goship.supply.signing.verify import verify_image

__all__ = [
    "KeyFileError",
    "PrivateKey",
    "PublicKey",
    "SignatureCheck",
    "SignatureResult",
    "SigningError",
    "UnverifiedImageError",
    "VerificationResult",
    "WrongPasswordError",
    "load_private_key",
    "load_public_key",
    "resolve_digest",
    "sign_image",
    "verify_image",
    "write_key_pair",
]
