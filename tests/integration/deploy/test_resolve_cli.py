"""`goship resolve`: goship:// references become digest references of images built and pushed
to the real distribution registry; the rest of each file stays byte for byte."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.conftest import Goship
from tests.fixtures.registry import RunningRegistry

from goship.oci.reference import Reference
from goship.registry import RegistryClient, RegistryOptions
from goship.registry.credentials import AnonymousKeychain

pytestmark = pytest.mark.integration

DEPLOYMENT = """\
# The api: goship://./cmd/hello in a comment is left alone.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
spec:
  template:
    spec:
      containers:
        - name: hello
          image: goship://./cmd/hello   # resolved
        - name: sidecar
          image: "goship://example.com/hello/cmd/hello"
"""
JOB = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: once}\nspec:\n  template:\n    spec:\n" \
      "      containers: [{name: once, image: 'goship://./cmd/hello'}]\n"
DIGEST_REFERENCE = re.compile(r"127\.0\.0\.1:\d+/team/resolved@sha256:[0-9a-f]{64}")


def test_references_resolve_to_a_digest_the_registry_serves(goship: Goship, example: Path,
                                                           registry_plain: RunningRegistry) -> None:
    (example / "deploy.yaml").write_text(DEPLOYMENT)
    (example / "job.yaml").write_text(JOB)
    repository = f"{registry_plain.host}/team/resolved"
    result = goship("resolve", "deploy.yaml", "job.yaml", "--push", repository, cwd=example)
    assert result.code == 0, result.output
    references = set(DIGEST_REFERENCE.findall(result.stdout))
    assert len(references) == 1, result.stdout  # one package, built once, three mentions
    (image,) = references
    assert result.stdout == (DEPLOYMENT.replace("image: goship://./cmd/hello ", f"image: {image} ")
                             .replace('"goship://example.com/hello/cmd/hello"', f'"{image}"')
                             + "---\n" + JOB.replace("'goship://./cmd/hello'", f"'{image}'"))
    assert f"goship://./cmd/hello -> {image}" in result.stderr
    with RegistryClient(RegistryOptions(), AnonymousKeychain()) as client:
        found = client.head_manifest(Reference.parse(image))
    assert found is not None and str(found[1]) == image.split("@")[1]


def test_a_file_without_references_prints_as_it_is(goship: Goship, example: Path) -> None:
    text = "apiVersion: v1\nkind: ConfigMap  # nothing to build\nmetadata: {name: plain}\n"
    (example / "plain.yaml").write_text(text)
    result = goship("resolve", "plain.yaml", cwd=example)  # nothing to push: no repository needed
    assert result.code == 0, result.output
    assert result.stdout == text


def test_a_reference_outside_the_module_is_refused_before_building(goship: Goship, example: Path) -> None:
    (example / "bad.yaml").write_text("image: goship://example.com/other/cmd/x\n")
    result = goship("resolve", "bad.yaml", "--push", "127.0.0.1:9/team/x", cwd=example)
    assert result.code == 2
    assert "bad.yaml:1:8: goship://example.com/other/cmd/x is not a package of the module" in result.stderr


def test_without_a_repository_resolve_says_where_to_push(goship: Goship, example: Path) -> None:
    (example / "deploy.yaml").write_text(DEPLOYMENT)
    result = goship("resolve", "deploy.yaml", cwd=example)
    assert result.code == 2
    assert "no repository is named" in result.stderr and "--push" in result.stderr


def test_a_file_that_is_not_yaml_is_refused(goship: Goship, example: Path) -> None:
    (example / "broken.yaml").write_text("image: [goship://./cmd/hello\nname: x\n")
    result = goship("resolve", "broken.yaml", "--push", "127.0.0.1:9/team/x", cwd=example)
    assert result.code == 2
    assert "broken.yaml:2: not valid YAML" in result.stderr
