"""Running ``go build`` for one package and one platform."""

from __future__ import annotations

import contextlib
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from goship.errors import BuildError
from goship.gobuild.platforms import binary_name, go_environment
from goship.gobuild.toolchain import GoToolchain
from goship.oci.digest import Digest
from goship.oci.platform import Platform

_MODULE_LINE = re.compile(r"^module\s+\"?([^\s\"]+)", re.MULTILINE)
# How executables start: ELF, PE ("MZ"), Mach-O (both byte orders, 32 and 64 bit).
_EXECUTABLE_MAGIC = (b"\x7fELF", b"MZ", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf",
                     b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")


@dataclass(frozen=True)
class BuildRequest:
    name: str
    package: str
    platform: Platform
    ldflags: str = "-s -w"
    flags: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True)
class Binary:
    name: str
    package: str
    platform: Platform
    path: Path
    digest: Digest
    size: int


def compile_package(
    request: BuildRequest,
    *,
    toolchain: GoToolchain,
    module_dir: Path,
    output_dir: Path,
    base_env: Mapping[str, str],
) -> Binary:
    """Build ``request.package`` into ``output_dir`` and return the binary's digest.

    The output path is stable, so Go sees an up-to-date binary there and skips linking when
    nothing changed. Go writes its output in its own work directory and moves it into place,
    so a failed or interrupted build leaves a previous good binary as it was.
    """
    target_dir = output_dir / request.platform.slug()
    target = target_dir / binary_name(request.name, request.platform)
    env = dict(base_env)
    env.update({"CGO_ENABLED": "0", "GOTOOLCHAIN": env.get("GOTOOLCHAIN", "local")})
    env.update(dict(request.env))
    env.update(go_environment(request.platform))
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(f"cannot write binaries into {output_dir}: {exc.strerror}",
                         "check the directory is writable") from exc
    command: list[str] = [str(toolchain.go), "build", "-trimpath", "-o", str(target)]
    if request.tags:
        command += ["-tags", ",".join(request.tags)]
    command += ["-ldflags", request.ldflags, *request.flags, request.package]
    result = subprocess.run(command, cwd=module_dir, env=env, capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip()
        raise BuildError(
            f"go build {request.package} for {request.platform} failed:\n{output}",
            "fix the Go error above; goship ran: go " + " ".join(command[1:]),
        )
    try:
        with target.open("rb") as stream:
            magic = stream.read(4)
            stream.seek(0)
            digest, size = Digest.of_stream(stream)
    except OSError as exc:
        raise BuildError(f"go build wrote no binary for {request.package}: {exc.strerror}",
                         "check the package builds with `go build`") from exc
    if not magic.startswith(_EXECUTABLE_MAGIC):
        with contextlib.suppress(OSError):
            target.unlink()
        raise BuildError(
            f"package {request.package} is not a main package, so it builds no program",
            "name a package with `package main` and a main function, e.g. ./cmd/api",
        )
    return Binary(request.name, request.package, request.platform, target, digest, size)


def module_path(module_dir: Path) -> str:
    """The module path its go.mod declares (the directory's name when it declares none)."""
    try:
        text = (module_dir / "go.mod").read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    found = _MODULE_LINE.search(text)
    return found.group(1) if found else module_dir.name


def check_module(module_dir: Path) -> None:
    if not (module_dir / "go.mod").is_file():
        raise BuildError(
            f"no go.mod in {module_dir}",
            "run goship in the root of a Go module (where go.mod is), or create one with `go mod init`",
        )


def check_packages(packages: Sequence[str], module_dir: Path) -> None:
    """Refuse package paths that point nowhere before Go is started for them."""
    for package in packages:
        if package.startswith((".", "/")):
            path = (module_dir / package).resolve()
            if not path.is_dir():
                raise BuildError(f"package {package} does not exist (no directory {path})",
                                 "name a directory of the module holding a main package, e.g. ./cmd/api")
