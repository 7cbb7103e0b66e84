"""Small Go-like archives (good and malicious) and index entries for the toolchain unit tests."""

from __future__ import annotations

import hashlib
import io
import stat
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from goship.toolchain.index import ReleaseFile


@dataclass(frozen=True)
class Entry:
    name: str
    data: bytes = b""
    kind: str = "file"  # file, dir, symlink, hardlink, fifo
    mode: int = 0o644
    target: str = ""


def go_tree(version: str) -> list[Entry]:
    """The smallest tree goship accepts as a Go distribution."""
    return [
        Entry("go/", kind="dir", mode=0o755),
        Entry("go/VERSION", f"go{version}\n".encode()),
        Entry("go/bin/go", f'#!/bin/sh\necho "go version go{version} linux/amd64"\n'.encode(), mode=0o755),
        Entry("go/src/fmt/print.go", b"package fmt\n"),
    ]


def write_tar_gz(path: Path, entries: list[Entry]) -> Path:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for entry in entries:
            info = tarfile.TarInfo(entry.name)
            info.mode = entry.mode
            if entry.kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif entry.kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, entry.target
                tar.addfile(info)
            elif entry.kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, entry.target
                tar.addfile(info)
            elif entry.kind == "fifo":
                info.type = tarfile.FIFOTYPE
                tar.addfile(info)
            else:
                info.size = len(entry.data)
                tar.addfile(info, io.BytesIO(entry.data))
    path.write_bytes(buffer.getvalue())
    return path


def write_zip(path: Path, entries: list[Entry]) -> Path:
    with zipfile.ZipFile(path, "w") as bundle:
        for entry in entries:
            info = zipfile.ZipInfo(entry.name)
            info.create_system = 3  # Unix: the high 16 bits of external_attr are st_mode
            if entry.kind == "dir":
                info.external_attr = (stat.S_IFDIR | entry.mode) << 16 | 0x10
                bundle.writestr(info, b"")
            elif entry.kind == "symlink":
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                bundle.writestr(info, entry.target.encode())
            else:
                info.external_attr = (stat.S_IFREG | entry.mode) << 16
                bundle.writestr(info, entry.data)
    return path


def release_file_for(path: Path, version: str, *, os_name: str = "linux", arch: str = "amd64") -> ReleaseFile:
    """The index entry that names ``path`` (its real size and SHA-256)."""
    raw = path.read_bytes()
    return ReleaseFile(path.name, os_name, arch, "go" + version, hashlib.sha256(raw).hexdigest(),
                       len(raw), "archive")


def archive_for(directory: Path, version: str, entries: list[Entry] | None = None, *,
                zip_format: bool = False) -> tuple[Path, ReleaseFile]:
    """An archive named as Go names its release archives, and its index entry."""
    directory.mkdir(parents=True, exist_ok=True)
    if zip_format:
        path = write_zip(directory / f"go{version}.windows-amd64.zip", entries or go_tree(version))
        return path, release_file_for(path, version, os_name="windows")
    path = write_tar_gz(directory / f"go{version}.linux-amd64.tar.gz", entries or go_tree(version))
    return path, release_file_for(path, version)
