"""One platform image as the image rules see it: config, annotations, layers, tags, files.

``InspectedImage`` is what ``check_image`` takes. ``image_source`` makes them from layouts,
tarballs and registries; ``goship build`` makes them from the images it has just assembled
(``InspectedImage.from_image``), before publishing anything. The file listing is read from
the layers on first use and kept, so a rule that never looks at files costs no download.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

from goship.oci.digest import Digest
from goship.oci.image import Image
from goship.oci.imageconfig import ImageConfig
from goship.oci.layer import Layer
from goship.oci.platform import Platform
from goship.policy.image_files import FileTree, read_file_tree

LayerProgress = Callable[[int, int], None]


class TreeCache:
    """File trees already read, by manifest digest: an image named twice is read once."""

    def __init__(self) -> None:
        self._trees: dict[str, FileTree] = {}

    def get_or_read(self, key: str, read: Callable[[], FileTree]) -> FileTree:
        if not key:
            return read()
        if key not in self._trees:
            self._trees[key] = read()
        return self._trees[key]


def tag_of(reference: str) -> str:
    """The tag in a ref name or RepoTags entry: ``hello:v1`` and ``host:5000/team/hello:v1``
    give ``v1``; a bare ``v1`` (how skopeo and umoci name layout entries) is a tag itself;
    ``host/team/hello`` has none."""
    name = reference.partition("@")[0]
    slash, colon = name.rfind("/"), name.rfind(":")
    if colon > slash:
        return name[colon + 1:]
    return "" if slash >= 0 else name


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    return ()


@dataclass(frozen=True, eq=False)
class InspectedImage:
    source: str  # as the user gave it: "oci:out:hello:v1", "127.0.0.1:5000/team/hello:v1"
    platform: Platform
    config: ImageConfig
    layers: tuple[Layer, ...]
    annotations: Mapping[str, str] = field(default_factory=dict)  # of the manifest
    digest: Digest | None = None  # of the manifest, as stored
    tags: tuple[str, ...] = ()  # the tags asked for, or those it is stored under ("v1.2.3")
    index_platforms: tuple[Platform, ...] = ()  # every platform its index (or tarball) offers
    name: str = ""  # which entry, when the source holds several ("hello:v1")
    trees: TreeCache = field(default_factory=TreeCache, repr=False)
    # The layers whose files are read; None: all. `goship build` leaves out a registry base's
    # layers, which it never downloaded (the base was chosen, and can be linted, on its own).
    file_layers: tuple[Layer, ...] | None = None
    # The image index it was reached through (the index the reference or layout entry names);
    # None when the source named the image's own manifest.
    index_digest: Digest | None = None

    @classmethod
    def from_image(
        cls,
        image: Image,
        *,
        source: str,
        digest: Digest | None = None,
        tags: Sequence[str] = (),
        index_platforms: Sequence[Platform] = (),
        name: str = "",
        trees: TreeCache | None = None,
        index_digest: Digest | None = None,
    ) -> InspectedImage:
        return cls(
            source=source,
            platform=image.platform,
            config=image.config,
            layers=image.layers,
            annotations=MappingProxyType(dict(image.annotations)),
            digest=digest or image.digest,
            tags=tuple(tags),
            index_platforms=tuple(index_platforms) or (image.platform,),
            name=name,
            trees=trees or TreeCache(),
            index_digest=index_digest,
        )

    @property
    def title(self) -> str:
        """How findings name this image: ``linux/amd64``, or ``hello:v1 linux/amd64``."""
        return f"{self.name} {self.platform}" if self.name else str(self.platform)

    @property
    def windows(self) -> bool:
        return self.platform.is_windows

    # -- the runtime config ---------------------------------------------------------------

    @cached_property
    def _runtime(self) -> Mapping[str, Any]:
        return MappingProxyType(self.config.runtime)

    @property
    def user(self) -> str:
        return str(self._runtime.get("User") or "")

    @cached_property
    def env(self) -> Mapping[str, str]:
        pairs = (item.partition("=") for item in _strings(self._runtime.get("Env")))
        return MappingProxyType({key: value for key, _, value in pairs})

    @property
    def entrypoint(self) -> tuple[str, ...]:
        return _strings(self._runtime.get("Entrypoint"))

    @property
    def cmd(self) -> tuple[str, ...]:
        return _strings(self._runtime.get("Cmd"))

    @property
    def working_dir(self) -> str:
        return str(self._runtime.get("WorkingDir") or "")

    @cached_property
    def labels(self) -> Mapping[str, str]:
        raw = self._runtime.get("Labels") or {}
        return MappingProxyType({str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {})

    @property
    def exposed_ports(self) -> tuple[str, ...]:
        return tuple(sorted(self._runtime.get("ExposedPorts") or {}))

    @property
    def healthcheck(self) -> Mapping[str, Any] | None:
        """The Healthcheck section, or None when there is none or it is ``["NONE"]``."""
        found = self._runtime.get("Healthcheck")
        if not isinstance(found, dict) or not found.get("Test") or _strings(found["Test"])[:1] == ("NONE",):
            return None
        return MappingProxyType(found)

    def metadata(self, key: str) -> str | None:
        """A label, else the manifest annotation of the same key (OCI treats both alike)."""
        if key in self.labels:
            return self.labels[key]
        return self.annotations.get(key)

    # -- layers and files -------------------------------------------------------------------

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """Compressed bytes of each layer, as a pull moves them."""
        return tuple(layer.descriptor.size for layer in self.layers)

    @property
    def compressed_size(self) -> int:
        return sum(self.layer_sizes)

    def files(self, on_layer: LayerProgress | None = None) -> FileTree:
        """Every file the container sees, read from the layers on the first call."""
        key = str(self.digest) if self.digest else ""
        what = f"{self.source} ({self.title})"
        layers = self.layers if self.file_layers is None else self.file_layers

        def read() -> FileTree:
            tree = read_file_tree(layers, windows=self.windows, what=what, on_layer=on_layer)
            left_out = len(self.layers) - len(layers)
            if left_out:
                tree.skipped.append(f"{left_out} base layer(s) pulled from a registry were not read here; "
                                    "`goship lint --image` on the pushed image reads them")
            return tree

        return self.trees.get_or_read(key, read)
