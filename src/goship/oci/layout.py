"""OCI image layout directories: ``oci-layout``, ``index.json`` and ``blobs/<alg>/<hex>``.

Writing is content addressed and incremental: a blob already present with the right size is
not written again, every blob goes through a temporary file in its final directory and a
rename, layer bytes are hashed while they are copied, and ``index.json`` is changed under a
lock so that two builds writing into the same layout at once both keep their entries.

Reading gives back ``Image`` and ``ImageIndex`` values whose layers are files in the layout.
The image model re-serialises configs and manifests canonically as OCI media types, so what
goship wrote loads back with the same digests; a layout written by another tool (Docker media
types, non-canonical JSON) loads with equal content but may get different digests.

Rebuilding images from the blobs is shared with the tarball reader and lives in
``blobstore``; the lock and the atomic replace live in ``filelock``.
"""

from __future__ import annotations

import errno
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from goship.errors import ImageError, OutputError
from goship.oci import mediatypes
from goship.oci.blobstore import (
    ForeignLayer,
    Opener,
    artifact_from_blobs,
    copy_verified,
    select_platform,
    verify_bytes,
)
from goship.oci.canonical import canonical_json
from goship.oci.digest import Digest
from goship.oci.filelock import TEMP_PREFIX, atomic_file, exclusive_lock, write_atomic
from goship.oci.image import Artifact, Image, ImageIndex, images_of
from goship.oci.layer import FileLayer, Layer
from goship.oci.manifest import Descriptor, Index, media_type_of
from goship.oci.platform import Platform

LAYOUT_FILE = "oci-layout"
INDEX_FILE = "index.json"
BLOBS_DIR = "blobs"
LAYOUT_VERSION = "1.0.0"
LOCK_FILE = ".goship.lock"
REF_NAME = "org.opencontainers.image.ref.name"
MAX_MANIFEST_SIZE = 4 << 20

# The grammar the image spec gives for org.opencontainers.image.ref.name.
_REF_COMPONENT = r"[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*"
_REF_NAME = re.compile(rf"^{_REF_COMPONENT}(?:/{_REF_COMPONENT})*$")

BlobCallback = Callable[[Descriptor, bool], None]


def is_valid_ref_name(name: str) -> bool:
    return bool(_REF_NAME.match(name))


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
        with exclusive_lock(_prepare_directory(directory)):
            _ensure_layout_file(directory)
        for descriptor, opener in _blobs_of(artifact):
            written = _store_blob(directory / BLOBS_DIR, descriptor, opener)
            if on_blob is not None:
                on_blob(descriptor, written)
        with exclusive_lock(directory / LOCK_FILE):
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
    write_atomic(path, canonical_json({"imageLayoutVersion": LAYOUT_VERSION}))


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
    with atomic_file(final, TEMP_PREFIX) as out:
        copy_verified(opener, descriptor, out.write)
    return True


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
        write_atomic(path, raw)


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
        return stored_manifest(directory, digest)
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


def stored_manifest(directory: Path, digest: Digest) -> Descriptor:
    """The descriptor of the manifest or index blob ``digest`` in the layout at ``directory``,
    named in index.json or not; ImageError when the layout holds no such manifest."""
    path = blob_path(directory, digest)
    # A manifest is small (registries refuse those over 4 MiB); a layer is not a manifest.
    if path.is_file() and path.stat().st_size <= MAX_MANIFEST_SIZE:
        raw = path.read_bytes()
        return Descriptor(media_type_of(raw), digest, len(raw))
    raise ImageError(f"OCI layout {directory} holds no manifest {digest}",
                     "give the digest of an image manifest or index in the layout")
