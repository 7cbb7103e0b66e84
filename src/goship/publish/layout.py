"""Publishing into an OCI image layout directory (the default destination)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from goship.image.project import BuiltImage
from goship.oci.layer import LayerTap
from goship.oci.layout import write_layout
from goship.progress import Reporter
from goship.publish.interface import Published


class LayoutPublisher:
    def __init__(self, directory: Path, tags: Sequence[str]) -> None:
        self._directory = directory
        self._tags = tuple(tags) or ("latest",)

    def prepare(self) -> None:
        pass

    def layer_tap(self, image_name: str) -> LayerTap | None:
        return None

    def publish(self, built: Sequence[BuiltImage], reporter: Reporter) -> list[Published]:
        results = []
        for item in built:
            for tag in self._tags:
                ref_name = f"{item.spec.name}:{tag}"
                write_layout(self._directory, item.artifact, ref_name)
                reporter.step(f"wrote {ref_name} into {self._directory}")
                results.append(Published(item.spec.name, "oci-layout",
                                         f"{self._directory}:{ref_name}", item.artifact.digest))
        return results
