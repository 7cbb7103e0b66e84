"""A cache of compressed layers keyed by what went into them.

The key of an application layer is the binary's digest plus everything that shapes the tar
(paths, modes, time, Windows form, compression), so a rebuild with an unchanged binary finds
its layer here and does no compression at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from goship.oci.canonical import canonical_json
from goship.oci.digest import Digest
from goship.oci.layer import FileLayer
from goship.oci.manifest import Descriptor

LAYER_FORMAT = 2  # 2: block-parallel deflate (oci/compress.py)


class LayerCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.blobs = directory / "blobs"

    @staticmethod
    def key(**facts: Any) -> str:
        return hashlib.sha256(canonical_json({"format": LAYER_FORMAT, **facts})).hexdigest()

    def _entry(self, key: str) -> Path:
        return self.directory / "layers" / f"{key}.json"

    def get(self, key: str) -> FileLayer | None:
        try:
            record = json.loads(self._entry(key).read_text())
            digest = Digest.parse(record["digest"])
            path = self.blobs / "sha256" / digest.hex
            if path.stat().st_size != record["size"]:
                return None
        except (OSError, ValueError, KeyError):
            return None
        descriptor = Descriptor(record["media_type"], digest, int(record["size"]))
        return FileLayer(path, descriptor, Digest.parse(record["diff_id"]))

    def put(self, key: str, layer: FileLayer) -> None:
        record = {
            "digest": str(layer.descriptor.digest),
            "diff_id": str(layer.diff_id),
            "size": layer.descriptor.size,
            "media_type": layer.descriptor.media_type,
        }
        entry = self._entry(key)
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=entry.parent, prefix=".entry-")
            with os.fdopen(handle, "w") as out:
                json.dump(record, out)
            Path(temp).replace(entry)
        except OSError:
            pass  # a cache entry that cannot be written only costs a recompression next time

    def get_or_create(self, key: str, create: Callable[[Path], FileLayer]) -> tuple[FileLayer, bool]:
        """The cached layer for ``key``, or a new one written by ``create(blob_dir)``."""
        cached = self.get(key)
        if cached is not None:
            return cached, True
        layer = create(self.blobs)
        self.put(key, layer)
        return layer, False
