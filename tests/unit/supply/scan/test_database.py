"""Local databases: the v1 directory, OSV files in a directory or a .zip, and what is wrong
with them (the HTTP API and its cache: tests/integration/supply/scan)."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from tests.unit.supply.scan.builders import TESTDB, binary, found, osv, scan, subject

from goship.errors import ExitCode, UsageError
from goship.gobinary.moduleinfo import Module
from goship.supply.scan.database import open_location
from goship.supply.scan.interface import DatabaseError

CRYPTO = Module("golang.org/x/crypto", "v0.0.0-20190308221718-c2843e01d9a2")
TARGET = subject(binary(CRYPTO, Module("github.com/beego/beego/v2", "v2.0.1"), go="go1.16.4"))


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(TESTDB, tmp_path / "vulndb"))


def test_a_zip_of_osv_files_gives_the_same_findings(tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for entry in sorted((TESTDB / "ID").iterdir()):
            out.writestr(entry.name, entry.read_bytes())

    assert found(scan(TARGET, db=archive)) == found(scan(TARGET))
    assert len(found(scan(TARGET))) == 7  # x/crypto 1, beego/v2 3, stdlib 3


def test_the_database_says_where_it_is_and_how_new(copy: Path) -> None:
    result = scan(TARGET, db=copy)

    assert (result.database.location, result.database.kind, result.database.modified) == (
        str(copy), "v1 directory", "2023-04-03T15:57:51Z")
    assert result.vulnerabilities_checked == 11  # every entry names stdlib, toolchain, x/crypto or beego


def test_a_corrupt_entry_is_named(copy: Path) -> None:
    broken = copy / "ID" / "GO-2022-0229.json"
    broken.write_text('{"id": "GO-2022-0229", "modified": ')

    with pytest.raises(DatabaseError) as caught:
        scan(TARGET, db=copy)

    assert caught.value.exit_code is ExitCode.CONFIG
    assert caught.value.message.startswith(f"{broken} is not JSON")


def test_an_entry_that_is_not_osv_is_named_with_the_reason(copy: Path) -> None:
    entry = copy / "ID" / "GO-2022-0229.json"
    entry.write_text(json.dumps({"id": "GO-2022-0229", "modified": "2024-01-01T00:00:00Z",
                                 "affected": "golang.org/x/crypto"}))

    with pytest.raises(DatabaseError, match=f"{entry} is not an OSV entry: 'affected' must be a list"):
        scan(TARGET, db=copy)


def test_an_entry_under_another_id_is_refused(copy: Path) -> None:
    entry = copy / "ID" / "GO-2022-0229.json"
    entry.write_bytes((copy / "ID" / "GO-2022-0463.json").read_bytes())

    with pytest.raises(DatabaseError, match="holds GO-2022-0463, not GO-2022-0229"):
        scan(TARGET, db=copy)


def test_an_index_naming_a_missing_entry(copy: Path) -> None:
    (copy / "ID" / "GO-2022-0229.json").unlink()

    with pytest.raises(DatabaseError, match=r"names GO-2022-0229, but .*GO-2022-0229\.json does not exist"):
        scan(TARGET, db=copy)


def test_a_corrupt_index_is_named(copy: Path) -> None:
    index = copy / "index" / "modules.json"
    index.write_text('{"modules": []}')

    with pytest.raises(DatabaseError) as caught:
        scan(TARGET, db=copy)

    assert caught.value.message.startswith(f"{index} is not the database's module index")


def test_a_corrupt_osv_file_in_a_flat_directory_is_named(tmp_path: Path) -> None:
    flat = tmp_path / "osv"
    flat.mkdir()
    (flat / "GO-2099-0001.json").write_text(json.dumps(osv("GO-2099-0001", "example.com/a", [])))
    (flat / "broken.json").write_bytes(b"\x00\x01 not json")

    with pytest.raises(DatabaseError, match=f"{flat / 'broken.json'} is not JSON"):
        scan(TARGET, db=flat)


def test_a_damaged_zip_is_named(tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    archive.write_bytes(b"PK\x03\x04 this is no zip")

    with pytest.raises(DatabaseError, match=f"{archive} is not a readable .zip"):
        scan(TARGET, db=archive)


def test_a_missing_database_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        open_location(str(tmp_path / "nowhere"), cache_dir=tmp_path)
    (tmp_path / "file.json").write_text("{}")
    with pytest.raises(UsageError, match=r"neither a directory nor a \.zip"):
        open_location(str(tmp_path / "file.json"), cache_dir=tmp_path)
