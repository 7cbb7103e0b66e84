"""What every report format is told besides the result."""

from __future__ import annotations

from dataclasses import dataclass

from goship.supply.scan.interface import DEFAULT_FAIL_ON


@dataclass(frozen=True)
class ReportOptions:
    fail_on: str = DEFAULT_FAIL_ON  # which findings the report marks as failing
    tool_version: str = ""  # the JSON report's and SARIF's tool version
