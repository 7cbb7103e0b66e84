from __future__ import annotations

import base64
import gzip
import struct
import tarfile
from pathlib import Path

import pytest

from goship.oci.compress import Compression
from goship.oci.layer import TarEntry, write_layer
from goship.oci.windows import RAWSD_RECORD, sid_bytes, windows_entries

PLAIN = [
    TarEntry("app", "dir", 0o755),
    TarEntry("app/api.exe", data=b"MZ binary", mode=0o755),
    TarEntry("app/config/settings.json", data=b"{}"),
    TarEntry("app/latest.exe", "symlink", 0o777, linkname="api.exe"),
]


def decode_sid(raw: bytes, offset: int) -> str:
    """Read a binary SID independently of the code under test (MS-DTYP 2.4.2)."""
    revision, count = raw[offset], raw[offset + 1]
    authority = int.from_bytes(raw[offset + 2 : offset + 8], "big")
    subs = struct.unpack_from(f"<{count}I", raw, offset + 8)
    return "-".join(["S", str(revision), str(authority), *map(str, subs)])


def test_entries_move_under_files_after_hives_and_files() -> None:
    converted = windows_entries(PLAIN)

    assert [(e.path, e.kind) for e in converted] == [
        ("Hives", "dir"),
        ("Files", "dir"),
        ("Files/app/config", "dir"),  # implied by app/config/settings.json, made explicit
        ("Files/app", "dir"),
        ("Files/app/api.exe", "file"),
        ("Files/app/config/settings.json", "file"),
        ("Files/app/latest.exe", "symlink"),
    ]
    assert converted[0].mode == converted[1].mode == 0o555
    assert converted[4].data == b"MZ binary" and converted[4].mode == 0o755
    assert converted[6].linkname == "api.exe"
    assert all(dict(e.pax).get(RAWSD_RECORD) for e in converted)


def test_paths_are_normalised() -> None:
    converted = windows_entries([TarEntry("/bin/x.exe"), TarEntry("./etc/"), TarEntry(".", "dir")])
    assert [e.path for e in converted] == ["Hives", "Files", "Files/bin", "Files/bin/x.exe",
                                           "Files/etc"]


def test_security_descriptor_is_owner_and_group_users_without_acls() -> None:
    [entry, *_] = windows_entries(PLAIN)
    raw = base64.b64decode(dict(entry.pax)[RAWSD_RECORD])

    revision, sbz1, control, owner, group, sacl, dacl = struct.unpack_from("<BBHIIII", raw)
    assert (revision, sbz1, control) == (1, 0, 0x8000)
    assert (owner, group, sacl, dacl) == (20, 36, 0, 0)
    assert decode_sid(raw, owner) == "S-1-5-32-545"
    assert decode_sid(raw, group) == "S-1-5-32-545"
    assert len(raw) == 52


def test_existing_pax_records_are_kept() -> None:
    custom = TarEntry("x.exe", pax=(("MSWINDOWS.fileattr", "32"), (RAWSD_RECORD, "AQAAgA==")))
    converted = windows_entries([custom])[-1]
    assert dict(converted.pax) == {"MSWINDOWS.fileattr": "32", RAWSD_RECORD: "AQAAgA=="}


def test_written_layer_is_a_windows_layer(tmp_path: Path) -> None:
    layer = write_layer(windows_entries(PLAIN), tmp_path, mtime=0, compression=Compression())

    with tarfile.open(layer.path, "r:gz") as tar:
        infos = tar.getmembers()
    names = [info.name for info in infos]
    assert names[0] == "Files"
    assert "Hives" in names
    assert all(name in ("Files", "Hives") or name.startswith("Files/") for name in names)
    for info in infos:
        sd = base64.b64decode(info.pax_headers[RAWSD_RECORD])
        assert decode_sid(sd, 20) == "S-1-5-32-545"
    by_name = {info.name: info for info in infos}
    assert by_name["Files"].isdir() and by_name["Hives"].isdir()
    assert by_name["Files"].mode == 0o555
    assert by_name["Files/app/latest.exe"].issym()
    # the gzip stream holds one PAX header per entry for the record
    raw = gzip.decompress(layer.path.read_bytes())
    assert raw.count(b" MSWINDOWS.rawsd=") == len(infos)
    assert raw[257:263] == b"ustar\x00"  # POSIX (PAX) headers, not GNU


@pytest.mark.parametrize("bad", ["S-1", "X-1-5-32", "S-2-5-32", "S-1-5-x", "S-1-5-4294967296"])
def test_bad_sids_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        sid_bytes(bad)
