"""Putting a Go binary on a base image: the application layer, extra files, config, labels."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from goship.errors import ConfigError
from goship.gobuild.build import Binary
from goship.image.base import NONROOT_UID
from goship.image.cache import LayerCache
from goship.oci.compress import Compression
from goship.oci.image import Image
from goship.oci.layer import FileLayer, LayerTap, TarEntry, write_layer
from goship.oci.windows import windows_entries
from goship.timestamps import rfc3339

APP_DIR = "app"
DATA_DIR = "app/data"
LINUX_USER = f"{NONROOT_UID}:{NONROOT_UID}"
# Windows containers have no numeric users; ContainerUser is the unprivileged account that
# nanoserver and servercore ship.
WINDOWS_USER = "ContainerUser"
OCI = "org.opencontainers.image."
GO_VERSION_KEY = "dev.goship.go.version"


@dataclass(frozen=True)
class ImageFacts:
    """What an image says about itself: version, commit, time, source, maintainer."""

    title: str
    version: str
    revision: str
    created_epoch: int
    source_url: str = ""
    maintainer: str = ""
    labels: tuple[tuple[str, str], ...] = ()
    go_version: str = ""          # the toolchain that built the binary, e.g. go1.22.10

    @property
    def created(self) -> str:
        return rfc3339(self.created_epoch)


def _app_entries(binary: Binary, windows: bool) -> list[TarEntry]:
    name = binary.path.name
    entries = [
        TarEntry(APP_DIR, kind="dir", mode=0o755),
        TarEntry(f"{APP_DIR}/{name}", source=binary.path, mode=0o755),
    ]
    return windows_entries(entries) if windows else entries


def _data_entries(directory: Path, windows: bool) -> list[TarEntry]:
    if not directory.is_dir():
        raise ConfigError(f"data directory {directory} does not exist",
                          "create it or remove `data` from the image in goship.toml")
    entries = [TarEntry(DATA_DIR, kind="dir", mode=0o755)]
    root = directory.resolve()
    for current, dirs, files in os.walk(directory):
        dirs.sort()
        base = Path(current)
        for name in sorted(dirs) + sorted(files):
            path = base / name
            relative = f"{DATA_DIR}/{path.relative_to(directory).as_posix()}"
            if path.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(root):
                    raise ConfigError(f"data file {path} links outside {directory}",
                                      "copy the file into the data directory instead of linking it")
                entries.append(TarEntry(relative, kind="symlink", mode=0o777,
                                        linkname=str(path.readlink())))
            elif path.is_dir():
                entries.append(TarEntry(relative, kind="dir", mode=0o755))
            elif path.is_file():
                executable = os.access(path, os.X_OK) and os.name != "nt"
                entries.append(TarEntry(relative, source=path, mode=0o755 if executable else 0o644))
    return windows_entries(entries) if windows else entries


def _content_key(entries: list[TarEntry]) -> str:
    hasher = hashlib.sha256()
    for entry in sorted(entries, key=lambda e: e.path):
        hasher.update(f"{entry.path}\0{entry.kind}\0{entry.mode}\0{entry.linkname}\0".encode())
        if entry.source is not None:
            with entry.source.open("rb") as stream:
                while chunk := stream.read(1 << 20):
                    hasher.update(chunk)
    return hasher.hexdigest()


def _labels(facts: ImageFacts, base: Image) -> dict[str, str]:
    labels = {
        f"{OCI}created": facts.created,
        f"{OCI}title": facts.title,
        f"{OCI}version": facts.version,
    }
    if facts.revision:
        labels[f"{OCI}revision"] = facts.revision
    if facts.source_url:
        labels[f"{OCI}source"] = facts.source_url
    if base.base_name:
        labels[f"{OCI}base.name"] = base.base_name
    if base.base_digest is not None:
        labels[f"{OCI}base.digest"] = str(base.base_digest)
    if facts.go_version:
        labels[GO_VERSION_KEY] = facts.go_version
    if facts.maintainer:
        labels["maintainer"] = facts.maintainer
        labels[f"{OCI}authors"] = facts.maintainer
    labels.update(dict(facts.labels))
    return labels


def _merge_env(base_env: list[str], extra: dict[str, str]) -> list[str]:
    merged: dict[str, str] = {}
    for item in base_env:
        key, _, value = item.partition("=")
        merged[key] = value
    merged.update(extra)
    return [f"{key}={value}" for key, value in merged.items()]


def assemble(
    base: Image,
    binary: Binary,
    *,
    facts: ImageFacts,
    cache: LayerCache,
    compression: Compression,
    env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
    ports: tuple[int, ...] = (),
    data_dir: Path | None = None,
    new_layer_tap: Callable[[], LayerTap | None] | None = None,
) -> Image:
    """The image for one binary on one platform, on top of ``base``.

    ``new_layer_tap`` gives a tap for each layer that is made now (not found in the cache):
    the registry publisher uploads it while it is compressed.
    """

    def tap() -> LayerTap | None:
        return new_layer_tap() if new_layer_tap is not None else None

    windows = binary.platform.is_windows
    mtime = facts.created_epoch
    layers: list[FileLayer] = []
    app_key = LayerCache.key(kind="app", binary=str(binary.digest), name=binary.path.name,
                             windows=windows, mtime=mtime, compression=str(compression))
    app_layer, _ = cache.get_or_create(
        app_key,
        lambda blobs: write_layer(_app_entries(binary, windows), blobs, mtime=mtime,
                                  compression=compression, tap=tap()),
    )
    layers.append(app_layer)
    extra_env = dict(env or {})
    if data_dir is not None:
        entries = _data_entries(data_dir, windows)
        data_key = LayerCache.key(kind="data", content=_content_key(entries), windows=windows,
                                  mtime=mtime, compression=str(compression))
        data_layer, _ = cache.get_or_create(
            data_key, lambda blobs: write_layer(entries, blobs, mtime=mtime, compression=compression,
                                                tap=tap())
        )
        layers.insert(0, data_layer)
        extra_env["GOSHIP_DATA_PATH"] = "C:\\app\\data" if windows else f"/{DATA_DIR}"

    name = binary.path.name
    labels = {**base.config.labels, **_labels(facts, base)}
    config = base.config.with_fields(created=facts.created, author=facts.maintainer or None)
    for layer in layers:
        config = config.with_layer(layer.diff_id, f"goship build {binary.package}", facts.created)
    config = config.with_runtime(
        User=WINDOWS_USER if windows else LINUX_USER,
        Entrypoint=[f"C:\\app\\{name}"] if windows else [f"/{APP_DIR}/{name}"],
        Cmd=list(args) if args else None,
        WorkingDir="C:\\app" if windows else f"/{APP_DIR}",
        Env=_merge_env(base.config.env, extra_env),
        Labels=dict(sorted(labels.items())),
        ExposedPorts={f"{port}/tcp": {} for port in sorted(ports)} or None,
    )
    annotations = {key: value for key, value in labels.items()
                   if key.startswith(OCI) or key == GO_VERSION_KEY}
    image = Image(config=config, layers=base.layers + tuple(layers),
                  base_name=base.base_name, base_digest=base.base_digest)
    return image.with_annotations(annotations)
