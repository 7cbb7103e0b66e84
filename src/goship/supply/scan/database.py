"""Where vulnerability entries come from: the Go vulnerability database and OSV exports.

``open_database`` picks the source from one location:

- a URL (default ``https://vuln.go.dev``): the database's v1 HTTP API, with an on-disk cache
  (goship.supply.scan.remote);
- a directory holding ``index/modules.json`` and ``ID/<id>.json``: a copy of that API, as the
  database publishes it (its v1 layout);
- any other directory, or a ``.zip``: OSV JSON files, one entry each, as OSV's bulk export
  (``Go/all.zip``) holds them. Entries of other ecosystems in it are ignored.

Every source answers one question: the entries that name any of these modules. A file that
is not what the layout promises is a DatabaseError naming the file.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import semver

from goship.errors import UsageError
from goship.progress import Reporter, SilentReporter
from goship.supply.scan.interface import DatabaseError, DatabaseInfo, ScanSettings, Vulnerability
from goship.supply.scan.osv import parse_entry
from goship.toolchain.network import DownloadOptions, is_url

DEFAULT_DATABASE = "https://vuln.go.dev"
# An entry's ID becomes a file name (ID/<id>.json): nothing that could leave the directory.
ENTRY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_LAYOUT_HINT = ("--db must name a copy of the Go vulnerability database (index/ and ID/), a "
                "directory of OSV JSON files, or a .zip of them; fetch a fresh copy")

# The modules of the scanned binaries and the versions found of each, as parse_semver reads them.
Wanted = Mapping[str, Sequence[semver.Version]]


class Database(Protocol):
    @property
    def info(self) -> DatabaseInfo:
        """Where the entries come from (after ``vulnerabilities``: also how fresh they are)."""

    def vulnerabilities(self, modules: Wanted) -> list[Vulnerability]:
        """The entries that name any of ``modules`` (a few more are harmless: the caller
        matches every entry against the versions)."""


def open_database(settings: ScanSettings, *, cache_dir: Path, download: DownloadOptions | None = None,
                  reporter: Reporter | None = None) -> Database:
    """The database ``settings.database`` names (the official one when None): a URL is read
    through the cache under ``cache_dir`` (only the cache with ``settings.offline``)."""
    return open_location(settings.database, cache_dir=cache_dir, offline=settings.offline,
                         download=download, reporter=reporter)


def open_location(location: str | None, *, cache_dir: Path, offline: bool = False,
                  download: DownloadOptions | None = None, reporter: Reporter | None = None) -> Database:
    location = location or DEFAULT_DATABASE
    if is_url(location):
        from goship.supply.scan.remote import RemoteDatabase

        return RemoteDatabase(location, cache_dir=cache_dir, offline=offline,
                              download=download or DownloadOptions(),
                              reporter=reporter or SilentReporter())
    path = Path(location.removeprefix("file://")).expanduser()
    if (path / "index" / "modules.json").is_file():
        return DirectoryDatabase(path)
    if path.is_dir() or (path.is_file() and path.suffix.lower() == ".zip"):
        return OsvFilesDatabase(path)
    if path.exists():
        raise UsageError(f"vulnerability database {path} is neither a directory nor a .zip",
                         _LAYOUT_HINT)
    raise UsageError(f"vulnerability database {path} does not exist",
                     "give --db a directory (the database's index/ and ID/, or OSV JSON files), "
                     "a .zip of OSV files, or a URL")


def read_json(raw: bytes, where: str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DatabaseError(f"{where} is not JSON: {exc}", _LAYOUT_HINT) from exc


def load_entry(raw: bytes, where: str, expected_id: str | None = None) -> Vulnerability:
    """One OSV entry; DatabaseError naming ``where`` when it is not one (or not ``expected_id``)."""
    try:
        vulnerability = parse_entry(read_json(raw, where))
    except ValueError as exc:
        raise DatabaseError(f"{where} is not an OSV entry: {exc}", _LAYOUT_HINT) from exc
    if expected_id is not None and vulnerability.id != expected_id:
        raise DatabaseError(f"{where} holds {vulnerability.id}, not {expected_id}", _LAYOUT_HINT)
    return vulnerability


def parse_modules_index(data: Any, where: str) -> dict[str, list[dict[str, str]]]:
    """``index/modules.json``: module path -> its entries' {"id", "modified", "fixed"?}."""
    problem = DatabaseError(f"{where} is not the database's module index (a list of "
                            "{\"path\", \"vulns\": [{\"id\", \"modified\"}]})", _LAYOUT_HINT)
    if not isinstance(data, list):
        raise problem
    modules: dict[str, list[dict[str, str]]] = {}
    for item in data:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            raise problem
        vulns = item.get("vulns", [])
        if not isinstance(vulns, list):
            raise problem
        for vuln in vulns:
            if (not isinstance(vuln, dict) or not isinstance(vuln.get("id"), str)
                    or not ENTRY_ID.match(vuln["id"])
                    or not all(isinstance(value, str) for value in vuln.values())):
                raise problem
        modules.setdefault(item["path"], []).extend(vulns)
    return modules


def parse_db_modified(data: Any, where: str) -> str:
    """``index/db.json``'s "modified" time."""
    if not isinstance(data, dict) or not isinstance(data.get("modified"), str):
        raise DatabaseError(f"{where} is not the database's db.json ({{\"modified\": TIME}})",
                            _LAYOUT_HINT)
    return str(data["modified"])


class DirectoryDatabase:
    """A copy of the database's v1 layout: index/db.json, index/modules.json, ID/<id>.json."""

    def __init__(self, root: Path) -> None:
        self.root = root
        db_file = root / "index" / "db.json"
        modified = ""
        if db_file.is_file():
            modified = parse_db_modified(read_json(_read(db_file), str(db_file)), str(db_file))
        self._info = DatabaseInfo(str(root), "v1 directory", modified)

    @property
    def info(self) -> DatabaseInfo:
        return self._info

    def vulnerabilities(self, modules: Wanted) -> list[Vulnerability]:
        index_file = self.root / "index" / "modules.json"
        index = parse_modules_index(read_json(_read(index_file), str(index_file)), str(index_file))
        ids = sorted({vuln["id"] for path in modules for vuln in index.get(path, ())})
        entries = []
        for entry_id in ids:
            entry_file = self.root / "ID" / f"{entry_id}.json"
            if not entry_file.is_file():
                raise DatabaseError(f"{index_file} names {entry_id}, but {entry_file} does not exist",
                                    _LAYOUT_HINT)
            entries.append(load_entry(_read(entry_file), str(entry_file), entry_id))
        return entries


class OsvFilesDatabase:
    """OSV JSON files in a directory (and its subdirectories) or in a .zip."""

    def __init__(self, location: Path) -> None:
        self.location = location
        self._zip = location.is_file()
        self._info = DatabaseInfo(str(location), "OSV zip" if self._zip else "OSV directory")

    @property
    def info(self) -> DatabaseInfo:
        return self._info

    def vulnerabilities(self, modules: Wanted) -> list[Vulnerability]:
        found: dict[str, Vulnerability] = {}
        for where, raw in self._files():
            vulnerability = load_entry(raw, where)
            if any(affected.module in modules for affected in vulnerability.affected):
                found.setdefault(vulnerability.id, vulnerability)
        return [found[key] for key in sorted(found)]

    def _files(self) -> Iterator[tuple[str, bytes]]:
        if not self._zip:
            for path in sorted(self.location.rglob("*.json")):
                if path.is_file():
                    yield str(path), _read(path)
            return
        try:
            with zipfile.ZipFile(self.location) as archive:
                for name in sorted(archive.namelist()):
                    if name.endswith(".json") and not name.endswith("/"):
                        yield f"{self.location}!{name}", archive.read(name)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise DatabaseError(f"{self.location} is not a readable .zip: {exc}", _LAYOUT_HINT) from exc


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DatabaseError(f"cannot read {path}: {exc.strerror or exc}",
                            "check that the database files are readable") from exc
