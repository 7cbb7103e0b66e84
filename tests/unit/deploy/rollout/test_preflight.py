"""The scan gate of `goship deploy`: an unwaived finding at or above scan-fail-on stops the
deploy (exit code 12); below it, the deploy goes on with a note."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.supply.scan.builders import TODAY, binary, osv, osv_dir, subject

from goship.deploy.rollout.preflight import VulnerableImageError, require_scan
from goship.errors import ExitCode
from goship.gobinary.moduleinfo import Module
from goship.supply.scan.database import Database, open_location
from goship.supply.scan.interface import ScanSettings


def _database(tmp_path: Path) -> Database:
    entries = [osv("GO-2024-0001", "example.com/lib", [("introduced", "0"), ("fixed", "1.2.0")])]
    return open_location(str(osv_dir(tmp_path / "db", entries)), cache_dir=tmp_path / "cache")


def test_a_vulnerable_module_stops_the_deploy(tmp_path: Path) -> None:
    image = subject(binary(Module("example.com/lib", "v1.1.0")))

    with pytest.raises(VulnerableImageError) as stopped:
        require_scan([image], _database(tmp_path), ScanSettings(), "any", TODAY)

    assert stopped.value.message == ("the image has 1 vulnerability of any severity that no waiver covers "
                                     "(GO-2024-0001); nothing was deployed")
    assert stopped.value.exit_code == ExitCode.VULNERABLE


def test_findings_below_the_threshold_let_the_deploy_go_on(tmp_path: Path) -> None:
    image = subject(binary(Module("example.com/lib", "v1.1.0")))

    note = require_scan([image], _database(tmp_path), ScanSettings(), "critical", TODAY)

    assert note == "scan: no unwaived vulnerability at or above critical in 1 Go binaries"


def test_a_fixed_module_passes(tmp_path: Path) -> None:
    image = subject(binary(Module("example.com/lib", "v1.2.0")))

    assert require_scan([image], _database(tmp_path), ScanSettings(), "any", TODAY).startswith("scan: no ")
