"""A ScanResult as a table for people, and as JSON or SARIF 2.1.0 for machines.

One module per format, each with ``render(result, options) -> str``; ``render`` here picks
one by name, so that the CLI treats every format alike.
"""

from __future__ import annotations

from goship.supply.scan.interface import ScanResult
from goship.supply.scan.report.options import ReportOptions

__all__ = ["FORMATS", "ReportOptions", "render"]
FORMATS = ("table", "json", "sarif")


def render(format_name: str, result: ScanResult, options: ReportOptions | None = None) -> str:
    """The result in one of FORMATS; ValueError for another name."""
    given = options or ReportOptions()
    if format_name == "table":
        from goship.supply.scan.report.table import render as render_table

        return render_table(result, given)
    if format_name == "json":
        from goship.supply.scan.report.json import render as render_json

        return render_json(result, given)
    if format_name == "sarif":
        from goship.supply.scan.report.sarif import render as render_sarif

        return render_sarif(result, given)
    raise ValueError(f"unknown report format '{format_name}': use {', '.join(FORMATS)}")
