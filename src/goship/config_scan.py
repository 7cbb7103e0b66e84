"""The vulnerability scan's settings: the ``[scan]`` table of goship.toml and its
``[[scan.waiver]]`` tables, with flags and GOSHIP_* variables over them.

config.py stays the only reader of goship.toml: it calls ``settings_from_config`` for
the ``[scan]`` table and keeps the result in ``Config.scan``; `goship scan` calls
``resolve_scan_settings``, which finds the nearest goship.toml (up to the git root) and puts
``--db``/GOSHIP_VULNDB, ``--offline``/GOSHIP_OFFLINE and ``--fail-on`` over it. Every mistake
is a ConfigError naming the file, the line and the key, with a hint.

::

    [scan]
    fail-on = "high"
    db = "https://vuln.example.com"      # or a directory, relative to goship.toml

    [[scan.waiver]]
    id = "GO-2022-0229"                  # or an alias: "CVE-2020-7919"
    reason = "only 64-bit builds; the panic needs a 32-bit platform"
    expires = 2026-12-31                 # a TOML date: the last day it holds
    module = "golang.org/x/crypto"       # optional
    image = "registry.example.com/api:*" # optional glob over the scanned source
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goship.config import CONFIG_FILE, nearest_file, read_config_file
from goship.config_tables import ConfigTable, Schema, is_str, is_table_list
from goship.errors import UsageError
from goship.supply.scan.interface import FAIL_ON, ScanSettings, Waiver

if TYPE_CHECKING:
    from goship.toolchain.network import DownloadOptions

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")


def _is_date(value: Any) -> bool:
    # A TOML date is a datetime.date; a datetime (with a time of day) is not meant here.
    return (isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)) or \
        isinstance(value, str)


_SCAN: Schema = {
    "fail-on": (f"one of {', '.join(FAIL_ON)}", is_str),
    "db": ("a string: a URL, a directory or a .zip", is_str),
    "waiver": ("an array of tables: [[scan.waiver]]", is_table_list),
}
_WAIVER: Schema = {
    "id": ("a string: a vulnerability ID or alias, e.g. \"GO-2022-0229\"", is_str),
    "reason": ("a string saying why the vulnerability is accepted", is_str),
    "expires": ("a date, e.g. 2026-12-31 (without quotes)", _is_date),
    "module": ("a string: a module path, e.g. \"golang.org/x/crypto\"", is_str),
    "image": ("a string: a glob over the scanned source, e.g. \"registry.example.com/api:*\"", is_str),
}
_REQUIRED = {"id": 'id = "GO-2022-0229"', "reason": 'reason = "why it is accepted"',
             "expires": "expires = 2026-12-31"}


def _expires(table: ConfigTable) -> datetime.date:
    value = table.data["expires"]
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            raise table.error("expires", f"'scan.waiver.expires' is '{value}', not a date",
                              "write a TOML date without quotes: expires = 2026-12-31") from None
    return value  # type: ignore[no-any-return]  # _is_date checked it


def _waiver(table: ConfigTable, number: int) -> Waiver:
    table.check(_WAIVER)
    data = table.data
    for key, example in _REQUIRED.items():
        if key not in data:
            raise table.error("", f"waiver {number + 1} has no '{key}'",
                              f"every [[scan.waiver]] needs id, reason and expires: add {example}")
    entry_id = data["id"].strip()
    if not _ID.match(entry_id):
        raise table.error("id", f"'scan.waiver.id' is '{data['id']}'",
                          "write a vulnerability ID or alias, e.g. \"GO-2022-0229\" or \"CVE-2020-7919\"")
    reason = table.filled("reason", "say why the vulnerability is accepted, for whoever reads the report")
    module, image = (table.filled(key, f"remove '{key}' to waive the vulnerability everywhere")
                     for key in ("module", "image"))
    return Waiver(
        id=entry_id,
        reason=reason.strip(),
        expires=_expires(table),
        module=module.strip() if module is not None else None,
        image=image.strip() if image is not None else None,
        location=table.where("id"),
    )


def settings_from_config(root: ConfigTable) -> ScanSettings:
    """The ``[scan]`` table of goship.toml (config.py's reader calls this)."""
    table = root.table("scan", hint="write [scan] above the scan keys, and each waiver as [[scan.waiver]]")
    table.check(_SCAN)
    fail_on = table.choice("fail-on", FAIL_ON, ScanSettings().fail_on)
    database: str | None = None
    location = table.filled("db", "remove it to use the official database, or name a URL or directory")
    if location is not None:
        location = location.strip()
        is_url = location.startswith(("http://", "https://", "file://"))
        database = location if is_url else table.resolve(location)
    waivers = tuple(_waiver(waiver, number) for number, waiver in
                    enumerate(table.array("waiver", "write each waiver as [[scan.waiver]]")))
    return ScanSettings(fail_on=fail_on, database=database, waivers=waivers, source=str(root.path))


def read_scan_settings(path: Path) -> ScanSettings:
    """The scan settings of one goship.toml; the defaults (``source`` naming it) without [scan]."""
    scan = read_config_file(path).get("scan")
    return scan if isinstance(scan, ScanSettings) else ScanSettings(source=str(path))


def find_scan_settings(start: Path) -> ScanSettings:
    """The settings of the nearest goship.toml in ``start`` or a parent (up to the git root),
    else the defaults."""
    found = nearest_file(start.resolve(), CONFIG_FILE)
    return read_scan_settings(found) if found is not None else ScanSettings()


def resolve_scan_settings(start: Path, env: Mapping[str, str], *, database: str | None = None,
                          offline: bool = False, fail_on: str | None = None) -> ScanSettings:
    """What `goship scan` uses: flags, then GOSHIP_VULNDB and GOSHIP_OFFLINE, then goship.toml."""
    settings = find_scan_settings(start)
    if fail_on is not None and fail_on not in FAIL_ON:
        raise UsageError(f"--fail-on {fail_on} is not one of {', '.join(FAIL_ON)}",
                         "use e.g. --fail-on high, --fail-on any or --fail-on never")
    if database is None and env.get("GOSHIP_VULNDB"):
        database = env["GOSHIP_VULNDB"]
    return ScanSettings(
        fail_on=fail_on or settings.fail_on,
        database=database or settings.database,
        offline=offline or env.get("GOSHIP_OFFLINE", "") not in ("", "0"),
        waivers=settings.waivers,
        source=settings.source,
    )


def download_options(env: Mapping[str, str], ca_file: Path | None = None) -> DownloadOptions:
    """How to reach a database URL: HTTPS_PROXY/HTTP_PROXY/NO_PROXY as for Go downloads, and
    ``ca_file`` (else GOSHIP_CA_FILE) for a mirror with a private CA."""
    from goship.config import load_toolchain_settings
    from goship.toolchain.network import DownloadOptions

    network = load_toolchain_settings(env)
    if ca_file is None and env.get("GOSHIP_CA_FILE"):
        ca_file = Path(env["GOSHIP_CA_FILE"])
    return DownloadOptions(proxy=network.proxy, no_proxy=network.no_proxy,
                           http_proxy=network.http_proxy, ca_file=ca_file)
