"""The files `goship ci init` writes, for one service and for two (a matrix), byte for byte
against tests/data/ci/golden, and each valid for its system: GitLab's and Drone's published
JSON schemas, SchemaStore's GitHub workflow schema and actionlint.

A deliberate change to the files: GOSHIP_UPDATE_GOLDEN=1 pytest tests/unit/pipeline/ci
rewrites the golden files; review the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.unit.pipeline.ci.projects import GOLDEN, actionlint, file_errors, make_project, pipeline_of

from goship.pipeline.ci import render_file
from goship.pipeline.ci.model import SYSTEMS

CASES = {"single": ("api",), "matrix": ("api", "worker")}
UPDATE = os.environ.get("GOSHIP_UPDATE_GOLDEN") == "1"


def rendered(tmp_path: Path, system: str, case: str) -> str:
    module = make_project(tmp_path / f"{system}-{case}", services=CASES[case])
    return render_file(system, pipeline_of(module))[1]


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("system", SYSTEMS)
def test_the_file_is_the_golden_one(tmp_path: Path, system: str, case: str) -> None:
    text = rendered(tmp_path, system, case)
    golden = GOLDEN / f"{system}-{case}.yml"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
    assert golden.is_file(), f"no {golden}: run with GOSHIP_UPDATE_GOLDEN=1 to write it"
    assert text == golden.read_text()


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("system", SYSTEMS)
def test_the_file_follows_the_published_schema(tmp_path: Path, system: str, case: str) -> None:
    assert file_errors(system, rendered(tmp_path, system, case)) == []


def test_actionlint_finds_nothing_in_the_workflows(tmp_path: Path) -> None:
    workflows = {f"{case}.yml": rendered(tmp_path, "github", case) for case in CASES}

    assert actionlint(workflows, tmp_path / "lint") == []


def test_the_checks_catch_a_broken_file(tmp_path: Path) -> None:
    """The validation above would fail on a mistake of the kind a generator makes."""
    workflow = rendered(tmp_path, "github", "matrix").replace("${{ matrix.package }}", "${{ matrix.pkg }}")
    gitlab = rendered(tmp_path, "gitlab", "single").replace("when: manual", "when: by-hand")
    drone = rendered(tmp_path, "drone", "single").replace("event: [promote]", "event: promote")

    assert any("pkg" in finding for finding in actionlint({"broken.yml": workflow}, tmp_path / "lint"))
    assert file_errors("gitlab", gitlab) != []
    assert file_errors("drone", drone) != []


VARIANTS = {
    "subdirectory": {"module": "services/shop"},
    "no-deploy": {"goship_toml": 'repository = "registry.example.com/shop"\n[[images]]\nname = "api"\n'
                                 'package = "./cmd/api"\n[pipeline]\nstages = ["test", "build", "push"]\n'},
    "prefix-and-deploy-secrets": {"goship_toml": (
        'repository = "registry.example.com/shop"\n[[images]]\nname = "api"\npackage = "./cmd/api"\n'
        '[release]\ntag-prefix = "shop/v"\n[pipeline]\nstages = ["test", "build", "push", "deploy"]\n'
        '[deploy]\nsecrets = { DB_PASSWORD = { from-env = "SHOP_DB_PASSWORD" } }\n'
        '[environments.qa]\nbranches = ["main"]\n[environments.prod]\n')},
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_other_projects_give_valid_files_too(tmp_path: Path, variant: str) -> None:
    module = make_project(tmp_path, **VARIANTS[variant])  # type: ignore[arg-type]
    pipeline = pipeline_of(module)
    texts = {system: render_file(system, pipeline)[1] for system in SYSTEMS}

    assert {system: file_errors(system, text) for system, text in texts.items()} == \
        {system: [] for system in SYSTEMS}
    assert actionlint({f"{variant}.yml": texts["github"]}, tmp_path / "lint") == []
