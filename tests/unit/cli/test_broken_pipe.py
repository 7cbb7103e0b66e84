"""A reader that stops early (`goship ... | head -1`) ends the command quietly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_closed_stdout_is_not_an_internal_error(tmp_path: Path) -> None:
    # Many lines of output into a pipe whose reader has already gone.
    policy = tmp_path / "Dockerfile"
    policy.write_text("FROM scratch\n" + "".join(f"LABEL k{n}=v\n" for n in range(2000)))
    read, write = os.pipe()
    os.close(read)
    result = subprocess.run(
        [sys.executable, "-m", "goship.cli.main", "lint", str(policy), "--format", "json"],
        stdout=write, stderr=subprocess.PIPE, text=True, check=False, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    os.close(write)
    assert "internal error" not in result.stderr
    assert "Traceback" not in result.stderr
    assert "BrokenPipe" not in result.stderr
