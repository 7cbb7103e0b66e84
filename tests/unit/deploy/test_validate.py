"""Schema and image-standard checks on rendered objects (goship.deploy.validate)."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest
from kubernetes_validate.utils import all_versions

from goship.deploy.render import render_objects
from goship.deploy.settings import Autoscale, Canary, DeploySettings, SecretValue
from goship.deploy.validate import (
    check_standard,
    schema_version,
    standard_problems,
    validate_objects,
)
from goship.errors import ConfigError, PolicyError

IMAGE = "registry.example.com/team/hello@sha256:" + "cd" * 32
FULL = DeploySettings(name="hello", environment="prod", config={"A": "1"},
                      secrets=(SecretValue("B", from_env="B"),), autoscale=Autoscale(), min_available="50%")
STRATEGIES = [FULL, replace(FULL, strategy="blue-green"),
              replace(FULL, strategy="canary", canary=Canary(istio=True))]


@pytest.mark.parametrize("version", ["1.25", "1.30", all_versions()[-1]])
@pytest.mark.parametrize("settings", STRATEGIES, ids=["rolling", "blue-green", "canary-istio"])
def test_every_rendered_object_validates_strictly(settings: DeploySettings, version: str) -> None:
    objects = render_objects(settings, IMAGE)
    report = validate_objects(objects, version)
    assert report.objects == len(objects)
    assert report.version.exact
    check_standard(objects)  # raises on any problem


def test_istio_resources_are_checked_for_structure_and_say_so() -> None:
    objects = render_objects(STRATEGIES[2], IMAGE)
    report = validate_objects(objects, "1.30")
    assert report.structural_only == ("DestinationRule/hello", "VirtualService/hello")
    assert any("structure only" in note for note in report.notes())
    broken = copy.deepcopy(objects)
    broken[-1]["spec"]["http"][0]["route"][0]["weight"] = 70  # 70 + 0
    with pytest.raises(ConfigError, match="add up to 70, not 100"):
        validate_objects(broken, "1.30")
    broken = copy.deepcopy(objects)
    broken[-1]["spec"]["http"][0]["route"][0]["destination"]["subnet"] = "x"
    with pytest.raises(ConfigError, match=r"Additional properties are not allowed \('subnet'"):
        validate_objects(broken, "1.30")


def test_a_broken_object_is_rejected_with_the_validators_message() -> None:
    objects = render_objects(FULL, IMAGE)
    deployment = copy.deepcopy(objects[2])
    deployment["spec"]["replicas"] = "three"
    with pytest.raises(ConfigError) as caught:
        validate_objects([deployment], "1.30")
    assert caught.value.message == ("Deployment/hello does not validate against Kubernetes 1.30.0: "
                                    "spec.replicas: 'three' is not of type 'integer', 'null'")
    deployment = copy.deepcopy(objects[2])
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    with pytest.raises(ConfigError, match=r"Additional properties are not allowed \('livenessProbes'"):
        validate_objects([deployment], "1.30")  # strict: a misspelt field is an error


def test_a_version_without_schemas_uses_the_nearest_and_says_so() -> None:
    oldest, newest = all_versions()[0], all_versions()[-1]
    assert schema_version("1.30").used == "1.30.0"
    old = schema_version("1.19")
    assert old.used == oldest and not old.exact
    future = schema_version("1.99")
    assert future.used == newest and not future.exact
    report = validate_objects(render_objects(FULL, IMAGE), "1.19")
    assert report.notes()[0].startswith(f"kubernetes-validate has no schemas for Kubernetes 1.19; "
                                        f"checked against {oldest}")


def test_the_image_standard_catches_each_weakened_setting() -> None:
    deployment = copy.deepcopy(render_objects(FULL, IMAGE)[2])
    pod = deployment["spec"]["template"]["spec"]
    context = pod["containers"][0]["securityContext"]
    context.update(readOnlyRootFilesystem=False, allowPrivilegeEscalation=True, runAsUser=0,
                   capabilities={"drop": ["NET_RAW"], "add": ["SYS_ADMIN"]})
    pod["securityContext"].pop("seccompProfile")
    pod["containers"][0]["image"] = "registry.example.com/team/hello:latest"
    pod["hostNetwork"] = True
    checks = sorted(problem.check for problem in standard_problems([deployment]))
    assert checks == ["capabilities", "capabilities", "digest", "host-namespaces", "no-privilege-escalation",
                      "non-root", "read-only-root", "seccomp"]
    with pytest.raises(PolicyError, match="Deployment/hello container hello: readOnlyRootFilesystem"):
        check_standard([deployment])
    assert "digest" not in [problem.check for problem in standard_problems([deployment], allow_tag=True)]


def test_the_standard_reads_pod_level_settings_as_containers_inherit_them() -> None:
    deployment = copy.deepcopy(render_objects(FULL, IMAGE)[2])
    context = deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    del context["runAsNonRoot"]  # the pod's runAsNonRoot still holds
    assert standard_problems([deployment]) == []
    deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] = False
    assert [problem.check for problem in standard_problems([deployment])] == ["non-root"]
