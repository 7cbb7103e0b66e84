"""`goship build` checks the images it has just assembled against the image rules, before it
publishes a manifest or a tag anywhere.

The images are checked in memory: their config, annotations and the layers goship made or
holds locally (the static base, the Go binary, the data). Layers of a base image pulled from a
registry are not downloaded only to be read; rule GS618 (info) says so, and
`goship lint --image` on the published image reads every layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from goship.oci.image import Artifact, Image, ImageIndex, images_of
from goship.oci.layer import RemoteLayer
from goship.oci.platform import Platform
from goship.policy.image_rules import check_image
from goship.policy.inspected_image import InspectedImage, TreeCache
from goship.policy.interface import Finding, PolicySettings


def check_built(images: Sequence[tuple[str, Artifact]], settings: PolicySettings, *,
                tags: Sequence[str] = ()) -> list[Finding]:
    """Findings for each (name, image or index) built; ``tags`` are the tags it will be
    published under (empty when it goes to no registry)."""
    findings: list[Finding] = []
    trees = TreeCache()
    for name, artifact in images:
        platforms = artifact.platforms if isinstance(artifact, ImageIndex) else ()
        for image in images_of(artifact):
            findings += check_image(_inspected(name, image, platforms, tags, trees), settings)
    return findings


def _inspected(name: str, image: Image, platforms: Sequence[Platform], tags: Sequence[str],
               trees: TreeCache) -> InspectedImage:
    local = tuple(layer for layer in image.layers if not isinstance(layer, RemoteLayer))
    inspected = InspectedImage.from_image(image, source=name, tags=tags, trees=trees,
                                          index_platforms=platforms)
    return inspected if len(local) == len(image.layers) else replace(inspected, file_layers=local)
