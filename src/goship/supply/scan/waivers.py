"""Waivers: accepting a known vulnerability, with a reason, until a date.

A waiver (``[[scan.waiver]]`` in goship.toml, read by goship.config_scan) names a
vulnerability by its ID or an alias (a CVE, a GHSA), and can be narrowed to one module
and to sources matching a glob. Until the end of its ``expires`` day the findings it covers
are shown as waived, with the reason, and fail nothing. After that day it no longer counts:
the finding fails as if there were no waiver, and the report names the expired waiver so
that someone decides again.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from goship.supply.scan.interface import Finding, Waiver


def covers(waiver: Waiver, finding: Finding) -> bool:
    """Whether the waiver names this finding (whatever its date)."""
    return (waiver.id in finding.vulnerability.names()
            and (waiver.module is None or waiver.module == finding.module)
            and (waiver.image is None or fnmatch.fnmatchcase(finding.source, waiver.image)))


def apply_waivers(finding: Finding, waivers: Sequence[Waiver], today: date,
                  used: set[Waiver] | None = None) -> Finding:
    """The finding, waived by the first unexpired waiver that covers it, else marked with
    the expired waiver that would have; ``used`` collects the waivers that waived something."""
    covering = [waiver for waiver in waivers if covers(waiver, finding)]
    active = next((waiver for waiver in covering if not waiver.expired(today)), None)
    if active is not None:
        if used is not None:
            used.add(active)
        return replace(finding, waiver=active, expired_waiver=None)
    expired = next(iter(covering), None)
    return replace(finding, waiver=None, expired_waiver=expired)
