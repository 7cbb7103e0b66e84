"""Go programs with real module dependencies (tests/fixtures/gomodules), built once per test
session for whatever GOOS/GOARCH and ldflags a test asks for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from tests.fixtures.gomodules import Dependency, go_build, write_program

from goship.gobinary.moduleinfo import BuildInfo, Module

# Modules at released versions, a major-version path, a pseudo-version, a module replaced by
# another module version, and one replaced by a directory beside go.mod.
DEPENDENCIES = (
    Dependency("example.com/greet", "v1.2.0"),
    Dependency("example.org/tools/v2", "v2.1.0", "text"),
    Dependency("example.com/pseudo", "v0.0.0-20220101000000-abcdefabcdef"),
    Dependency("example.com/old", "v0.9.0", replace_with=("example.com/newer", "v1.0.1")),
    Dependency("example.com/local", "v1.0.0", replace_with=("./local", "")),
)
# A second program: the same module path, other versions (a later build of the service).
UPGRADED = (
    Dependency("example.com/greet", "v1.3.0"),
    Dependency("example.org/tools/v2", "v2.2.0", "text"),
)
PROGRAMS = {"app": (DEPENDENCIES, False), "vendored": (DEPENDENCIES, True), "upgraded": (UPGRADED, False)}


@dataclass
class GoPrograms:
    """The programs of PROGRAMS, written under ``work``; ``build`` compiles one (once)."""

    work: Path
    base_env: Mapping[str, str]
    envs: dict[str, dict[str, str]] = field(default_factory=dict)
    built: dict[tuple[str, str, str], Path] = field(default_factory=dict)

    def directory(self, name: str) -> Path:
        return self.work / name

    def env(self, name: str) -> dict[str, str]:
        if name not in self.envs:
            dependencies, vendor = PROGRAMS[name]
            self.envs[name] = write_program(self.directory(name), dependencies, env=self.base_env,
                                            module=f"example.com/{name}", vendor=vendor)
        return self.envs[name]

    def build(self, name: str, target: str = "linux/amd64", ldflags: str = "") -> Path:
        key = (name, target, ldflags)
        if key not in self.built:
            goos, goarch = target.split("/")
            suffix = ".exe" if goos == "windows" else ""
            flavour = "-stripped" if ldflags else ""
            output = self.work / "bin" / f"{name}-{goos}-{goarch}{flavour}{suffix}"
            self.built[key] = go_build(self.directory(name), output, self.env(name), goos=goos,
                                       goarch=goarch, ldflags=ldflags)
        return self.built[key]


@pytest.fixture(scope="session")
def go_programs(base_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> GoPrograms:
    return GoPrograms(tmp_path_factory.mktemp("go-programs"), base_env)


def module_tuples(info: BuildInfo) -> list[tuple[str, ...]]:
    """goship's reading as fixtures.gomodules.module_list gives `go version -m`'s: mod, dep and
    => lines split on tabs, trailing empty columns dropped as Go's trailing tab is."""
    lines: list[tuple[str, ...]] = []

    def add(kind: str, module: Module) -> None:
        fields = [kind, module.path, module.version, module.sum]
        while fields[-1] == "":
            fields.pop()
        lines.append(tuple(fields))
        if module.replace is not None:
            add("=>", module.replace)

    if info.main is not None:
        add("mod", info.main)
    for dependency in info.deps:
        add("dep", dependency)
    return lines
