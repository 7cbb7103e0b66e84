"""Running ``go test`` for the pipeline: JSON events, a coverage profile and its total, and
the race detector wherever Go can build it.

``-race`` needs cgo, so a C compiler, and one of the platforms Go has a race runtime for
(Go's ``internal/platform.RaceDetectorSupported``). ``race_detector`` asks ``go env`` and
says why it is off instead of letting ``go test -race`` fail: a CI image without gcc still
runs the tests, and the summary says the race detector did not.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from goship.errors import BuildError

# GOOS/GOARCH pairs with a race runtime (Go's internal/platform, Go 1.21 to 1.25).
RACE_PLATFORMS = frozenset({
    "linux/amd64", "linux/arm64", "linux/ppc64le", "linux/s390x",
    "darwin/amd64", "darwin/arm64", "freebsd/amd64", "netbsd/amd64", "windows/amd64",
})


@dataclass(frozen=True)
class RaceDetector:
    enabled: bool
    reason: str = ""  # why it is off


@dataclass(frozen=True)
class GoTestRun:
    command: tuple[str, ...]
    returncode: int
    stdout: str  # the JSON events
    stderr: str


def _go_env(go: Path, names: Sequence[str], env: Mapping[str, str], module_dir: Path) -> dict[str, str]:
    try:
        result = subprocess.run([str(go), "env", "-json", *names], cwd=module_dir, env=dict(env),
                                capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildError(f"cannot run {go} env: {exc}", "check the Go installation") from exc
    if result.returncode != 0:
        raise BuildError(f"go env failed: {result.stderr.strip()}", "check the Go installation and go.mod")
    values = json.loads(result.stdout or "{}")
    return {name: str(values.get(name, "")) for name in names}


def race_detector(go: Path, env: Mapping[str, str], module_dir: Path) -> RaceDetector:
    """Whether ``go test -race`` can run here, and if not, why (for the stage's summary)."""
    facts = _go_env(go, ("CGO_ENABLED", "CC", "GOOS", "GOARCH"), env, module_dir)
    platform = f"{facts['GOOS']}/{facts['GOARCH']}"
    if platform not in RACE_PLATFORMS:
        return RaceDetector(False, f"Go has no race detector for {platform}")
    compiler = facts["CC"].split()[0] if facts["CC"].split() else "gcc"
    if shutil.which(compiler, path=env.get("PATH", "")) is None:
        return RaceDetector(False, f"it needs cgo, and the C compiler '{compiler}' is not on PATH")
    if facts["CGO_ENABLED"] != "1":
        return RaceDetector(False, "it needs cgo, and CGO_ENABLED is 0")
    return RaceDetector(True)


def run_go_test(go: Path, module_dir: Path, *, packages: Sequence[str], flags: Sequence[str],
                race: bool, profile: Path, env: Mapping[str, str]) -> GoTestRun:
    """``go test -json -coverprofile=PROFILE [-race] FLAGS PACKAGES`` in ``module_dir``."""
    command = [str(go), "test", "-json", f"-coverprofile={profile}"]
    if race:
        command.append("-race")
    command += [*flags, *packages]
    run_env = dict(env)
    run_env.setdefault("GOTOOLCHAIN", "local")
    try:
        result = subprocess.run(command, cwd=module_dir, env=run_env, capture_output=True, text=True,
                                errors="replace", check=False)
    except OSError as exc:
        raise BuildError(f"cannot run {go} test: {exc.strerror}", "check the Go installation") from exc
    return GoTestRun(tuple(command), result.returncode, result.stdout, result.stderr)


def total_coverage(go: Path, profile: Path, module_dir: Path, env: Mapping[str, str]) -> float | None:
    """The total statement coverage ``go tool cover -func`` reports for ``profile``; None
    when there is no profile or it covers no statement."""
    try:
        lines = profile.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    if len([line for line in lines if line.strip()]) <= 1:  # only "mode: ..."
        return None
    run_env = dict(env)
    run_env.setdefault("GOTOOLCHAIN", "local")
    result = subprocess.run([str(go), "tool", "cover", f"-func={profile}"], cwd=module_dir, env=run_env,
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BuildError(f"go tool cover -func={profile} failed: {result.stderr.strip()}",
                         "check the coverage profile; go test wrote it")
    for line in reversed(result.stdout.splitlines()):
        if line.startswith("total:"):
            return float(line.split()[-1].rstrip("%"))
    return None
