"""The image configuration blob: runtime settings, rootfs diff IDs and history.

The config of a base image may carry fields goship does not model; they are kept as they
are, so a config is held as its JSON object and changed only through copying methods.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from goship.errors import ImageError
from goship.oci.canonical import canonical_json
from goship.oci.digest import Digest
from goship.oci.platform import Platform


class ImageConfig:
    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    @classmethod
    def empty(cls, platform: Platform) -> ImageConfig:
        data: dict[str, Any] = {"rootfs": {"type": "layers", "diff_ids": []}, "config": {}}
        data.update(platform.to_json())
        return cls(data)

    @classmethod
    def from_bytes(cls, raw: bytes) -> ImageConfig:
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ImageError(f"image config is not valid JSON: {exc}", "the image is corrupt") from exc
        if not isinstance(data, dict):
            raise ImageError("image config is not a JSON object", "the image is corrupt")
        return cls(data)

    def to_bytes(self) -> bytes:
        return canonical_json(self._data)

    def to_json(self) -> dict[str, Any]:
        return copy.deepcopy(self._data)

    @property
    def platform(self) -> Platform:
        return Platform.from_json(self._data)

    @property
    def runtime(self) -> dict[str, Any]:
        """A copy of the ``config`` section (User, Env, Entrypoint, Labels, ...)."""
        return copy.deepcopy(self._data.get("config") or {})

    @property
    def diff_ids(self) -> tuple[Digest, ...]:
        return tuple(Digest.parse(d) for d in (self._data.get("rootfs") or {}).get("diff_ids") or ())

    @property
    def env(self) -> list[str]:
        return list(self.runtime.get("Env") or [])

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.runtime.get("Labels") or {})

    @property
    def user(self) -> str:
        return str(self.runtime.get("User") or "")

    def with_layer(self, diff_id: Digest, created_by: str, created: str) -> ImageConfig:
        data = self.to_json()
        rootfs = data.setdefault("rootfs", {"type": "layers", "diff_ids": []})
        rootfs.setdefault("diff_ids", []).append(str(diff_id))
        history = data.setdefault("history", [])
        history.append({"created": created, "created_by": created_by, "comment": "goship"})
        return ImageConfig(data)

    def with_runtime(self, **changes: Any) -> ImageConfig:
        """Set keys of the ``config`` section; a value of None removes the key."""
        data = self.to_json()
        runtime = data.setdefault("config", {})
        for key, value in changes.items():
            if value is None:
                runtime.pop(key, None)
            else:
                runtime[key] = value
        return ImageConfig(data)

    def with_fields(self, **changes: Any) -> ImageConfig:
        """Set top-level keys (``created``, ``author``, ``os.version`` via os_version)."""
        data = self.to_json()
        for key, value in changes.items():
            name = key.replace("os_version", "os.version")
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
        return ImageConfig(data)
