"""The program an image runs, read out of its layers.

The entrypoint (else the command) names it; symlinks, ``PATH`` lookup of a bare name and
Windows paths (``C:\\app\\api.exe``) are resolved against the image's merged file tree
(goship.policy.image_files), which says which layer holds the file's final version. That one
layer is then streamed again and the file copied into a temp file, the only way to give the
buildinfo reader the random access it needs without holding the program in memory.
"""

from __future__ import annotations

import posixpath
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from goship.errors import ImageError, OutputError
from goship.policy.image_files import WINDOWS_FILES, FileEntry, normalise, open_layer_tar
from goship.policy.inspected_image import InspectedImage

PIECE = 1 << 20
MAX_LINKS = 8  # hard links to hard links: a few at most in a real image


def program_path(image: InspectedImage) -> str:
    """The path the entrypoint (else the command) names, as written in the config."""
    argv = image.entrypoint or image.cmd
    if not argv or not argv[0]:
        raise ImageError(f"{image.source} ({image.title}) has no entrypoint or command",
                         "goship verify reads the program the image runs; set ENTRYPOINT")
    return argv[0]


def find_program(image: InspectedImage) -> FileEntry:
    """The file entry of the program the image runs, symlinks followed."""
    written = program_path(image)
    path = written.replace("\\", "/")
    if image.windows and len(path) > 1 and path[1] == ":":
        path = path[2:]  # C:/app/api.exe -> /app/api.exe
    candidates = [path]
    if "/" not in path:
        search = image.env.get("PATH", "/usr/local/bin:/usr/bin:/bin")
        candidates = [posixpath.join(directory.replace("\\", "/") or "/", path)
                      for directory in search.split(";" if image.windows else ":")]
    tree = image.files()
    for candidate in candidates:
        entry = tree.resolve(normalise(candidate))
        for _ in range(MAX_LINKS):
            if entry is None or entry.kind != "hardlink":
                break
            entry = tree.get(entry.link_target)
        if entry is not None and entry.kind == "file":
            return entry
    skipped = f" ({'; '.join(tree.skipped)})" if tree.skipped else ""
    raise ImageError(f"{image.source} ({image.title}): the program {written} is not a file in the "
                     f"image{skipped}", "check the image's ENTRYPOINT names the program it ships")


def _member_path(name: str, windows: bool) -> str | None:
    path = normalise(name)
    if windows:
        if not path.lower().startswith(WINDOWS_FILES):
            return None
        return normalise(path[len(WINDOWS_FILES):]).lower()
    return path


def _write(copy: BinaryIO, piece: bytes, path: str) -> None:
    try:
        copy.write(piece)
    except OSError as exc:
        raise OutputError(f"cannot copy {path} out of the image into a temp file: {exc.strerror}",
                          "free some space in the temp directory (TMPDIR)") from exc


@contextmanager
def open_program(image: InspectedImage) -> Iterator[tuple[FileEntry, BinaryIO]]:
    """The program's entry and a seekable temp file holding its bytes."""
    entry = find_program(image)
    layer = image.layers[entry.layer]
    wanted = entry.path.lower() if image.windows else entry.path
    label = f"layer {entry.layer + 1} ({layer.descriptor.digest.short()}) of {image.source}"
    with tempfile.TemporaryFile(prefix="goship-program-") as copy:
        found = False
        with open_layer_tar(layer, label) as tar:
            if tar is None:
                raise ImageError(f"{label} is zstd-compressed, which goship cannot read",
                                 "recompress the image's layers with gzip")
            for member in tar:
                if member.isreg() and _member_path(member.name, image.windows) == wanted:
                    source = tar.extractfile(member)
                    if source is None:
                        continue
                    copy.seek(0)
                    copy.truncate()
                    # Read errors are the layer's (open_layer_tar reports them); write errors ours.
                    while piece := source.read(PIECE):
                        _write(copy, piece, entry.path)
                    found = True  # a later member of the same path replaces it: keep reading
        if not found:
            raise ImageError(f"{label} does not hold {entry.path} as its file tree said",
                             "the image is corrupt; push it again")
        copy.seek(0)
        yield entry, copy
