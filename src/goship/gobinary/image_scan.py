"""The Go binaries in the final file system of one platform image, read in one pass.

Every layer is streamed once through goship.policy.image_files, which applies whiteouts and
hands each regular file to a hook as it goes by. The hook looks at the file's first bytes: an
executable (ELF, PE or Mach-O, whatever its mode bits or name) is copied into a spooled temp
file (in memory up to ``SPOOL_IN_MEMORY``, then on disk), hashed on the way, and its build
information read; only that result is kept, so at most one binary is held at a time and never
a whole layer. A file is examined when its layer is read, before a later layer may delete or
replace it: results are kept by (path, layer) and matched against the final tree at the end,
so only the versions the container sees count. A hard link counts once, at the file it links
to; symlinks are names, not files, and never count.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import replace
from typing import IO, BinaryIO, cast

from goship.errors import OutputError
from goship.gobinary.buildinfo import executable_format, read_build_info
from goship.gobinary.moduleinfo import BuildInfoError, NoBuildInfoError, NotExecutableError
from goship.gobinary.subject import GoBinary, Skipped
from goship.oci.layer import Layer
from goship.policy.image_files import FileEntry, FileTree, read_file_tree

SNIFF = 64  # enough for every magic and the fat Mach-O architecture count
PIECE = 1 << 20
SPOOL_IN_MEMORY = 16 << 20  # a small program stays in memory; a Go service goes to a temp file
NOT_GO = "not a Go program"

Outcome = GoBinary | Skipped


def examine(path: str, content: IO[bytes]) -> Outcome | None:
    """What the file ``path`` whose bytes ``content`` streams is: a Go binary, an executable
    skipped with the reason, or None when it is not an executable at all."""
    head = content.read(SNIFF)
    if executable_format(head) is None:
        return None
    digest = hashlib.sha256(head)
    size = len(head)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, prefix="goship-binary-") as spool:
        _write(spool, head, path)
        # Read errors are the layer's (open_layer_tar reports them); write errors are ours.
        while piece := content.read(PIECE):
            digest.update(piece)
            size += len(piece)
            _write(spool, piece, path)
        try:
            info = read_build_info(cast(BinaryIO, spool), path)
        except NotExecutableError:
            return None  # "MZ" without a PE header: a DOS program or a text that starts so
        except NoBuildInfoError:
            return Skipped(path, NOT_GO)
        except BuildInfoError as exc:
            return Skipped(path, exc.reason)
    return GoBinary(path, info, digest.hexdigest(), size)


def _write(spool: IO[bytes], piece: bytes, path: str) -> None:
    try:
        spool.write(piece)
    except OSError as exc:
        raise OutputError(f"cannot copy {path} out of the image into a temp file: {exc.strerror}",
                          "free some space in the temp directory (TMPDIR)") from exc


class _Outcomes:
    """The hook given to read_file_tree, and what it found, by (path, layer)."""

    def __init__(self, windows: bool) -> None:
        self.windows = windows
        self.found: dict[tuple[str, int], Outcome] = {}

    def key(self, path: str, layer: int) -> tuple[str, int]:
        return (path.lower() if self.windows else path, layer)

    def __call__(self, entry: FileEntry, content: IO[bytes]) -> None:
        key = self.key(entry.path, entry.layer)
        self.found.pop(key, None)  # a later member of the same layer replaces an earlier one
        outcome = examine(entry.path, content)
        if outcome is not None:
            self.found[key] = outcome

    def of(self, tree: FileTree, entry: FileEntry) -> Outcome | None:
        """The outcome of a final entry: its own for a file; for a hard link, that of the file
        it links to, unless that file is itself in the tree (then it counts there)."""
        if entry.kind == "file":
            return self.found.get(self.key(entry.path, entry.layer))
        if entry.kind != "hardlink":
            return None
        target = tree.get(entry.link_target)
        if target is not None and target.kind == "file" and target.layer <= entry.layer:
            return None
        # The linked file was deleted or replaced above the link: the link keeps its bytes.
        for layer in range(entry.layer, -1, -1):
            outcome = self.found.get(self.key(entry.link_target, layer))
            if outcome is not None:
                return replace(outcome, path=entry.path)
        return None


def scan_layers(layers: tuple[Layer, ...], *, windows: bool,
                what: str) -> tuple[tuple[GoBinary, ...], tuple[Skipped, ...]]:
    """The Go binaries of an image's final file system in path order, and what was skipped:
    executables that are not Go programs (or are damaged), and layers that cannot be read.
    ``what`` names the image in errors."""
    outcomes = _Outcomes(windows)
    tree = read_file_tree(layers, windows=windows, what=what, on_content=outcomes)
    binaries: list[GoBinary] = []
    skipped: list[Skipped] = []
    for entry in tree:
        outcome = outcomes.of(tree, entry)
        if isinstance(outcome, GoBinary):
            binaries.append(outcome)
        elif isinstance(outcome, Skipped):
            skipped.append(outcome)
    skipped.extend(_layer_skip(message, layers, what) for message in tree.skipped)
    return tuple(binaries), tuple(skipped)


def _layer_skip(message: str, layers: tuple[Layer, ...], what: str) -> Skipped:
    """``layer 3 (sha256:…) of IMAGE is zstd-compressed, …`` as Skipped("layer 3 (sha256:…)",
    "zstd-compressed, …"): the layer named as the path, image_files' reason as the reason."""
    for number, layer in enumerate(layers):
        name = f"layer {number + 1} ({layer.descriptor.digest.short()})"
        if message.startswith(name + " "):
            reason = message[len(name):].strip().removeprefix(f"of {what}").strip()
            return Skipped(name, reason.removeprefix("is "))
    return Skipped("", message)
