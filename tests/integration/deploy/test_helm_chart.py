"""`goship manifests --helm`: the chart passes the structure checks `helm lint` makes, and its
templates, rendered with Go's text/template as Helm does (tests/data/deploy/helmrender: no
helm binary is needed), give the objects `goship manifests --env` renders."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import semver
import yaml
from tests.conftest import Goship
from tests.integration.deploy.project import ENVIRONMENTS, IMAGE, deploy_project

from goship.deploy.output.documents import load_documents
from goship.deploy.validate import check_standard, validate_objects

pytestmark = pytest.mark.integration
RENDERER = Path(__file__).resolve().parents[2] / "data" / "deploy" / "helmrender"


@pytest.fixture(scope="module")
def helmrender(go_binary: Path, base_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("helmrender")
    (work / "main.go").write_text((RENDERER / "main.go").read_text())
    (work / "go.mod").write_text("module helmrender\n\ngo 1.21\n")
    subprocess.run([str(go_binary), "build", "-o", "helmrender", "."], cwd=work, env=base_env, check=True,
                   capture_output=True)
    return work / "helmrender"


@pytest.fixture
def chart(goship: Goship, tmp_path: Path) -> tuple[Path, Path]:
    project = deploy_project(tmp_path / "hello")
    result = goship("manifests", "--helm", "charts", "--image", IMAGE, cwd=project)
    assert result.code == 0, result.output
    return project, project / "charts" / "hello"


def test_the_chart_passes_helm_lint_structure_checks(chart: tuple[Path, Path]) -> None:
    _project, directory = chart
    meta = yaml.safe_load((directory / "Chart.yaml").read_text())
    assert meta["apiVersion"] == "v2"
    assert meta["name"] == directory.name == "hello"  # helm lint: the directory is named as the chart
    assert semver.Version.is_valid(meta["version"]) and meta["version"] == "1.4.2"  # the app version
    assert meta["appVersion"] == "1.4.2" and meta["type"] == "application"
    assert isinstance(yaml.safe_load((directory / "values.yaml").read_text()), dict)
    for environment in ENVIRONMENTS:
        assert isinstance(yaml.safe_load((directory / f"values-{environment}.yaml").read_text()), dict)
    templates = sorted(path.name for path in (directory / "templates").iterdir())
    assert templates == ["_helpers.tpl", "configmap.yaml", "deployment.yaml", "hpa.yaml", "pdb.yaml",
                         "service.yaml"]
    values = yaml.safe_load((directory / "values.yaml").read_text())
    assert values["image"] == {"repository": "registry.example.com/team/hello", "tag": "1.4.2",
                               "digest": IMAGE.split("@")[1]}
    assert "hunter" not in (directory / "values.yaml").read_text()  # secrets by reference only
    assert values["secrets"][0] == {"variable": "DB_PASSWORD", "secret": "hello-secrets",
                                    "key": "DB_PASSWORD"}


def render(helmrender: Path, directory: Path, values_file: str, namespace: str) -> list[dict[str, Any]]:
    context = {"Values": yaml.safe_load((directory / values_file).read_text()),
               "Release": {"Name": "hello", "Namespace": namespace, "Service": "Helm"},
               "Chart": yaml.safe_load((directory / "Chart.yaml").read_text())}
    result = subprocess.run([str(helmrender), str(directory)], input=json.dumps(context), text=True,
                            capture_output=True, env={"PATH": os.environ.get("PATH", "")})
    assert result.returncode == 0, result.stderr
    return load_documents(result.stdout)


def normalized(objects: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Objects by kind and name, with the ConfigMap's name (Helm hashes it its own way) and
    goship's version annotation (not in the chart) left out of the comparison."""
    result = {}
    for obj in objects:
        obj = json.loads(json.dumps(obj))
        obj["metadata"].get("annotations", {}).pop("goship.dev/goship-version", None)
        if obj["kind"] == "ConfigMap":
            obj["metadata"]["name"] = "CONFIG"
        for container in obj.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            container["envFrom"] = [{"configMapRef": {"name": "CONFIG"}}]
        result[(obj["kind"], obj["metadata"]["name"])] = obj
    return result


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_rendered_templates_match_goship_manifests(goship: Goship, chart: tuple[Path, Path], helmrender: Path,
                                                    environment: str) -> None:
    project, directory = chart
    namespace = {"dev": "hello-dev", "prod": "shop"}[environment]
    objects = render(helmrender, directory, f"values-{environment}.yaml", namespace)
    validate_objects(objects, "1.30")
    check_standard(objects)
    expected = load_documents(goship("manifests", "--env", environment, "--image", IMAGE, cwd=project).stdout)
    if environment == "prod":
        # the chart renders the rolling shape; `goship deploy` runs the canary itself
        expected = [obj for obj in expected if obj["kind"] not in ("DestinationRule", "VirtualService")]
        for obj in expected:
            for labels in (obj["metadata"].get("labels", {}), obj.get("spec", {}).get("selector", {})):
                labels.pop("goship.dev/slot", None)
            if obj["kind"] == "Deployment":
                obj["spec"]["selector"]["matchLabels"].pop("goship.dev/slot")
                obj["spec"]["template"]["metadata"]["labels"].pop("goship.dev/slot")
    assert normalized(objects) == normalized(expected)


def test_a_config_change_renames_the_configmap_in_the_chart_too(chart: tuple[Path, Path],
                                                                  helmrender: Path) -> None:
    _project, directory = chart
    first = render(helmrender, directory, "values.yaml", "default")
    values = yaml.safe_load((directory / "values.yaml").read_text())
    values["config"]["LOG_LEVEL"] = "debug"
    (directory / "values-changed.yaml").write_text(yaml.safe_dump(values))
    second = render(helmrender, directory, "values-changed.yaml", "default")
    assert first[0]["metadata"]["name"] != second[0]["metadata"]["name"]
    deployment = next(obj for obj in second if obj["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["envFrom"] == [{"configMapRef": {"name": second[0]["metadata"]["name"]}}]

