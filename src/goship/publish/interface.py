"""The Publisher protocol and what publishing returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from goship.image.project import BuiltImage
from goship.oci.digest import Digest
from goship.oci.layer import LayerTap
from goship.progress import Reporter


@dataclass(frozen=True)
class Published:
    image: str            # the image's name in goship.toml
    destination: str      # "registry", "oci-layout", "tarball"
    reference: str        # where it is now: repo:tag@sha256:..., DIR:name:tag, FILE
    digest: Digest
    bytes_uploaded: int = 0


class Publisher(Protocol):
    def prepare(self) -> None:
        """Get ready (connect, authenticate) before the images exist; may do nothing."""

    def layer_tap(self, image_name: str) -> LayerTap | None:
        """A tap that publishes a new layer of the named image while it is written, or None."""

    def publish(self, built: Sequence[BuiltImage], reporter: Reporter) -> list[Published]: ...


class MultiPublisher:
    """Publishes to several destinations in turn; every one must succeed."""

    def __init__(self, publishers: Sequence[Publisher]) -> None:
        if not publishers:
            raise ValueError("MultiPublisher needs at least one publisher")
        self._publishers = tuple(publishers)

    def prepare(self) -> None:
        for publisher in self._publishers:
            publisher.prepare()

    def layer_tap(self, image_name: str) -> LayerTap | None:
        for publisher in self._publishers:
            tap = publisher.layer_tap(image_name)
            if tap is not None:
                return tap  # one stream per layer: the first publisher that wants one
        return None

    def publish(self, built: Sequence[BuiltImage], reporter: Reporter) -> list[Published]:
        results: list[Published] = []
        for publisher in self._publishers:
            results.extend(publisher.publish(built, reporter))
        return results
