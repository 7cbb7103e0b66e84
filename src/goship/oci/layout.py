"""OCI image layout directories: ``oci-layout``, ``index.json`` and ``blobs/<alg>/<hex>``.

Writing is content addressed and incremental: a blob already present with the right size is
not written again, every blob goes through a temporary file in its final directory and a
rename, layer bytes are hashed while they are copied, and ``index.json`` is changed under a
lock so that two builds writing into the same layout at once both keep their entries.

Reading gives back ``Image`` and ``ImageIndex`` values whose layers are files in the layout.
The image model re-serialises configs and manifests canonically as OCI media types, so what
goship wrote loads back with the same digests; a layout written by another tool (Docker media
types, non-canonical JSON) loads with equal content but may get different digests.

The lock helper is written here because no maintained library covers both ``fcntl`` and
``msvcrt`` in a few lines, and the layout is the only place goship needs a file lock.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from goship.errors import ImageError, OutputError
from goship.oci import mediatypes
from goship.oci.canonical import canonical_json
from goship.oci.digest import CHUNK, Digest
from goship.oci.image import Artifact, Image, ImageIndex, images_of
from goship.oci.imageconfig import ImageConfig
from goship.oci.layer import FileLayer, Layer
from goship.oci.manifest import Descriptor, Index, Manifest, media_type_of
from goship.oci.platform import Platform
from goship.oci.reference import Reference

LAYOUT_FILE = "oci-layout"
INDEX_FILE = "index.json"
BLOBS_DIR = "blobs"
LAYOUT_VERSION = "1.0.0"
LOCK_FILE = ".goship.lock"
REF_NAME = "org.opencontainers.image.ref.name"
BASE_NAME = "org.opencontainers.image.base.name"
BASE_DIGEST = "org.opencontainers.image.base.digest"
TEMP_PREFIX = ".tmp-"
MAX_MANIFEST_SIZE = 4 << 20

# The grammar the image spec gives for org.opencontainers.image.ref.name.
_REF_COMPONENT = r"[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*"
_REF_NAME = re.compile(rf"^{_REF_COMPONENT}(?:/{_REF_COMPONENT})*$")

BlobCallback = Callable[[Descriptor, bool], None]
Opener = Callable[[], AbstractContextManager[BinaryIO]]


def is_valid_ref_name(name: str) -> bool:
    return bool(_REF_NAME.match(name))


@dataclass(frozen=True)
class ForeignLayer:
    """A non-distributable layer (a Windows base layer) that a layout or tarball omits.

    Its bytes live at the descriptor's URLs; a runtime fetches them there.
    """

    descriptor: Descriptor
    diff_id: Digest
    origin: Reference | None = None

    def open(self) -> AbstractContextManager[BinaryIO]:
        urls = ", ".join(self.descriptor.urls) or "no URL"
        raise ImageError(
            f"layer {self.descriptor.digest.short()} is foreign and not stored locally ({urls})",
            "foreign (non-distributable) layers are pulled by the runtime from their URLs",
        )


# ---------------------------------------------------------------------------------- writing


def write_layout(
    directory: Path,
    artifact: Artifact,
    ref_name: str,
    on_blob: BlobCallback | None = None,
) -> Descriptor:
    """Write an image or index into an OCI layout and name it ``ref_name`` in index.json.

    ``on_blob(descriptor, written)`` is called once per distinct blob: ``written`` is False
    when the blob was already there. Foreign layers are neither written nor reported.
    Returns the descriptor recorded in index.json.
    """
    if not is_valid_ref_name(ref_name):
        raise OutputError(
            f"cannot write OCI layout {directory}: '{ref_name}' is not a valid reference name",
            "use letters, digits and . _ - : @ + separators, e.g. api:latest",
        )
    entry = artifact.descriptor().with_annotations({REF_NAME: ref_name})
    try:
        with _exclusive_lock(_prepare_directory(directory)):
            _ensure_layout_file(directory)
        for descriptor, opener in _blobs_of(artifact):
            written = _store_blob(directory / BLOBS_DIR, descriptor, opener)
            if on_blob is not None:
                on_blob(descriptor, written)
        with _exclusive_lock(directory / LOCK_FILE):
            _update_index(directory, entry, ref_name)
    except OSError as exc:
        raise _output_error(directory, exc) from exc
    return entry


def _prepare_directory(directory: Path) -> Path:
    """Create the layout directory (refusing a file in its place); returns the lock path."""
    if directory.exists() and not directory.is_dir():
        raise OutputError(
            f"cannot write OCI layout {directory}: it is a file, not a directory",
            "choose a directory path for the layout, or move the file away",
        )
    directory.mkdir(parents=True, exist_ok=True)
    # Checked before the lock file is created, so that a refused directory stays untouched;
    # a concurrent goship writer only adds names this check allows.
    if not (directory / LAYOUT_FILE).exists():
        _refuse_other_content(directory)
    return directory / LOCK_FILE


def _refuse_other_content(directory: Path) -> None:
    # Hidden names are our lock and temporary files (or a crashed writer's).
    others = sorted(p.name for p in directory.iterdir() if not p.name.startswith("."))
    if set(others) - {BLOBS_DIR, INDEX_FILE, LAYOUT_FILE}:
        raise OutputError(
            f"cannot write OCI layout {directory}: the directory is not empty and is not "
            f"an OCI layout (it holds {', '.join(others[:3])})",
            "write the layout into a new or empty directory",
        )


def _ensure_layout_file(directory: Path) -> None:
    """Write oci-layout into a new directory; call with the layout lock held."""
    path = directory / LAYOUT_FILE
    if path.exists():
        version = _json_object(path, OutputError).get("imageLayoutVersion")
        if version != LAYOUT_VERSION:
            raise OutputError(
                f"cannot write OCI layout {directory}: {path} declares version {version!r}",
                f"goship writes image layout version {LAYOUT_VERSION}; use another directory",
            )
        return
    _refuse_other_content(directory)
    _write_atomic(path, canonical_json({"imageLayoutVersion": LAYOUT_VERSION}))


def _blobs_of(artifact: Artifact) -> Iterator[tuple[Descriptor, Opener]]:
    """Every blob of the artifact once, each before anything that refers to it."""
    seen: set[Digest] = set()

    def first_time(descriptor: Descriptor) -> bool:
        if descriptor.digest in seen:
            return False
        seen.add(descriptor.digest)
        return True

    for image in images_of(artifact):
        for layer in image.layers:
            if not layer.descriptor.is_foreign and first_time(layer.descriptor):
                yield layer.descriptor, layer.open
        if first_time(image.config_descriptor):
            yield image.config_descriptor, _bytes_opener(image.config_bytes)
        manifest = image.descriptor()
        if first_time(manifest):
            yield manifest, _bytes_opener(image.manifest_bytes)
    if isinstance(artifact, ImageIndex):
        yield artifact.descriptor(), _bytes_opener(artifact.index_bytes)


def _bytes_opener(raw: bytes) -> Opener:
    return lambda: io.BytesIO(raw)


def blob_path(directory: Path, digest: Digest) -> Path:
    return directory / BLOBS_DIR / digest.algorithm / digest.hex


def _store_blob(blobs: Path, descriptor: Descriptor, opener: Opener) -> bool:
    """Copy one blob into ``blobs`` unless it is there; returns whether it was written."""
    folder = blobs / descriptor.digest.algorithm
    final = folder / descriptor.digest.hex
    if final.is_file() and final.stat().st_size == descriptor.size:
        return False
    folder.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX)
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            copy_verified(opener, descriptor, out.write)
            out.flush()
            os.fsync(out.fileno())
        temp.chmod(0o644)
        temp.replace(final)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return True


def copy_verified(opener: Opener, descriptor: Descriptor, sink: Callable[[bytes], Any]) -> None:
    """Stream a blob to ``sink``, raising ImageError when its bytes do not match the descriptor.

    Errors while reading the source are the source's fault (ImageError); errors raised by the
    sink propagate unchanged so that the caller can name its destination.
    """
    what = f"blob {descriptor.digest.short()}"
    try:
        hasher = hashlib.new(descriptor.digest.algorithm)
    except ValueError as exc:
        raise ImageError(f"{what}: unsupported digest algorithm", "use sha256 digests") from exc
    size = 0
    with contextlib.ExitStack() as stack:
        try:
            source = stack.enter_context(opener())
        except OSError as exc:
            raise ImageError(f"cannot open {what}: {exc}", "the layer's source is gone") from exc
        while size <= descriptor.size:
            try:
                chunk = source.read(CHUNK)
            except OSError as exc:
                raise ImageError(f"cannot read {what}: {exc}",
                                 "the layer's source is gone") from exc
            if not chunk:
                break
            hasher.update(chunk)
            size += len(chunk)
            if size <= descriptor.size:
                sink(chunk)
    if size != descriptor.size or hasher.hexdigest() != descriptor.digest.hex:
        got = f"more than {descriptor.size} bytes" if size > descriptor.size else (
            f"{size} bytes with digest sha256:{hasher.hexdigest()}")
        raise ImageError(
            f"{what} does not match its descriptor: expected {descriptor.size} bytes with "
            f"digest {descriptor.digest}, read {got}",
            "a cached layer was changed or truncated; clear the cache and build again",
        )


def _update_index(directory: Path, entry: Descriptor, ref_name: str) -> None:
    """Replace the index.json entry named ``ref_name``; call with the layout lock held."""
    path = directory / INDEX_FILE
    old_raw = b""
    data: dict[str, Any] = {"schemaVersion": 2, "manifests": []}
    if path.exists():
        old_raw = path.read_bytes()
        data = _json_object(path, OutputError, old_raw)
        manifests = data.get("manifests", [])
        if not isinstance(manifests, list) or not all(isinstance(m, dict) for m in manifests):
            raise _corrupt(path, OutputError, "its manifests are not a list of descriptors")
        for item in manifests:
            try:
                Descriptor.from_json(item)
            except ImageError as exc:
                raise _corrupt(path, OutputError, exc.message) from exc
        data["manifests"] = manifests
    kept = [m for m in data["manifests"] if (m.get("annotations") or {}).get(REF_NAME) != ref_name]
    kept.append(entry.to_json())
    kept.sort(key=lambda m: ((m.get("annotations") or {}).get(REF_NAME, ""), canonical_json(m)))
    data.update(schemaVersion=2, mediaType=mediatypes.OCI_INDEX, manifests=kept)
    raw = canonical_json(data)
    if raw != old_raw:
        _write_atomic(path, raw)


def _write_atomic(path: Path, raw: bytes) -> None:
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX)
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(raw)
            out.flush()
            os.fsync(out.fileno())
        temp.chmod(0o644)
        temp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


@contextlib.contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if needed) across processes."""
    with path.open("a+b") as handle:
        if sys.platform == "win32":
            import msvcrt
            import time

            handle.seek(0)
            while True:
                try:
                    msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
                    break
                except OSError:  # LK_LOCK gives up after ten seconds; keep waiting
                    time.sleep(0.1)
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _output_error(directory: Path, exc: OSError) -> OutputError:
    where = exc.filename or directory
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = f"check that you may write to {directory}, or choose another output directory"
    elif exc.errno in (errno.ENOTDIR, errno.EEXIST, errno.EISDIR):
        hint = f"a file is in the way inside {directory}; choose a new directory for the layout"
    elif exc.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = "free some disk space and build again"
    else:
        hint = "check the output directory and build again"
    return OutputError(f"cannot write OCI layout {directory}: {where}: {reason}", hint)


# ---------------------------------------------------------------------------------- reading


class BlobSource(Protocol):
    """Where the blobs of a stored image come from: a layout directory or a tarball."""

    def read_bytes(self, descriptor: Descriptor) -> bytes:
        """A small blob (manifest, index, config), verified against its descriptor."""

    def layer(self, descriptor: Descriptor, diff_id: Digest) -> Layer:
        """The layer behind a manifest's layer descriptor, without reading it."""


def read_layout(directory: Path) -> list[tuple[str, Descriptor]]:
    """The entries of index.json as (ref name or "", descriptor), in file order."""
    index = _read_index(directory)
    return [(item.annotation(REF_NAME) or "", item) for item in index.manifests]


def load_artifact(
    directory: Path, ref_name_or_digest: str, platform: Platform | None = None
) -> Image | ImageIndex:
    """Load an entry of a layout by ref name (or manifest digest); with a platform, one image.

    An empty name selects the only entry of a layout that has exactly one.
    """
    entries = read_layout(directory)
    source = LayoutBlobs(directory)
    descriptor = _select(directory, entries, ref_name_or_digest, platform)
    where = f"OCI layout {directory} entry '{ref_name_or_digest}'"
    return select_platform(artifact_from_blobs(source, descriptor), platform, where)


def _select(
    directory: Path,
    entries: list[tuple[str, Descriptor]],
    wanted: str,
    platform: Platform | None,
) -> Descriptor:
    if wanted.startswith(("sha256:", "sha512:")):
        digest = Digest.parse(wanted)
        for _, item in entries:
            if item.digest == digest:
                return item
        path = blob_path(directory, digest)
        # A manifest is small (registries refuse those over 4 MiB); a layer is not a manifest.
        if path.is_file() and path.stat().st_size <= MAX_MANIFEST_SIZE:
            raw = path.read_bytes()
            return Descriptor(media_type_of(raw), digest, len(raw))
        raise ImageError(f"OCI layout {directory} holds no manifest {digest}",
                         "give the digest of an image manifest or index in the layout")
    names = sorted({name for name, _ in entries if name})
    if not wanted:
        if len(entries) == 1:
            return entries[0][1]
        raise ImageError(f"OCI layout {directory} holds {len(entries)} entries; name one",
                         f"names in this layout: {', '.join(names) or 'none'}")
    candidates = [item for name, item in entries if name == wanted]
    if len(candidates) > 1 and platform is not None:
        narrowed = [c for c in candidates if c.platform is None or c.platform.matches(platform)]
        candidates = narrowed or candidates
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise ImageError(
            f"OCI layout {directory} has no image named '{wanted}'",
            f"names in this layout: {', '.join(names)}" if names else "the layout is empty",
        )
    raise ImageError(
        f"OCI layout {directory} has {len(candidates)} entries named '{wanted}'",
        "select one by digest (sha256:...) instead of by name",
    )


def select_platform(
    artifact: Image | ImageIndex, platform: Platform | None, where: str
) -> Image | ImageIndex:
    if platform is None:
        return artifact
    for image in images_of(artifact):
        if image.platform.matches(platform):
            return image
    available = ", ".join(str(image.platform) for image in images_of(artifact)) or "none"
    raise ImageError(f"{where} has no image for platform {platform} (it has {available})",
                     "choose one of the platforms it has, or build the image for yours")


def artifact_from_blobs(source: BlobSource, descriptor: Descriptor) -> Image | ImageIndex:
    """Build the image or index a descriptor points at from the blobs of ``source``."""
    raw = source.read_bytes(descriptor)
    media_type = descriptor.media_type or media_type_of(raw)
    if mediatypes.is_index(media_type):
        index = Index.from_bytes(raw)
        images = tuple(
            image_from_manifest(source, source.read_bytes(item))
            for item in index.manifests
            if mediatypes.is_manifest(item.media_type)
        )
        return ImageIndex(images, index.annotations)
    if mediatypes.is_manifest(media_type):
        return image_from_manifest(source, raw)
    raise ImageError(f"{descriptor.digest.short()} has media type '{media_type}'",
                     "goship loads image manifests and image indexes only")


def image_from_manifest(source: BlobSource, raw: bytes) -> Image:
    manifest = Manifest.from_bytes(raw)
    config = ImageConfig.from_bytes(source.read_bytes(manifest.config))
    diff_ids = config.diff_ids
    if len(diff_ids) != len(manifest.layers):
        raise ImageError(
            f"image config {manifest.config.digest.short()} lists {len(diff_ids)} diff IDs "
            f"for {len(manifest.layers)} layers",
            "the image is corrupt",
        )
    layers = tuple(
        source.layer(item, diff_id) for item, diff_id in zip(manifest.layers, diff_ids, strict=True)
    )
    annotations = dict(manifest.annotations)
    base_digest: Digest | None = None
    with contextlib.suppress(ImageError):
        base_digest = Digest.parse(annotations.get(BASE_DIGEST, ""))
    return Image(config, layers, manifest.annotations, annotations.get(BASE_NAME, ""), base_digest)


class LayoutBlobs:
    """The blobs of a layout directory, read as the model needs them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def read_bytes(self, descriptor: Descriptor) -> bytes:
        path = blob_path(self.directory, descriptor.digest)
        try:
            if path.stat().st_size != descriptor.size:
                raise ImageError(f"blob {path} has {path.stat().st_size} bytes, "
                                 f"not the {descriptor.size} its descriptor gives",
                                 "the layout is corrupt; write it again")
            raw = path.read_bytes()
        except OSError as exc:
            raise ImageError(f"cannot read blob {descriptor.digest.short()} of OCI layout "
                             f"{self.directory}: {exc.strerror}",
                             "the layout is incomplete; write it again") from exc
        return verify_bytes(raw, descriptor, f"blob {path}")

    def layer(self, descriptor: Descriptor, diff_id: Digest) -> Layer:
        path = blob_path(self.directory, descriptor.digest)
        if not path.is_file():
            if descriptor.is_foreign:
                return ForeignLayer(descriptor, diff_id)
            raise ImageError(f"layer {descriptor.digest.short()} is missing from OCI layout "
                             f"{self.directory}", "the layout is incomplete; write it again")
        if path.stat().st_size != descriptor.size:
            raise ImageError(f"layer blob {path} has the wrong size",
                             "the layout is corrupt; write it again")
        return FileLayer(path, descriptor, diff_id)


def verify_bytes(raw: bytes, descriptor: Descriptor, what: str) -> bytes:
    try:
        actual = hashlib.new(descriptor.digest.algorithm, raw).hexdigest()
    except ValueError as exc:
        raise ImageError(f"{what}: unsupported digest algorithm", "use sha256 digests") from exc
    if len(raw) != descriptor.size or actual != descriptor.digest.hex:
        raise ImageError(f"{what} does not match its digest {descriptor.digest}",
                         "the blob is corrupt; write it again")
    return raw


def _read_index(directory: Path) -> Index:
    if not (directory / LAYOUT_FILE).is_file():
        what = "does not exist" if not directory.exists() else "is not an OCI layout"
        raise ImageError(f"{directory} {what} (no {LAYOUT_FILE} file)",
                         "give the directory a layout was written to")
    path = directory / INDEX_FILE
    _json_object(path, ImageError)
    try:
        return Index.from_bytes(path.read_bytes())
    except ImageError as exc:
        raise _corrupt(path, ImageError, exc.message) from exc


def _json_object(
    path: Path, error: type[OutputError] | type[ImageError], raw: bytes | None = None
) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes() if raw is None else raw)
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror}",
                    "check the file's permissions") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _corrupt(path, error, f"not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise _corrupt(path, error, "not a JSON object")
    return data


def _corrupt(
    path: Path, error: type[OutputError] | type[ImageError], reason: str
) -> OutputError | ImageError:
    return error(f"{path} is corrupt: {reason}",
                 "move the layout directory away and write it again")
