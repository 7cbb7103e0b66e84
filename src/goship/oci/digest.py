"""Content digests (``sha256:<hex>``) and a hashing writer."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import BinaryIO

from goship.errors import ImageError

_DIGEST = re.compile(r"^(sha256|sha512):([a-f0-9]+)$")
_HEX_LENGTH = {"sha256": 64, "sha512": 128}
CHUNK = 1 << 20


@dataclass(frozen=True, order=True)
class Digest:
    algorithm: str
    hex: str

    @classmethod
    def parse(cls, text: str) -> Digest:
        match = _DIGEST.match(text)
        if not match or len(match.group(2)) != _HEX_LENGTH[match.group(1)]:
            raise ImageError(
                f"'{text}' is not a valid digest",
                "a digest looks like sha256: followed by 64 lowercase hex digits",
            )
        return cls(match.group(1), match.group(2))

    @classmethod
    def of_bytes(cls, data: bytes) -> Digest:
        return cls("sha256", hashlib.sha256(data).hexdigest())

    @classmethod
    def of_stream(cls, stream: BinaryIO) -> tuple[Digest, int]:
        """Hash a stream to its end; returns the digest and the number of bytes read."""
        hasher = hashlib.sha256()
        size = 0
        while chunk := stream.read(CHUNK):
            hasher.update(chunk)
            size += len(chunk)
        return cls("sha256", hasher.hexdigest()), size

    @property
    def encoded(self) -> str:
        return self.hex

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hex}"

    def short(self) -> str:
        return f"{self.algorithm}:{self.hex[:12]}"
