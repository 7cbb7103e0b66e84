"""The vulnerability scan's settings: the ``[scan]`` table of goship.toml and its
``[[scan.waiver]]`` tables, with flags and GOSHIP_* variables over them.

config.py stays the only reader of goship.toml: it calls ``settings_from_config_table`` for
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
import difflib
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goship.config import CONFIG_FILE, line_of, read_config_file
from goship.errors import ConfigError, UsageError
from goship.supply.scan.interface import FAIL_ON, ScanSettings, Waiver

if TYPE_CHECKING:
    from goship.toolchain.network import DownloadOptions

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
_Schema = dict[str, tuple[str, Callable[[Any], bool]]]


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_date(value: Any) -> bool:
    # A TOML date is a datetime.date; a datetime (with a time of day) is not meant here.
    return (isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)) or \
        isinstance(value, str)


def _is_waivers(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


_SCAN: _Schema = {
    "fail-on": (f"one of {', '.join(FAIL_ON)}", _is_str),
    "db": ("a string: a URL, a directory or a .zip", _is_str),
    "waiver": ("an array of tables: [[scan.waiver]]", _is_waivers),
}
_WAIVER: _Schema = {
    "id": ("a string: a vulnerability ID or alias, e.g. \"GO-2022-0229\"", _is_str),
    "reason": ("a string saying why the vulnerability is accepted", _is_str),
    "expires": ("a date, e.g. 2026-12-31 (without quotes)", _is_date),
    "module": ("a string: a module path, e.g. \"golang.org/x/crypto\"", _is_str),
    "image": ("a string: a glob over the scanned source, e.g. \"registry.example.com/api:*\"", _is_str),
}
_REQUIRED = ("id", "reason", "expires")


class _Where:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text

    def scan(self, key: str) -> str:
        line = line_of(self.text, key, "scan") or line_of(self.text, "", "scan")
        return f"{self.path}:{line}" if line else str(self.path)

    def waiver(self, number: int, key: str) -> str:
        line = line_of(self.text, key, "scan.waiver", number) if key else 0
        if not line:
            line = line_of(self.text, "", "scan.waiver", number) or line_of(self.text, "waiver", "scan")
        return f"{self.path}:{line}" if line else str(self.path)


def _check_keys(data: Mapping[str, Any], schema: _Schema, where: Callable[[str], str], table: str,
                path: Path) -> None:
    for key in data:
        if key not in schema:
            close = difflib.get_close_matches(key.replace("_", "-"), list(schema), n=1)
            hint = (f"did you mean '{close[0]}'? " if close else "") + \
                f"keys of [{table}]: {', '.join(schema)}; see docs/configuration.md"
            raise ConfigError(f"{where(key)}: unknown key '{table}.{key}'", hint)
    for key, value in data.items():
        description, check = schema[key]
        if not check(value):
            raise ConfigError(f"{where(key)}: '{table}.{key}' must be {description}",
                              f"fix '{table}.{key}' in {path.name}")


def _expires(value: Any, where: str) -> datetime.date:
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            raise ConfigError(f"{where}: 'scan.waiver.expires' is '{value}', not a date",
                              "write a TOML date without quotes: expires = 2026-12-31") from None
    return value  # type: ignore[no-any-return]  # _is_date checked it


def _waiver(data: Mapping[str, Any], number: int, where: _Where, path: Path) -> Waiver:
    _check_keys(data, _WAIVER, lambda key: where.waiver(number, key), "scan.waiver", path)
    for key in _REQUIRED:
        if key not in data:
            example = {"id": 'id = "GO-2022-0229"', "reason": 'reason = "why it is accepted"',
                       "expires": "expires = 2026-12-31"}[key]
            raise ConfigError(f"{where.waiver(number, '')}: waiver {number + 1} has no '{key}'",
                              f"every [[scan.waiver]] needs id, reason and expires: add {example}")
    entry_id = data["id"].strip()
    if not _ID.match(entry_id):
        raise ConfigError(f"{where.waiver(number, 'id')}: 'scan.waiver.id' is '{data['id']}'",
                          "write a vulnerability ID or alias, e.g. \"GO-2022-0229\" or \"CVE-2020-7919\"")
    reason = data["reason"].strip()
    if not reason:
        raise ConfigError(f"{where.waiver(number, 'reason')}: 'scan.waiver.reason' is empty",
                          "say why the vulnerability is accepted, for whoever reads the report")
    for key in ("module", "image"):
        if key in data and not data[key].strip():
            raise ConfigError(f"{where.waiver(number, key)}: 'scan.waiver.{key}' is empty",
                              f"remove '{key}' to waive the vulnerability everywhere")
    return Waiver(
        id=entry_id,
        reason=reason,
        expires=_expires(data["expires"], where.waiver(number, "expires")),
        module=data["module"].strip() if "module" in data else None,
        image=data["image"].strip() if "image" in data else None,
        location=where.waiver(number, "id"),
    )


def settings_from_config_table(data: Any, *, path: Path, text: str) -> ScanSettings:
    """The ``[scan]`` table of goship.toml (config.py's reader calls this)."""
    where = _Where(path, text)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:{line_of(text, 'scan', None)}: 'scan' must be a table",
                          "write [scan] above the scan keys, and each waiver as [[scan.waiver]]")
    _check_keys(data, _SCAN, where.scan, "scan", path)
    fail_on = data.get("fail-on", ScanSettings().fail_on)
    if fail_on not in FAIL_ON:
        raise ConfigError(f"{where.scan('fail-on')}: 'scan.fail-on' is '{fail_on}'",
                          f"write one of {', '.join(FAIL_ON)}")
    database: str | None = None
    if "db" in data:
        location = data["db"].strip()
        if not location:
            raise ConfigError(f"{where.scan('db')}: 'scan.db' is empty",
                              "remove it to use the official database, or name a URL or directory")
        if location.startswith(("http://", "https://", "file://")):
            database = location
        else:
            candidate = Path(location).expanduser()
            database = str(candidate if candidate.is_absolute() else path.parent / candidate)
    waivers = tuple(_waiver(item, number, where, path)
                    for number, item in enumerate(data.get("waiver", [])))
    return ScanSettings(fail_on=fail_on, database=database, waivers=waivers, source=str(path))


def read_scan_settings(path: Path) -> ScanSettings:
    """The scan settings of one goship.toml; the defaults (``source`` naming it) without [scan]."""
    scan = read_config_file(path).get("scan")
    return scan if isinstance(scan, ScanSettings) else ScanSettings(source=str(path))


def _search_dirs(start: Path) -> list[Path]:
    directories: list[Path] = []
    for directory in (start, *start.parents):
        directories.append(directory)
        if (directory / ".git").exists():
            break
    return directories


def find_scan_settings(start: Path) -> ScanSettings:
    """The settings of the nearest goship.toml in ``start`` or a parent (up to the git root),
    else the defaults."""
    for directory in _search_dirs(start.resolve()):
        if (directory / CONFIG_FILE).is_file():
            return read_scan_settings(directory / CONFIG_FILE)
    return ScanSettings()


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
