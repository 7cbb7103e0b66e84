"""Build every image a Config names and publish it to every destination it names.

The one pipeline `goship build` and `goship release` share. ``before_publish`` sees the
built images before any manifest or tag is written anywhere (the image standard, immutable
tags, the vulnerability gate): raising there stops the run with nothing published.
``after_publish`` sees what was published while the registry connection is still open (the
SBOMs and signatures of goship.supply.build_steps).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from goship.config import Config, ImageSpec
from goship.image.project import BuildPlan, BuiltImage, build_images
from goship.progress import Reporter

if TYPE_CHECKING:
    from goship.oci.layer import LayerTap
    from goship.publish.interface import MultiPublisher, Published
    from goship.registry.client import RegistryClient


# (the images built, what was published, the registry client the push used)
AfterPublish = Callable[[list["BuiltImage"], list["Published"], Callable[[], "RegistryClient"]], None]


@dataclass(frozen=True)
class PipelineResult:
    built: tuple[BuiltImage, ...]
    published: tuple[Published, ...]


def build_and_publish(
    config: Config,
    tags: Sequence[str],
    *,
    reporter: Reporter,
    before_publish: Callable[[list[BuiltImage]], None] | None = None,
    after_publish: AfterPublish | None = None,
    registry: Callable[[], RegistryClient] | None = None,
    stream_layers: bool = True,
    plan: BuildPlan | None = None,
) -> PipelineResult:
    """Compile, assemble and publish; ``tags`` go to every registry and layout destination.

    ``registry`` gives the registry client to use (the caller closes it); without it one is
    opened when first needed and closed here. With ``stream_layers`` new layers go up to the
    registry while they are compressed; without it no byte reaches a registry before
    ``before_publish`` has passed.
    """
    own: list[RegistryClient] = []
    lock = threading.Lock()

    def client() -> RegistryClient:
        if registry is not None:
            return registry()
        from goship.publish.destinations import registry_client

        with lock:
            if not own:
                own.append(registry_client(config))
            return own[0]

    destinations: list[MultiPublisher] = []

    def prepare() -> None:
        """Runs while Go compiles: load the publishers and open the registry connection."""
        from goship.publish.destinations import publishers_for
        from goship.publish.interface import MultiPublisher

        destinations.append(MultiPublisher(publishers_for(config, list(tags), client)))
        destinations[0].prepare()

    def layer_tap(spec: ImageSpec) -> LayerTap | None:
        return destinations[0].layer_tap(spec.name)

    try:
        built = build_images(config, registry=client, reporter=reporter, prepare=prepare,
                             layer_tap=layer_tap if stream_layers else None, plan=plan)
        if before_publish is not None:
            before_publish(built)
        published = destinations[0].publish(built, reporter)
        if after_publish is not None:
            after_publish(built, published, client)
    finally:
        for opened in own:
            opened.close()
    return PipelineResult(tuple(built), tuple(published))
