"""Publishing into one tarball that `docker load` and `podman load` accept."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from goship.image.project import BuiltImage
from goship.oci.image import Image, images_of
from goship.oci.layer import LayerTap
from goship.oci.platform import Platform
from goship.oci.tarball import write_tarball
from goship.progress import Reporter
from goship.publish.interface import Published


def _pick(item: BuiltImage, prefer: Platform) -> Image:
    """docker load keeps one image per name: the one for this machine, else the first."""
    images = images_of(item.artifact)
    for image in images:
        if image.platform.matches(prefer):
            return image
    return images[0]


class TarballPublisher:
    def __init__(self, path: Path, names: dict[str, list[str]], prefer: Platform) -> None:
        self._path = path
        self._names = names          # image name -> docker names ("repo:tag")
        self._prefer = prefer

    def prepare(self) -> None:
        pass

    def layer_tap(self, image_name: str) -> LayerTap | None:
        return None

    def publish(self, built: Sequence[BuiltImage], reporter: Reporter) -> list[Published]:
        chosen = [(_pick(item, self._prefer), self._names[item.spec.name]) for item in built]
        for (image, _), item in zip(chosen, built, strict=True):
            if len(images_of(item.artifact)) > 1:
                reporter.step(f"tarball holds {item.spec.name} for {image.platform} only "
                              "(docker load takes one platform per name)")
        write_tarball(self._path, chosen)
        return [Published(item.spec.name, "tarball", str(self._path), image.digest)
                for (image, _), item in zip(chosen, built, strict=True)]
