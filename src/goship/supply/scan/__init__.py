"""The vulnerability scan: the Go binaries of an image against the Go vulnerability database.

interface.py holds the shared types (findings, waivers, settings, results, errors);
versions.py the Go version spellings; osv.py reads one OSV entry; database.py and remote.py
are the sources (a directory, an OSV export, the HTTP API with its cache); match.py finds
what affects each binary; waivers.py applies goship.toml's waivers; report/ writes the
table, JSON and SARIF.

A build or release gate calls::

    database = open_database(settings, cache_dir=..., download=...)
    result = scan_subjects(subjects, database, settings, date.today())
    if result.failed(settings.fail_on): ...

The functions load on first use: the types alone (which goship.config needs) pull in no
HTTP client.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from goship.supply.scan.database import open_database
    from goship.supply.scan.match import scan_subjects

__all__ = ["open_database", "scan_subjects"]
_HOMES = {"open_database": "goship.supply.scan.database", "scan_subjects": "goship.supply.scan.match"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
