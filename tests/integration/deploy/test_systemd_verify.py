"""`goship manifests --systemd`: the unit passes `systemd-analyze verify` without a warning, and
the install script parses (and passes shellcheck where it is installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from tests.conftest import Goship
from tests.fixtures.tools import need
from tests.integration.deploy.project import deploy_project

pytestmark = pytest.mark.integration


@pytest.fixture
def written(goship: Goship, tmp_path: Path) -> tuple[Path, Path]:
    install_dir = tmp_path / "opt"
    extra = f'\n[deploy.systemd]\ninstall-dir = "{install_dir}"\nsysctl = true\n'
    project = deploy_project(tmp_path / "hello", extra)
    # systemd-analyze verify wants ExecStart's binary to exist: put a real executable there
    (install_dir / "hello").mkdir(parents=True)
    shutil.copy("/bin/true", install_dir / "hello" / "hello")
    result = goship("manifests", "--systemd", "systemd", "--env", "prod", cwd=project)
    assert result.code == 0, result.output
    assert "install with: sudo" in result.stderr
    return project / "systemd", install_dir


def test_the_unit_verifies_cleanly(written: tuple[Path, Path]) -> None:
    analyze = need("systemd-analyze")
    directory, install_dir = written
    unit = directory / "hello.service"
    assert f"ExecStart={install_dir}/hello/hello" in unit.read_text()
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr  # verify only warns about unknown keys or bad values


def test_verify_would_catch_a_broken_unit(written: tuple[Path, Path]) -> None:
    analyze = need("systemd-analyze")
    directory, _install_dir = written
    broken = directory / "broken.service"
    broken.write_text((directory / "hello.service").read_text().replace("NoNewPrivileges=yes",
                                                                        "NoNewPrivileges=perhaps"))
    result = subprocess.run([analyze, "verify", str(broken)], capture_output=True, text=True)
    assert "Failed to parse boolean value" in result.stderr


def test_the_install_script_parses(written: tuple[Path, Path]) -> None:
    directory, _install_dir = written
    script = directory / "install.sh"
    assert script.stat().st_mode & 0o777 == 0o755
    for shell in ("sh", "bash"):
        result = subprocess.run([need(shell), "-n", str(script)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    shellcheck = shutil.which("shellcheck")
    if shellcheck:  # optional: Debian's shellcheck package
        result = subprocess.run([shellcheck, "--shell=sh", str(script)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout
    assert sorted(path.name for path in directory.iterdir() if path.name != ".goship-files") == [
        "90-hello.conf", "hello-limits.conf", "hello.service", "install.sh"]


def test_the_install_script_refuses_bad_use_before_touching_the_system(written: tuple[Path, Path]) -> None:
    directory, _install_dir = written
    result = subprocess.run([need("sh"), str(directory / "install.sh")], capture_output=True, text=True)
    assert result.returncode == 2 and "usage:" in result.stderr
