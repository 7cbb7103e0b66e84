"""The layer layout a Windows container host imports.

A Windows layer tar keeps the container's files under ``Files/`` (``Files/app/api.exe`` is
``C:\\app\\api.exe``) and registry hives under ``Hives/``, and every entry carries the PAX
record ``MSWINDOWS.rawsd``: the base64 of a self-relative security descriptor that becomes
the file's owner, group and ACLs. Without it the host gives files an owner that the
container user cannot use. goship gives every entry owner and group BUILTIN\\Users and no
DACL or SACL, so files inherit the access rules of the directory they land in.

The security descriptor is assembled here from its documented binary structure (MS-DTYP
2.4.6 SECURITY_DESCRIPTOR, 2.4.2 SID): no Python library writes one without Windows APIs.
"""

from __future__ import annotations

import base64
import posixpath
import struct
from collections.abc import Sequence
from dataclasses import replace

from goship.oci.layer import TarEntry

RAWSD_RECORD = "MSWINDOWS.rawsd"
USERS_SID = "S-1-5-32-545"  # BUILTIN\Users
FILES_DIR = "Files"
HIVES_DIR = "Hives"
WINDOWS_DIR_MODE = 0o555

SD_REVISION = 1
SE_SELF_RELATIVE = 0x8000
# Revision, Sbz1, Control, then the offsets of Owner, Group, Sacl and Dacl (0 = absent).
_SD_HEADER = struct.Struct("<BBHIIII")


def sid_bytes(text: str) -> bytes:
    """The binary SID of ``S-1-<authority>-<sub>-...``: revision, count, 48-bit authority
    (big-endian), then 32-bit sub-authorities (little-endian)."""
    parts = text.split("-")
    if len(parts) < 3 or parts[0] != "S" or not all(p.isdigit() for p in parts[1:]):
        raise ValueError(f"'{text}' is not a SID in S-1-... form")
    revision, authority, subs = int(parts[1]), int(parts[2]), [int(p) for p in parts[3:]]
    if revision != 1 or authority >= 1 << 48 or len(subs) > 15 or any(s >= 1 << 32 for s in subs):
        raise ValueError(f"'{text}' is out of range for a SID")
    return (
        bytes([revision, len(subs)])
        + authority.to_bytes(6, "big")
        + b"".join(struct.pack("<I", sub) for sub in subs)
    )


def security_descriptor(owner: str = USERS_SID, group: str = USERS_SID) -> bytes:
    """A self-relative security descriptor with an owner and a group and no ACLs."""
    owner_raw, group_raw = sid_bytes(owner), sid_bytes(group)
    owner_offset = _SD_HEADER.size
    group_offset = owner_offset + len(owner_raw)
    header = _SD_HEADER.pack(SD_REVISION, 0, SE_SELF_RELATIVE, owner_offset, group_offset, 0, 0)
    return header + owner_raw + group_raw


def windows_entries(entries: Sequence[TarEntry]) -> list[TarEntry]:
    """Move plain layer entries under ``Files/`` and give every entry the security record.

    The result starts with the ``Hives/`` and ``Files/`` directories and adds a directory
    entry for each parent the input leaves implicit, because the Windows importer creates
    files only inside directories it has already seen. ``write_layer`` sorts entries by path,
    so in the layer ``Hives/`` follows the ``Files/`` tree; the importer does not depend on
    that order. An entry that already has a ``MSWINDOWS.rawsd`` record keeps its own.
    """
    record = (RAWSD_RECORD, base64.b64encode(security_descriptor()).decode("ascii"))

    def with_record(entry: TarEntry) -> TarEntry:
        pax = dict((record, *entry.pax))
        return replace(entry, pax=tuple(sorted(pax.items())))

    converted = [
        TarEntry(HIVES_DIR, "dir", WINDOWS_DIR_MODE, pax=(record,)),
        TarEntry(FILES_DIR, "dir", WINDOWS_DIR_MODE, pax=(record,)),
    ]
    relative = [(_relative(entry.path), entry) for entry in entries]
    declared = {path for path, entry in relative if entry.kind == "dir"}
    implied: set[str] = set()
    for path, _ in relative:
        parent = posixpath.dirname(path)
        while parent and parent not in declared and parent not in implied:
            implied.add(parent)
            parent = posixpath.dirname(parent)
    for path in sorted(implied):
        converted.append(TarEntry(f"{FILES_DIR}/{path}", "dir", WINDOWS_DIR_MODE, pax=(record,)))
    for path, entry in relative:
        if path:
            converted.append(with_record(replace(entry, path=f"{FILES_DIR}/{path}")))
    return converted


def _relative(path: str) -> str:
    """``/app/x``, ``./app/x`` and ``app/x/`` all name ``app/x``; the root is ``""``."""
    normal = posixpath.normpath("/" + path.replace("\\", "/")).lstrip("/")
    return "" if normal == "." else normal
