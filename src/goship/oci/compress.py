"""Gzip compression for layers: reproducible bytes, compressed on every core.

Written by hand because no library does both things goship needs:

- The bytes must not depend on the machine. The 10-byte gzip header and 8-byte trailer
  are written here, with no name, no time and OS "unknown": zlib would put the OS of the
  build machine into a header it writes itself. The deflate library is a pinned wheel
  (zlib-ng by default), not the system zlib, which some distributions swap for
  zlib-ng-compat.
- It must be fast. The input is cut into fixed 1 MiB blocks. Each block is deflated on its
  own, primed with the last 32 KiB of the block before it (as pigz does), and ended with a
  sync flush. Blocks are compressed in parallel on a thread pool (the libraries release
  the GIL) and written in order. The output depends only on the block size and the level,
  never on the number of cores: a laptop and a CI runner produce the same digest.

zlib-ng level 5 is the default: three times faster than zlib level 6 at about the same
size. isal is faster still, but about 9% larger. docs/benchmarks.md has the figures.
"""

from __future__ import annotations

import os
import struct
import threading
import zlib
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from goship.errors import ConfigError

# magic, method deflate, no flags, mtime 0, no extra flags, OS "unknown" (as Go writes it)
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
BLOCK_SIZE = 1 << 20          # part of the output format: changing it changes every digest
DICTIONARY_SIZE = 32 * 1024   # deflate's window
# The final, empty block that ends a stream of sync-flushed blocks (BFINAL=1, fixed codes).
FINAL_BLOCK = b"\x03\x00"

_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1,
                                       thread_name_prefix="goship-deflate")
        return _pool


class Deflater(Protocol):
    def compress(self, data: bytes, /) -> bytes: ...
    def flush(self, mode: int = ..., /) -> bytes: ...


@dataclass(frozen=True)
class Compression:
    """A deflate implementation and level; its name is part of every layer cache key."""

    library: str = "zlib-ng"
    level: int = 5

    @classmethod
    def parse(cls, text: str) -> Compression:
        library, _, level_text = text.partition(":")
        levels = {"isal": range(0, 4), "zlib": range(1, 10), "zlib-ng": range(1, 10)}
        if library not in levels:
            raise ConfigError(
                f"unknown compression '{text}'",
                "use isal[:0-3], zlib[:1-9] or zlib-ng[:1-9]",
            )
        default_level = {"isal": 3, "zlib": 6, "zlib-ng": 5}[library]
        level = int(level_text) if level_text.isdigit() else default_level
        if level not in levels[library]:
            raise ConfigError(f"compression level {level} is out of range for {library}",
                              "use isal[:0-3], zlib[:1-9] or zlib-ng[:1-9]")
        return cls(library, level)

    def __str__(self) -> str:
        return f"{self.library}:{self.level}"

    def _module(self) -> Any:
        if self.library == "isal":
            try:
                from isal import isal_zlib
            except ImportError as exc:
                raise ConfigError("compression isal needs the isal package",
                                  "pip install isal, or use zlib-ng") from exc
            return isal_zlib
        if self.library == "zlib-ng":
            from zlib_ng import zlib_ng

            return zlib_ng
        return zlib

    def deflate_block(self, block: bytes, dictionary: bytes) -> bytes:
        """One block as raw deflate ending in a sync flush, primed with ``dictionary``."""
        module = self._module()
        if dictionary:
            deflater: Deflater = module.compressobj(self.level, module.DEFLATED, -15, 8, 0, dictionary)
        else:
            deflater = module.compressobj(self.level, module.DEFLATED, -15)
        return deflater.compress(block) + deflater.flush(module.Z_SYNC_FLUSH)

    def crc32(self, data: bytes, value: int) -> int:
        return int(self._module().crc32(data, value))


class GzipWriter:
    """Feeds bytes through block-parallel deflate and hands the gzip bytes to a sink, in order."""

    def __init__(self, compression: Compression, sink: Callable[[bytes], Any]) -> None:
        self._compression = compression
        self._sink = sink
        self._crc = 0
        self._size = 0
        self._pending = bytearray()
        self._previous_tail = b""
        self._in_flight: deque[Future[bytes]] = deque()
        self._limit = 2 * (os.cpu_count() or 1)   # bounds memory to a few blocks
        sink(GZIP_HEADER)

    def write(self, data: bytes) -> None:
        self._crc = self._compression.crc32(data, self._crc)
        self._size += len(data)
        self._pending += data
        while len(self._pending) >= BLOCK_SIZE:
            block = bytes(self._pending[:BLOCK_SIZE])
            del self._pending[:BLOCK_SIZE]
            self._submit(block)

    def _submit(self, block: bytes) -> None:
        dictionary = self._previous_tail
        self._previous_tail = block[-DICTIONARY_SIZE:]
        self._in_flight.append(_executor().submit(self._compression.deflate_block, block, dictionary))
        while len(self._in_flight) > self._limit:
            self._sink(self._in_flight.popleft().result())

    def close(self) -> None:
        if self._pending:
            self._submit(bytes(self._pending))
            self._pending.clear()
        while self._in_flight:
            self._sink(self._in_flight.popleft().result())
        self._sink(FINAL_BLOCK)
        self._sink(struct.pack("<II", self._crc & 0xFFFFFFFF, self._size & 0xFFFFFFFF))
