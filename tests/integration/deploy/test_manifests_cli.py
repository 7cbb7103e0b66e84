"""`goship manifests` as a user runs it: YAML on stdout, GitOps directories, bad input, and
an environment's image pinned by digest through a real registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kubernetes_validate.utils import validate
from tests.conftest import Goship
from tests.fixtures.registry import RunningRegistry
from tests.integration.deploy.project import DIGEST, IMAGE, deploy_project

from goship.deploy.output.documents import load_documents
from goship.deploy.render.labels import label_value
from goship.deploy.validate import ISTIO_KINDS, standard_problems

pytestmark = pytest.mark.integration


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return deploy_project(tmp_path / "hello")


def kinds(objects: list[dict]) -> list[str]:
    return [f"{obj['kind']}/{obj['metadata']['name']}" for obj in objects]


def test_an_environment_renders_to_stdout_valid_and_by_digest(goship: Goship, project: Path) -> None:
    result = goship("manifests", "--env", "prod", "--image", IMAGE, cwd=project)
    assert result.code == 0, result.output
    objects = load_documents(result.stdout)
    assert kinds(objects)[1:] == ["Service/hello", "Deployment/hello", "HorizontalPodAutoscaler/hello",
                                  "PodDisruptionBudget/hello", "DestinationRule/hello",
                                  "VirtualService/hello"]
    assert objects[0]["kind"] == "ConfigMap" and objects[0]["data"]["MULTI"] == "line one\nline two"
    for obj in objects:
        assert obj["metadata"]["namespace"] == "shop"
        assert obj["metadata"]["labels"]["env"] == "prod"
        labels = obj["metadata"]["labels"]
        assert labels["tier"] == "frontend" and labels["team"] == "payments"
        if (obj["apiVersion"], obj["kind"]) not in ISTIO_KINDS:
            validate(obj, "1.30.0", strict=True)  # the validator itself, not goship's wrapper
    deployment = objects[2]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == IMAGE
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "512Mi"}
    assert deployment["metadata"]["annotations"]["goship.dev/image-digest"] == DIGEST
    assert deployment["metadata"]["labels"]["app.kubernetes.io/version"] == "1.4.2"
    assert standard_problems(objects) == []
    assert "structure only" in result.stderr  # the Istio objects: said, not hidden
    again = goship("manifests", "--env", "prod", "--image", IMAGE, cwd=project)
    assert again.stdout == result.stdout


def test_an_environment_not_in_goship_toml_is_refused(goship: Goship, project: Path) -> None:
    result = goship("manifests", "--env", "qa", "--image", IMAGE, cwd=project)
    assert result.code == 2
    assert "unknown environment 'qa'" in result.stderr and "dev, staging, prod" in result.stderr
    assert result.stdout == ""


def test_an_unknown_key_in_deploy_names_the_line(goship: Goship, tmp_path: Path) -> None:
    project = deploy_project(tmp_path / "hello", '\n[environments.qa.deploy]\nreplcas = 2\n')
    result = goship("manifests", "--env", "qa", "--image", IMAGE, cwd=project)
    assert result.code == 3
    line = (project / "goship.toml").read_text().splitlines().index("replcas = 2") + 1
    assert f"goship.toml:{line}: unknown key 'environments.qa.deploy.replcas'" in result.stderr
    assert "did you mean 'replicas'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_secret_value_in_goship_toml_is_refused(goship: Goship, tmp_path: Path) -> None:
    project = deploy_project(tmp_path / "hello", '\n[environments.qa.deploy.secrets]\nAPI_KEY = "abc123"\n')
    result = goship("manifests", "--image", IMAGE, cwd=project)
    assert result.code == 3
    assert "never put secret values in goship.toml" in result.stderr
    assert "abc123" not in result.stderr


def test_a_tag_is_refused_when_it_cannot_be_pinned_unless_allowed(goship: Goship, project: Path) -> None:
    tag_only = "127.0.0.1:9/team/hello:1.4.2"  # nothing listens on port 9
    result = goship("manifests", "--env", "dev", "--image", tag_only, cwd=project)
    assert result.code == 6, result.output
    assert f"pinning {tag_only} to a digest" in result.stderr and "--allow-tag" in result.stderr
    assert result.stdout == ""
    allowed = goship("manifests", "--env", "dev", "--image", tag_only, "--allow-tag", cwd=project)
    assert allowed.code == 0, allowed.output
    assert "rendered by tag (--allow-tag)" in allowed.stderr
    deployment = load_documents(allowed.stdout)[2]
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == tag_only


def test_out_writes_a_directory_that_a_second_run_leaves_alone(goship: Goship, project: Path) -> None:
    out = project / "deploy" / "prod"
    first = goship("manifests", "--env", "prod", "--image", IMAGE, "--out", str(out), cwd=project)
    assert first.code == 0, first.output
    names = sorted(path.name for path in out.glob("*.yaml"))
    assert names == ["configmap-hello-config.yaml", "deployment-hello.yaml", "destinationrule-hello.yaml",
                     "horizontalpodautoscaler-hello.yaml", "poddisruptionbudget-hello.yaml",
                     "service-hello.yaml", "virtualservice-hello.yaml"]
    stamps = {path.name: path.stat().st_mtime_ns for path in out.iterdir()}
    second = goship("manifests", "--env", "prod", "--image", IMAGE, "--out", str(out), cwd=project)
    assert "0 written" in second.stderr and "7 unchanged" in second.stderr
    assert {path.name: path.stat().st_mtime_ns for path in out.iterdir()} == stamps
    config = project / "goship.toml"
    config.write_text(config.read_text().replace('autoscale = { min-replicas = 3, max-replicas = 9 }', ""))
    third = goship("manifests", "--env", "prod", "--image", IMAGE, "--out", str(out), cwd=project)
    assert "1 removed" in third.stderr, third.output
    assert not (out / "horizontalpodautoscaler-hello.yaml").exists()


def test_an_output_directory_that_is_a_file_is_refused(goship: Goship, project: Path) -> None:
    (project / "out").write_text("a file\n")
    result = goship("manifests", "--image", IMAGE, "--out", "out", cwd=project)
    assert result.code == 8
    assert "it is a file" in result.stderr


def test_the_environment_image_is_pinned_through_the_registry(goship: Goship, tmp_path: Path,
                                                               registry_plain: RunningRegistry) -> None:
    repository = f"{registry_plain.host}/team/deploy-hello"
    project = deploy_project(tmp_path / "hello", top=f'repository = "{repository}"\n')
    built = goship("build", "--push", repository, "--tag", "latest-dev", "--json", cwd=project)
    assert built.code == 0, built.output
    image = json.loads(built.stdout)["images"][0]
    result = goship("manifests", "--env", "dev", cwd=project)
    assert result.code == 0, result.output
    pinned = f"{repository}:latest-dev@{image['digest']}"
    assert f"{repository}:latest-dev is {pinned} (pinned by digest through the registry)" in result.stderr
    deployment = load_documents(result.stdout)[2]
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == pinned
    assert deployment["metadata"]["labels"]["app.kubernetes.io/version"] == label_value(image["version"])
    missing = goship("manifests", "--env", "staging", cwd=project)  # latest-staging was never pushed
    assert missing.code != 0 and f"pinning {repository}:latest-staging" in missing.stderr
