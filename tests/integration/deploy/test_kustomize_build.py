"""`goship manifests --kustomize`: every overlay builds exactly what `goship manifests --env`
renders. With kubectl (kustomize v4 or later inside) the overlays are built by kubectl; the
second test builds them from their parts (resources, configMapGenerator, namespace, JSON and
delete patches) so the check also runs where no such kubectl is installed: Debian's
kubernetes-client is 1.20, whose kustomize predates the fields used here."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonpatch
import pytest
import yaml
from tests.conftest import Goship
from tests.fixtures.tools import missing
from tests.integration.deploy.project import ENVIRONMENTS, IMAGE, deploy_project

from goship.deploy.output.documents import load_documents
from goship.deploy.render.configmap import config_hash

pytestmark = pytest.mark.integration


def keyed(objects: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(obj["kind"], obj["metadata"]["name"]): obj for obj in objects}


@pytest.fixture
def rendered(goship: Goship, tmp_path: Path) -> tuple[Path, dict[str, list[dict[str, Any]]]]:
    project = deploy_project(tmp_path / "hello")
    result = goship("manifests", "--kustomize", "kustomize", "--image", IMAGE, cwd=project)
    assert result.code == 0, result.output
    expected = {}
    for environment in ENVIRONMENTS:
        own = goship("manifests", "--env", environment, "--image", IMAGE, cwd=project)
        assert own.code == 0, own.output
        expected[environment] = load_documents(own.stdout)
    return project / "kustomize", expected


def kubectl_with_kustomize_v4() -> str | None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return None
    version = subprocess.run([kubectl, "version", "--client"], capture_output=True, text=True).stdout
    found = re.search(r"Kustomize Version: v(\d+)", version)
    return kubectl if found and int(found.group(1)) >= 4 else None


def test_kubectl_kustomize_builds_what_goship_renders(rendered: tuple[Path, dict]) -> None:
    kubectl = kubectl_with_kustomize_v4()
    if kubectl is None:
        # This machine kind ships one (Debian's kubernetes-client, kubectl 1.20, is too old), so
        # CI runs the real thing; a machine without it still has the kubectl-free check,
        # test_overlays_built_from_their_parts.
        missing("no kubectl with kustomize v4+")
    directory, expected = rendered
    for environment in ENVIRONMENTS:
        built = subprocess.run([kubectl, "kustomize", str(directory / "overlays" / environment)],
                               capture_output=True, text=True)
        assert built.returncode == 0, built.stderr
        assert keyed(load_documents(built.stdout)) == keyed(expected[environment]), environment


def _generate(generator: dict[str, Any], namespace: str) -> dict[str, Any]:
    data = {}
    for literal in generator.get("literals", []):
        key, _, value = literal.partition("=")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]  # as kustomize reads a literal
        data[key] = value
    name = f"{generator['name']}-{config_hash(data)}"
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": name, "namespace": namespace,
                                        "labels": generator["options"]["labels"]}}
    if data:
        obj["data"] = data
    return obj


def build(directory: Path) -> list[dict[str, Any]]:
    """The subset of kustomize goship's overlays use, applied in kustomize's order."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    objects: list[dict[str, Any]] = []
    generators: dict[str, dict[str, Any]] = {}
    for resource in kustomization.get("resources", []):
        path = directory / resource
        if path.is_dir():
            objects += build(path)
        else:
            objects += load_documents(path.read_text())
    for generator in kustomization.get("configMapGenerator", []):
        generators[generator["name"]] = generator
    objects = [obj for obj in objects if not (obj["kind"] == "ConfigMap" and
                                             obj["metadata"]["name"].rsplit("-", 1)[0] in generators)]
    for patch in kustomization.get("patches", []):
        body = yaml.safe_load(patch["patch"])
        if isinstance(body, dict) and body.get("$patch") == "delete":
            objects = [obj for obj in objects if (obj["kind"], obj["metadata"]["name"]) !=
                       (body["kind"], body["metadata"]["name"])]
            continue
        target = patch["target"]
        for number, obj in enumerate(objects):
            if (obj["kind"], obj["metadata"]["name"]) == (target["kind"], target["name"]):
                objects[number] = jsonpatch.apply_patch(obj, body)
    namespace = kustomization["namespace"]
    for obj in objects:
        obj["metadata"]["namespace"] = namespace
    configmaps = [_generate(generator, namespace) for generator in generators.values()]
    names = {configmap["metadata"]["name"].rsplit("-", 1)[0]: configmap["metadata"]["name"]
             for configmap in configmaps}
    for obj in objects:  # kustomize's name reference: the Deployment gets the hashed name
        for container in obj.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            for source in container.get("envFrom", []):
                reference = source.get("configMapRef", {})
                reference["name"] = names.get(reference.get("name"), reference.get("name"))
    return configmaps + objects


def test_overlays_built_from_their_parts(rendered: tuple[Path, dict]) -> None:
    directory, expected = rendered
    for environment in ENVIRONMENTS:
        built = build(directory / "overlays" / environment)
        assert keyed(built) == keyed(expected[environment]), environment


def test_the_layout_is_a_base_and_one_overlay_per_environment(rendered: tuple[Path, dict]) -> None:
    directory, _expected = rendered
    files = sorted(str(path.relative_to(directory)) for path in directory.rglob("*.yaml"))
    assert "base/kustomization.yaml" in files and "base/deployment-hello.yaml" in files
    assert {path.parent.name for path in (directory / "overlays").glob("*/kustomization.yaml")} == \
        set(ENVIRONMENTS)
    base = yaml.safe_load((directory / "base" / "kustomization.yaml").read_text())
    assert base["configMapGenerator"][0]["name"] == "hello-config"  # kustomize adds the hash
    deployment = load_documents((directory / "base" / "deployment-hello.yaml").read_text())[0]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["envFrom"] == [{"configMapRef": {"name": "hello-config"}}]
