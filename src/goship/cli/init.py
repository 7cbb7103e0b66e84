"""`goship init`: a commented goship.toml for the Go module in this directory."""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

from goship.config import CONFIG_FILE
from goship.errors import BuildError, OutputError, UsageError
from goship.gobuild.build import module_path
from goship.image.project import module_root

_SKIP = {"vendor", "testdata", "node_modules", ".git", ".goship"}
_PACKAGE_MAIN = re.compile(r"^\s*package\s+main\b", re.MULTILINE)
_FUNC_MAIN = re.compile(r"^func\s+main\s*\(\s*\)", re.MULTILINE)


def find_main_packages(module_dir: Path) -> list[str]:
    """Directories of the module whose Go files declare package main with a main function."""
    found: list[str] = []
    for current, dirs, files in os.walk(module_dir):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP and not d.startswith((".", "_")))
        here = Path(current)
        if here != module_dir and (here / "go.mod").exists():
            dirs[:] = []  # a nested module is not part of this one
            continue
        sources = [here / f for f in files if f.endswith(".go") and not f.endswith("_test.go")]
        texts = [p.read_text(encoding="utf-8", errors="replace") for p in sources]
        if any(_PACKAGE_MAIN.search(t) for t in texts) and any(_FUNC_MAIN.search(t) for t in texts):
            relative = here.relative_to(module_dir).as_posix()
            found.append("." if relative == "." else f"./{relative}")
    return found


def _go_version(module_dir: Path) -> str:
    match = re.search(r"^go\s+(\S+)", (module_dir / "go.mod").read_text(), re.MULTILINE)
    return match.group(1) if match else ""


def render_config(module_dir: Path) -> str:
    packages = find_main_packages(module_dir)
    module = module_path(module_dir)
    lines = [
        f"# goship.toml for {module}",
        "# Every key is optional; docs/configuration.md describes them all.",
        "",
        "# Where `goship build --push` (with no value) pushes. With several images, each goes",
        "# to REPOSITORY/NAME. Leave unset to write only the local OCI layout (.goship/oci).",
        '# repository = "registry.example.com/team"',
        "",
        "# Platforms to build; default: linux on this machine's architecture.",
        '# platforms = ["linux/amd64", "linux/arm64"]',
        "",
        '# Base image: "static" (goship\'s own, made offline: CA certificates, passwd with',
        "# nonroot, /tmp) or any image reference, resolved to a digest at build time.",
        '# base = "static"',
        '# windows_base = "mcr.microsoft.com/windows/nanoserver:ltsc2022"',
        "",
        "# Go toolchain: a version (managed by `goship go`), a path, or unset for PATH.",
        f'# go = "{_go_version(module_dir) or "1.22"}"',
        "",
        "# Image tags to publish (templates are not expanded here).",
        '# tags = ["latest"]',
        '# maintainer = "team@example.com"',
        "",
        "[build]",
        "# -s -w and -trimpath are always used; these -X flags are the default.",
        '# ldflags = ["-X main.version={{.Version}}", "-X main.commit={{.Commit}}",',
        '#            "-X main.date={{.Date}}"]',
        '# tags = ["netgo"]',
        '# flags = ["-mod=vendor"]',
        "",
    ]
    if not packages:
        lines += ["# No main package was found; add one [[images]] table per program:",
                  "# [[images]]", '# name = "api"', '# package = "./cmd/api"']
    for package in packages:
        name = package.rstrip("/").split("/")[-1]
        if name == ".":
            name = re.sub(r"[^a-z0-9._-]+", "-", module.split("/")[-1].lower()) or "app"
        lines += [
            "[[images]]",
            f'name = "{name}"',
            f'package = "{package}"',
            "# ports = [8080]",
            '# data = "kodata"        # extra files, copied to /app/data',
            '# env = { LOG_FORMAT = "json" }',
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def run_init(args: argparse.Namespace) -> int:
    module_dir = module_root(Path.cwd())
    if not (module_dir / "go.mod").is_file():
        raise BuildError(f"no go.mod in {Path.cwd()} or above",
                         "run goship init in a Go module (create one with `go mod init`)")
    text = render_config(module_dir)
    if args.stdout:
        sys.stdout.write(text)
        return 0
    target = module_dir / CONFIG_FILE
    if target.exists() and not args.force:
        raise UsageError(f"{target} exists already", "use --force to overwrite it, or --stdout to print")
    try:
        handle, temp = tempfile.mkstemp(dir=module_dir, prefix=".goship-toml-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        Path(temp).replace(target)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror}",
                          "check the directory is writable") from exc
    print(f"wrote {target}", file=sys.stderr)
    return 0
