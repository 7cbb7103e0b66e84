"""`goship scan` against the database's v1 HTTP API served on 127.0.0.1: only the entries the
binaries need are fetched, the cache is revalidated by db.json, --offline uses the cache, and
an unreachable or broken server is a clear error."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from tests.conftest import Goship, Result
from tests.integration.supply.scan.conftest import TESTDB, DatabaseServer, Programs
from tests.unit.gobinary.test_buildinfo_format import go_testdata

pytestmark = pytest.mark.integration

OK, REGISTRY, VULNERABLE = 0, 6, 12
ENTRIES = ["/ID/GO-2022-0229.json", "/ID/GO-2022-0463.json", "/ID/GO-2022-0569.json",
           "/ID/GO-2022-0572.json"]


def scan(goship: Goship, target: Path, cache: Path, *args: str) -> Result:
    return goship("scan", str(target), "--json", *args, cwd=cache.parent,
                  env={"GOSHIP_CACHE": str(cache)})


def found(result: Result) -> set[tuple[str, str]]:
    document = json.loads(result.stdout)
    return {(f["id"], f["module"])
            for s in document["subjects"] for b in s["binaries"] for f in b["findings"]}


def test_only_the_needed_entries_are_fetched_and_then_cached(goship: Goship, programs: Programs,
                                                             database_server: DatabaseServer,
                                                             tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    local = goship("scan", str(programs.vulnerable), "--json", "--db", str(TESTDB), cwd=tmp_path)

    first = scan(goship, programs.vulnerable, cache, "--db", database_server.url)

    assert first.code == VULNERABLE, first.output
    assert found(first) == found(local) and len(found(first)) == 4
    # a go1.25 binary needs no stdlib or toolchain entry: the index says all are fixed before it
    assert sorted(database_server.requests) == sorted(["/index/db.json", "/index/modules.json", *ENTRIES])
    database = json.loads(first.stdout)["database"]
    assert (database["location"], database["modified"], database["warning"]) == (
        database_server.url, "2023-04-03T15:57:51Z", None)

    database_server.requests.clear()
    again = scan(goship, programs.vulnerable, cache, "--db", database_server.url)

    assert again.code == VULNERABLE and found(again) == found(first)
    assert database_server.requests == ["/index/db.json"]  # unchanged: everything from the cache


def test_a_changed_database_refetches_the_index_and_changed_entries(
        goship: Goship, programs: Programs, database_server: DatabaseServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert scan(goship, programs.vulnerable, cache, "--db", database_server.url).code == VULNERABLE
    # the database withdraws GO-2022-0463: a new entry, a new index and a new db.json time
    entry_file = database_server.root / "ID" / "GO-2022-0463.json"
    entry = json.loads(entry_file.read_text())
    entry.update(modified="2024-05-01T00:00:00Z", withdrawn="2024-05-01T00:00:00Z")
    entry_file.write_text(json.dumps(entry))
    index_file = database_server.root / "index" / "modules.json"
    index_file.write_text(index_file.read_text().replace(
        '{"id":"GO-2022-0463","modified":"2023-04-03T15:57:51Z"',
        '{"id":"GO-2022-0463","modified":"2024-05-01T00:00:00Z"'))
    (database_server.root / "index" / "db.json").write_text('{"modified":"2024-05-01T00:00:00Z"}')
    database_server.requests.clear()

    result = scan(goship, programs.vulnerable, cache, "--db", database_server.url)

    assert result.code == VULNERABLE, result.output
    assert database_server.requests == ["/index/db.json", "/index/modules.json", "/ID/GO-2022-0463.json"]
    assert "GO-2022-0463" not in {entry_id for entry_id, _ in found(result)}
    assert json.loads(result.stdout)["database"]["modified"] == "2024-05-01T00:00:00Z"


def test_offline_uses_the_cache_with_the_server_gone(goship: Goship, programs: Programs,
                                                     database_server: DatabaseServer,
                                                     tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    online = scan(goship, programs.vulnerable, cache, "--db", database_server.url)
    url = database_server.url
    database_server.stop()

    offline = scan(goship, programs.vulnerable, cache, "--db", url, "--offline")
    stale = scan(goship, programs.vulnerable, cache, "--db", url)

    assert offline.code == VULNERABLE, offline.output
    assert found(offline) == found(online)
    database = json.loads(offline.stdout)["database"]
    assert (database["warning"], database["cache"]) == (None, str(next(cache.glob("vulndb/*"))))
    assert stale.code == VULNERABLE, stale.output
    assert found(stale) == found(online)
    assert "goship: warning: cannot reach the vulnerability database" in stale.stderr
    assert "using the copy cached in" in stale.stderr


def test_offline_with_an_entry_missing_from_the_cache(goship: Goship, programs: Programs,
                                                      database_server: DatabaseServer,
                                                      tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert scan(goship, programs.vulnerable, cache, "--db", database_server.url).code == VULNERABLE
    old_go = tmp_path / "go117"
    old_go.write_bytes(go_testdata("go117"))  # needs stdlib entries the first scan did not fetch

    result = scan(goship, old_go, cache, "--db", database_server.url, "--offline")

    assert result.code == REGISTRY
    assert "lacks entries these binaries need: GO-2021-0264 (stdlib)" in result.stderr
    assert "hint: run `goship scan` once without --offline" in result.stderr


def test_offline_with_nothing_cached(goship: Goship, programs: Programs, tmp_path: Path) -> None:
    result = scan(goship, programs.vulnerable, tmp_path / "cache", "--offline")

    assert result.code == REGISTRY
    assert "goship: error: --offline, and no copy of the vulnerability database https://vuln.go.dev " \
           "is cached in" in result.stderr
    assert "--db" in result.stderr


def test_an_unreachable_database_with_nothing_cached(goship: Goship, programs: Programs,
                                                     tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once the socket closes

    result = scan(goship, programs.vulnerable, tmp_path / "cache", "--db", f"http://127.0.0.1:{port}")

    assert result.code == REGISTRY
    assert (f"goship: error: cannot reach the vulnerability database http://127.0.0.1:{port}/index/db.json: "
            "connection refused") in result.stderr
    assert "--offline" in result.stderr and "--db DIR" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_server_that_does_not_serve_the_database(goship: Goship, programs: Programs,
                                                   database_server: DatabaseServer,
                                                   tmp_path: Path) -> None:
    database_server.html = True

    result = scan(goship, programs.vulnerable, tmp_path / "cache", "--db", database_server.url)

    assert result.code == REGISTRY
    assert f"{database_server.url}/index/db.json is not JSON" in result.stderr


def test_a_missing_entry_on_the_server(goship: Goship, programs: Programs,
                                       database_server: DatabaseServer, tmp_path: Path) -> None:
    (database_server.root / "ID" / "GO-2022-0569.json").unlink()

    result = scan(goship, programs.vulnerable, tmp_path / "cache", "--db", database_server.url)

    assert result.code == REGISTRY
    assert (f"cannot fetch {database_server.url}/ID/GO-2022-0569.json: the server answered 404"
            in result.stderr)
