"""Small images for the image-rule tests, made with goship's own oci module."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from goship.oci.blobstore import ForeignLayer
from goship.oci.compress import Compression
from goship.oci.image import Image
from goship.oci.imageconfig import ImageConfig
from goship.oci.layer import FileLayer, Layer, TarEntry, write_layer
from goship.oci.platform import Platform
from goship.policy.image_rules import check_image
from goship.policy.inspected_image import InspectedImage
from goship.policy.interface import Finding, PolicySettings, Severity

COMMIT = "0123456789abcdef0123456789abcdef01234567"
GOOD_LABELS = {
    "org.opencontainers.image.created": "2024-10-01T12:00:00Z",
    "org.opencontainers.image.version": "1.2.3",
    "org.opencontainers.image.revision": COMMIT,
    "org.opencontainers.image.source": "https://github.com/example/hello",
    "org.opencontainers.image.licenses": "Apache-2.0",
}
APP = [TarEntry("app", "dir", 0o755), TarEntry("app/hello", data=b"\x7fELF binary", mode=0o755)]
BASE = [TarEntry("etc", "dir", 0o755), TarEntry("etc/passwd", data=b"nonroot:x:65532:65532::/:\n"),
        TarEntry("tmp", "dir", 0o1777)]
SETTINGS = PolicySettings()


class Builder:
    """Writes layers into a temporary blob directory and assembles images from them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def layer(self, entries: Sequence[TarEntry]) -> FileLayer:
        return write_layer(entries, self.directory, mtime=0, compression=Compression())

    def image(self, *layers: Sequence[TarEntry] | Layer, platform: str = "linux/amd64",
              user: str | None = "65532:65532", labels: dict[str, str] | None = None,
              env: Sequence[str] = ("PATH=/usr/bin:/bin",),
              entrypoint: Sequence[str] | None = ("/app/hello",),
              cmd: Sequence[str] | None = None, healthcheck: dict[str, Any] | None = None,
              annotations: dict[str, str] | None = None, working_dir: str | None = None) -> Image:
        made = [item if isinstance(item, (FileLayer, ForeignLayer)) else self.layer(item)  # type: ignore[arg-type]
                for item in (layers or (BASE, APP))]
        config = ImageConfig.empty(Platform.parse(platform))
        for layer in made:
            config = config.with_layer(layer.diff_id, "test", "2024-10-01T12:00:00Z")
        config = config.with_runtime(User=user, Env=list(env),
                                     Entrypoint=list(entrypoint) if entrypoint else None,
                                     Cmd=list(cmd) if cmd else None, Healthcheck=healthcheck,
                                     WorkingDir=working_dir,
                                     Labels=dict(GOOD_LABELS if labels is None else labels))
        image = Image(config, tuple(made))
        return image.with_annotations(annotations) if annotations else image


def check(image: Image, settings: PolicySettings = SETTINGS, *, tags: Sequence[str] = ("v1.2.3",),
          index: Sequence[str] = ()) -> list[Finding]:
    inspected = InspectedImage.from_image(
        image, source="oci:test", tags=tags,
        index_platforms=[Platform.parse(text) for text in index] or [image.platform])
    return check_image(inspected, settings)


def rules(findings: Sequence[Finding], severity: Severity | None = None) -> set[str]:
    return {f.rule for f in findings if severity is None or f.severity >= severity}


def messages(findings: Sequence[Finding], rule: str) -> list[str]:
    return [f.message for f in findings if f.rule == rule]


