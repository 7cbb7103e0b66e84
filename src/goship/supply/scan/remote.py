"""The Go vulnerability database's v1 HTTP API, read through an on-disk cache.

The API (https://go.dev/security/vuln/database) is three kinds of file: ``index/db.json``
(``{"modified": TIME}``, when anything last changed), ``index/modules.json`` (every module
and the IDs, modification times and latest fixed versions of its entries) and
``ID/<id>.json`` (one OSV entry). A scan fetches db.json, fetches modules.json again only
when db.json's time differs from the cached copy's, and fetches the entries of the scanned
modules whose cached copy is missing or older than the index says. As govulncheck does, an
entry is not fetched when every version found is at or above the latest fixed version the
index gives for the module.

The cache lives in ``<cache>/vulndb/<hash of the URL>/`` with the same file names. When the
server cannot be reached, the cached copy is used and the result says so; ``offline`` uses
only the cache. A cache lacking an entry the scan needs is an error, never a silent pass.
There is no Python client of this API; the HTTP is httpx, as for Go downloads
(goship.toolchain.network: proxies, NO_PROXY, the CA bundle).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx

from goship.oci.filelock import write_atomic
from goship.progress import Reporter
from goship.supply.scan.database import (
    Wanted,
    load_entry,
    parse_db_modified,
    parse_modules_index,
    read_json,
)
from goship.supply.scan.interface import (
    DatabaseError,
    DatabaseInfo,
    DatabaseUnavailableError,
    Vulnerability,
)
from goship.supply.scan.versions import parse_semver
from goship.toolchain.network import DownloadOptions, failure_reason

KIND = "Go vulnerability database API"
_PARALLEL = 8
_UNREACHABLE_HINT = ("check the network and the proxy (HTTPS_PROXY), or scan with --offline (the "
                     "copy an earlier scan cached) or with --db DIR (a copy of the database)")
_OFFLINE_HINT = ("run `goship scan` once without --offline to fill the cache, or give --db a "
                 "copy of the database (a directory with index/ and ID/)")

Index = dict[str, list[dict[str, str]]]
_T = TypeVar("_T")


class RemoteDatabase:
    def __init__(self, url: str, *, cache_dir: Path, offline: bool, download: DownloadOptions,
                 reporter: Reporter) -> None:
        self.url = url.rstrip("/")
        self.cache = cache_dir / "vulndb" / hashlib.sha256(self.url.encode()).hexdigest()[:24]
        self.offline = offline
        self.download = download
        self.reporter = reporter
        self._info = DatabaseInfo(self.url, KIND)

    @property
    def info(self) -> DatabaseInfo:
        return self._info

    def vulnerabilities(self, modules: Wanted) -> list[Vulnerability]:
        if self.offline:
            modified, index = self._cached_index(required=True)
            if modified is None or index is None:  # required=True raised already
                raise DatabaseUnavailableError(f"no cached copy of {self.url}", _OFFLINE_HINT)
            self._info = DatabaseInfo(self.url, KIND, modified, cache=str(self.cache))
            return self._entries(None, _select(index, modules), can_fetch=False)
        with self.download.client_for(self.url) as client:
            modified, index, warning = self._index(client)
            self._info = DatabaseInfo(self.url, KIND, modified, warning,
                                      cache=str(self.cache) if warning else "")
            return self._entries(client, _select(index, modules), can_fetch=not warning)

    # -- the index --------------------------------------------------------------------

    def _index(self, client: httpx.Client) -> tuple[str, Index, str]:
        """db.json's time, the module index, and a warning when the cache stands in."""
        cached_modified, cached_index = self._cached_index(required=False)
        db_url = f"{self.url}/index/db.json"
        try:
            db_raw = _get(client, db_url)
            modified = parse_db_modified(_remote_json(db_raw, db_url), db_url)
            if modified == cached_modified and cached_index is not None:
                self.reporter.debug(f"vulnerability database {self.url} unchanged since {modified}")
                return modified, cached_index, ""
            modules_url = f"{self.url}/index/modules.json"
            self.reporter.step(f"fetching the vulnerability database index {modules_url}")
            modules_raw = _get(client, modules_url)
            index = _remote(lambda: parse_modules_index(_remote_json(modules_raw, modules_url),
                                                        modules_url))
        except DatabaseUnavailableError as exc:
            if cached_index is None or cached_modified is None:
                raise
            return cached_modified, cached_index, (f"{exc.message}; using the copy cached in "
                                                   f"{self.cache} (modified {cached_modified})")
        # The index first: a db.json in the cache vouches for the index beside it.
        self._store("index/modules.json", modules_raw)
        self._store("index/db.json", db_raw)
        return modified, index, ""

    def _cached_index(self, *, required: bool) -> tuple[str | None, Index | None]:
        db_file = self.cache / "index" / "db.json"
        modules_file = self.cache / "index" / "modules.json"
        if not (db_file.is_file() and modules_file.is_file()):
            if required:
                raise DatabaseUnavailableError(
                    f"--offline, and no copy of the vulnerability database {self.url} is cached "
                    f"in {self.cache}", _OFFLINE_HINT)
            return None, None
        try:
            modified = parse_db_modified(read_json(db_file.read_bytes(), str(db_file)), str(db_file))
            index = parse_modules_index(read_json(modules_file.read_bytes(), str(modules_file)),
                                        str(modules_file))
        except (DatabaseError, OSError) as exc:
            if required:
                raise DatabaseError(f"the cached vulnerability database is damaged: {exc}",
                                    f"delete {self.cache} and run `goship scan` once online") from exc
            self.reporter.debug(f"ignoring the damaged cache {self.cache}: {exc}")
            return None, None
        return modified, index

    # -- the entries ------------------------------------------------------------------

    def _entries(self, client: httpx.Client | None, wanted: Sequence[tuple[str, str, str]],
                 *, can_fetch: bool) -> list[Vulnerability]:
        """The entries (id, modified, module): from the cache when it is as new as the index,
        else fetched (in parallel) and cached."""
        found: dict[str, Vulnerability] = {}
        missing: list[tuple[str, str, str]] = []
        for entry_id, modified, module in wanted:
            cached = self._cached_entry(entry_id)
            if cached is not None and (cached.modified == modified or not can_fetch):
                found[entry_id] = cached
            else:
                missing.append((entry_id, modified, module))
        if missing and (client is None or not can_fetch):
            names = ", ".join(f"{entry_id} ({module})" for entry_id, _, module in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise DatabaseUnavailableError(
                f"the cached copy of the vulnerability database {self.url} lacks entries these "
                f"binaries need: {names}{more}",
                _OFFLINE_HINT if client is None else _UNREACHABLE_HINT)
        if missing and client is not None:
            self.reporter.step(f"fetching {len(missing)} vulnerability entries from {self.url}")
            with ThreadPoolExecutor(max_workers=min(_PARALLEL, len(missing))) as pool:
                fetched = list(pool.map(lambda item: self._fetch_entry(client, item[0]), missing))
            for vulnerability in fetched:
                found[vulnerability.id] = vulnerability
        return [found[key] for key in sorted(found)]

    def _cached_entry(self, entry_id: str) -> Vulnerability | None:
        path = self.cache / "ID" / f"{entry_id}.json"
        try:
            return load_entry(path.read_bytes(), str(path), entry_id)
        except (OSError, DatabaseError):
            return None

    def _fetch_entry(self, client: httpx.Client, entry_id: str) -> Vulnerability:
        url = f"{self.url}/ID/{entry_id}.json"
        raw = _get(client, url)
        vulnerability = _remote(lambda: load_entry(raw, url, entry_id))
        self._store(f"ID/{entry_id}.json", raw)
        return vulnerability

    def _store(self, name: str, raw: bytes) -> None:
        path = self.cache / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, raw)
        except OSError as exc:  # a cache that cannot be written costs a fetch next time
            self.reporter.debug(f"cannot cache {path}: {exc}")


def _select(index: Index, modules: Wanted) -> list[tuple[str, str, str]]:
    """(id, modified, module) of the entries to read for these modules and versions."""
    chosen: dict[str, tuple[str, str, str]] = {}
    for module, versions in sorted(modules.items()):
        for vuln in index.get(module, ()):
            fixed = parse_semver(vuln["fixed"]) if vuln.get("fixed") else None
            if fixed is not None and versions and all(version >= fixed for version in versions):
                continue  # every version found has the latest fix
            chosen.setdefault(vuln["id"], (vuln["id"], vuln.get("modified", ""), module))
    return list(chosen.values())


def _get(client: httpx.Client, url: str) -> bytes:
    try:
        response = client.get(url)
    except httpx.HTTPError as exc:
        raise DatabaseUnavailableError(
            f"cannot reach the vulnerability database {url}: {failure_reason(exc)}",
            _UNREACHABLE_HINT) from exc
    if response.status_code != 200:
        raise DatabaseUnavailableError(
            f"cannot fetch {url}: the server answered {response.status_code}",
            "check the --db URL: it must serve the Go vulnerability database's v1 API "
            "(index/db.json, index/modules.json, ID/<id>.json)")
    return response.content


def _remote_json(raw: bytes, url: str) -> Any:
    return _remote(lambda: read_json(raw, url))


def _remote(parse: Callable[[], _T]) -> _T:
    """``parse()``, with a malformed answer of the server as DatabaseUnavailableError: the
    server did not deliver the database (exit code 6), nothing on disk is wrong."""
    try:
        return parse()
    except DatabaseError as exc:
        raise DatabaseUnavailableError(exc.message, "check the --db URL: it must serve the Go "
                                       "vulnerability database's v1 API") from exc
