"""Base images: goship's own static base, made offline, and any base by reference.

The static base is generated, never downloaded: CA certificates from the certifi package,
/etc/passwd and /etc/group with root and nonroot (65532), /etc/nsswitch.conf so Go's
resolver reads /etc/hosts first, /tmp with mode 1777, a home for nonroot, and optionally the
IANA time zone database from the tzdata package.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from goship.errors import GoshipError, ImageError
from goship.image.cache import LayerCache
from goship.oci import mediatypes
from goship.oci.compress import Compression
from goship.oci.digest import Digest
from goship.oci.image import Image
from goship.oci.imageconfig import ImageConfig
from goship.oci.layer import RemoteLayer, TarEntry, write_layer
from goship.oci.manifest import Descriptor, Index, Manifest
from goship.oci.platform import Platform
from goship.oci.reference import Reference
from goship.timestamps import rfc3339

NONROOT_UID = 65532
STATIC_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CA_FILE = "etc/ssl/certs/ca-certificates.crt"

_PASSWD = (
    "root:x:0:0:root:/root:/sbin/nologin\n"
    f"nonroot:x:{NONROOT_UID}:{NONROOT_UID}:nonroot:/home/nonroot:/sbin/nologin\n"
)
_GROUP = f"root:x:0:\nnonroot:x:{NONROOT_UID}:\n"


class RegistryReader(Protocol):
    """What resolving a base needs of a registry client."""

    def get_manifest(self, ref: Reference) -> tuple[bytes, str, Digest]: ...

    def open_blob(self, ref: Reference, digest: Digest) -> AbstractContextManager[BinaryIO]: ...


def _directories(paths: list[str]) -> list[str]:
    parents: set[str] = set()
    for path in paths:
        parts = path.split("/")[:-1]
        for end in range(1, len(parts) + 1):
            parents.add("/".join(parts[:end]))
    return sorted(parents)


def _timezone_entries() -> Iterator[TarEntry]:
    try:
        import tzdata
    except ImportError as exc:
        raise ImageError("timezones = true needs the tzdata package",
                         "pip install 'goship[tz]' (or tzdata), or set timezones = false") from exc
    root = Path(tzdata.__file__).parent / "zoneinfo"
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_file() and not path.name.startswith("__") and path.suffix != ".py":
            yield TarEntry(f"usr/share/zoneinfo/{relative}", source=path, mode=0o644)


def static_base_entries(timezones: bool) -> list[TarEntry]:
    import certifi

    files = [
        TarEntry("etc/passwd", data=_PASSWD.encode()),
        TarEntry("etc/group", data=_GROUP.encode()),
        TarEntry("etc/nsswitch.conf", data=b"hosts: files dns\n"),
        TarEntry(CA_FILE, source=Path(certifi.where())),
    ]
    if timezones:
        files.extend(_timezone_entries())
    directories = [TarEntry(path, kind="dir", mode=0o755) for path in _directories([f.path for f in files])]
    special = [
        TarEntry("tmp", kind="dir", mode=0o1777),
        TarEntry("home", kind="dir", mode=0o755),
        TarEntry("home/nonroot", kind="dir", mode=0o700, uid=NONROOT_UID, gid=NONROOT_UID),
    ]
    taken = {entry.path for entry in special}
    return [*special, *(d for d in directories if d.path not in taken), *files]


def static_base_name(timezones: bool) -> str:
    import certifi

    return f"goship/static:certifi-{certifi.__version__}" + ("-tz" if timezones else "")


def static_base(
    platform: Platform, *, cache: LayerCache, compression: Compression, timezones: bool
) -> Image:
    """goship's static Linux base for ``platform``; its one layer is the same for every arch."""
    if platform.is_windows:
        raise ImageError(f"the static base has no {platform} variant",
                         "Windows images need a Windows base: set windows_base in goship.toml")
    name = static_base_name(timezones)
    key = LayerCache.key(kind="static-base", name=name, compression=str(compression))
    layer, _ = cache.get_or_create(
        key,
        lambda blobs: write_layer(static_base_entries(timezones), blobs, mtime=0,
                                  compression=compression),
    )
    config = (
        ImageConfig.empty(platform)
        .with_runtime(Env=[f"PATH={STATIC_PATH}", f"SSL_CERT_FILE=/{CA_FILE}"])
        .with_layer(layer.diff_id, f"goship static base ({name})", rfc3339(0))
        .with_fields(created=rfc3339(0))
    )
    image = Image(config=config, layers=(layer,))
    return Image(config=config, layers=(layer,), base_name=name, base_digest=image.digest)


# ---------------------------------------------------------------------------------------
# bases by reference


@dataclass(frozen=True)
class ResolvedBase:
    reference: Reference        # by digest of the chosen platform manifest
    image: Image


def _oci_layer_type(media_type: str) -> str:
    return {
        mediatypes.DOCKER_LAYER_GZIP: mediatypes.OCI_LAYER_GZIP,
        mediatypes.DOCKER_FOREIGN_LAYER: mediatypes.OCI_LAYER_NONDIST_GZIP,
    }.get(media_type, media_type)


def _choose(index: Index, platform: Platform, reference: Reference) -> Descriptor:
    candidates = [d for d in index.manifests if d.platform is not None and d.platform.matches(platform)]
    if platform.variant and len(candidates) > 1:
        exact = [d for d in candidates if d.platform is not None and d.platform.variant == platform.variant]
        candidates = exact or candidates
    if platform.os_version:
        candidates = [d for d in candidates if d.platform is not None
                      and d.platform.os_version.startswith(platform.os_version)]
    if not candidates:
        have = ", ".join(sorted({str(d.platform) for d in index.manifests if d.platform})) or "none"
        raise ImageError(f"base image {reference} has no {platform} image (it has: {have})",
                         "pick a base that is published for this platform, or drop the platform")
    # Windows bases list one image per os.version; the newest build wins.
    return max(candidates, key=lambda d: d.platform.os_version if d.platform else "")


def resolve_base(reference: Reference, platform: Platform, registry: RegistryReader) -> ResolvedBase:
    """Fetch ``reference`` and pick its image for ``platform``; layers stay in the registry."""
    try:
        raw, media_type, digest = registry.get_manifest(reference)
    except ImageError as exc:
        raise ImageError(f"base image {reference} not found: {exc.message}",
                         "check the name and tag of `base` in goship.toml or --base") from exc
    except GoshipError as exc:
        raise type(exc)(f"resolving base image {reference}: {exc.message}", exc.hint) from exc
    chosen_ref = reference.with_digest(digest)
    if mediatypes.is_index(media_type):
        descriptor = _choose(Index.from_bytes(raw), platform, reference)
        chosen_ref = reference.with_digest(descriptor.digest)
        raw, media_type, digest = registry.get_manifest(chosen_ref)
    if not mediatypes.is_manifest(media_type):
        raise ImageError(f"base image {reference} is a {media_type}, not an image",
                         "use an image or an image index as the base")
    manifest = Manifest.from_bytes(raw)
    with registry.open_blob(chosen_ref, manifest.config.digest) as stream:
        config = ImageConfig.from_bytes(stream.read())
    found = config.platform
    if (found.os, found.architecture) != (platform.os, platform.architecture):
        raise ImageError(f"base image {reference} is for {found}, not {platform}",
                         "pick a base published for this platform (an index or a matching image)")
    diff_ids = config.diff_ids
    if len(diff_ids) != len(manifest.layers):
        raise ImageError(f"base image {reference} is inconsistent: "
                         f"{len(manifest.layers)} layers but {len(diff_ids)} diff IDs",
                         "the base image is corrupt; pick another")

    def fetch(layer_digest: Digest) -> AbstractContextManager[BinaryIO]:
        return registry.open_blob(chosen_ref, layer_digest)

    layers = tuple(
        RemoteLayer(
            Descriptor(_oci_layer_type(d.media_type), d.digest, d.size, urls=d.urls),
            diff_id, chosen_ref, fetch,
        )
        for d, diff_id in zip(manifest.layers, diff_ids, strict=True)
    )
    image = Image(config=config, layers=layers, base_name=str(reference), base_digest=digest)
    return ResolvedBase(chosen_ref, image)

