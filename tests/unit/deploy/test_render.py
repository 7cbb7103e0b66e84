"""The rendered Kubernetes objects (goship.deploy.render)."""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest

from goship.deploy.render import (
    config_hash,
    deployment_object,
    render_objects,
    secret_checksum,
    secret_object,
    service_object,
    virtual_service_object,
)
from goship.deploy.settings import Autoscale, Canary, DeploySettings, Probes, Resources, SecretValue
from goship.errors import ConfigError, UsageError

DIGEST = "sha256:" + "ab" * 32
IMAGE = f"registry.example.com/team/hello:1.4.2@{DIGEST}"
SETTINGS = DeploySettings(
    name="hello", environment="prod", namespace="shop", port=8080, replicas=3, timeout=420.5,
    config={"LOG_LEVEL": "info"},
    secrets=(SecretValue("DB_PASSWORD", from_env="DB_PASSWORD"),
             SecretValue("TLS_KEY", secret="shared-tls", key="tls.key")),
    probes=Probes(path="/healthz", readiness_path="/readyz", initial_delay=2.5, period=5, timeout=2),
    resources=Resources(cpu_request="250m", memory_request="64Mi", cpu_limit="", memory_limit="256Mi"),
    labels={"team": "payments"},
)


def kinds(objects: list[dict]) -> list[tuple[str, str]]:
    return [(obj["kind"], obj["metadata"]["name"]) for obj in objects]


def container(deployment: dict) -> dict:
    return deployment["spec"]["template"]["spec"]["containers"][0]


def test_documents_come_in_apply_order() -> None:
    settings = replace(SETTINGS, autoscale=Autoscale(), min_available=1)
    assert kinds(render_objects(settings, IMAGE)) == [
        ("ConfigMap", f"hello-config-{config_hash(SETTINGS.config)}"), ("Service", "hello"),
        ("Deployment", "hello"), ("HorizontalPodAutoscaler", "hello"), ("PodDisruptionBudget", "hello")]
    assert kinds(render_objects(SETTINGS, IMAGE)) == kinds(render_objects(settings, IMAGE))[:3]


def test_the_deployment_runs_the_image_by_digest_with_probes_on_the_health_path() -> None:
    deployment = render_objects(SETTINGS, IMAGE)[2]
    spec = container(deployment)
    assert spec["image"] == IMAGE
    assert spec["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert spec["livenessProbe"] == {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 5,
                                     "timeoutSeconds": 2, "failureThreshold": 3}
    assert spec["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert spec["startupProbe"]["failureThreshold"] == 30
    assert spec["startupProbe"]["initialDelaySeconds"] == 3
    assert spec["resources"] == {"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}}
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["progressDeadlineSeconds"] == 421
    assert deployment["spec"]["strategy"] == {"type": "RollingUpdate",
                                              "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}}


def test_the_pod_is_locked_down() -> None:
    pod = render_objects(SETTINGS, IMAGE)[2]["spec"]["template"]["spec"]
    assert pod["securityContext"] == {"runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532,
                                      "fsGroup": 65532, "seccompProfile": {"type": "RuntimeDefault"}}
    assert pod["automountServiceAccountToken"] is False
    context = pod["containers"][0]["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert pod["containers"][0]["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert pod["volumes"] == [{"name": "tmp", "emptyDir": {}}]


def test_labels_name_app_instance_version_manager_and_environment() -> None:
    deployment = render_objects(SETTINGS, IMAGE)[2]
    assert deployment["metadata"]["labels"] == {
        "app.kubernetes.io/instance": "hello-prod", "app.kubernetes.io/managed-by": "goship",
        "app.kubernetes.io/name": "hello", "app.kubernetes.io/version": "1.4.2", "env": "prod",
        "team": "payments"}
    # the selector keeps only what never changes: a Deployment's selector is immutable
    assert deployment["spec"]["selector"] == {"matchLabels": {
        "app.kubernetes.io/name": "hello", "app.kubernetes.io/instance": "hello-prod"}}
    assert deployment["metadata"]["annotations"]["goship.dev/image-digest"] == DIGEST
    assert "goship.dev/goship-version" in deployment["metadata"]["annotations"]
    assert deployment["spec"]["template"]["metadata"]["annotations"] == {"goship.dev/image-digest": DIGEST}
    version_label = render_objects(SETTINGS, IMAGE, version="2.0.0+build.7")[2]["metadata"]["labels"]
    assert version_label["app.kubernetes.io/version"] == "2.0.0_build.7"


def test_config_goes_through_a_hashed_configmap_and_secrets_only_by_reference() -> None:
    configmap, _service, deployment = render_objects(SETTINGS, IMAGE)
    assert configmap["data"] == {"LOG_LEVEL": "info"}
    spec = container(deployment)
    assert spec["envFrom"] == [{"configMapRef": {"name": configmap["metadata"]["name"]}}]
    assert spec["env"] == [
        {"name": "DB_PASSWORD",
         "valueFrom": {"secretKeyRef": {"name": "hello-secrets", "key": "DB_PASSWORD"}}},
        {"name": "TLS_KEY", "valueFrom": {"secretKeyRef": {"name": "shared-tls", "key": "tls.key"}}}]
    other = render_objects(replace(SETTINGS, config={"LOG_LEVEL": "debug"}), IMAGE)
    assert other[0]["metadata"]["name"] != configmap["metadata"]["name"]  # a change rolls the pods
    assert container(other[2])["envFrom"][0]["configMapRef"]["name"] == other[0]["metadata"]["name"]


@pytest.mark.parametrize(("data", "suffix"), [
    # what `kubectl kustomize` (kustomize v5) names a configMapGenerator with these literals
    ({"LOG_LEVEL": "info"}, "hf678c7m2b"),
    ({}, "6ct58987ht"),
    ({"LOG_LEVEL": "info", "B": "a<b>&c é"}, "89hm6c7dhk"),
])
def test_the_config_hash_is_kustomizes(data: dict[str, str], suffix: str) -> None:
    assert config_hash(data) == suffix


def test_a_tag_without_digest_is_refused_unless_allowed() -> None:
    with pytest.raises(UsageError, match="not pinned by digest"):
        render_objects(SETTINGS, "registry.example.com/team/hello:1.4.2")
    objects = render_objects(SETTINGS, "registry.example.com/team/hello:1.4.2", allow_tag=True)
    assert container(objects[2])["image"] == "registry.example.com/team/hello:1.4.2"
    assert "goship.dev/image-digest" not in objects[2]["metadata"]["annotations"]


def test_an_autoscaler_owns_the_replica_count() -> None:
    objects = render_objects(replace(SETTINGS, autoscale=Autoscale(min_replicas=3, max_replicas=9)), IMAGE)
    assert "replicas" not in objects[2]["spec"]
    autoscaler = objects[3]
    assert autoscaler["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                                    "name": "hello"}
    assert (autoscaler["spec"]["minReplicas"], autoscaler["spec"]["maxReplicas"]) == (3, 9)


def test_blue_green_renders_the_blue_slot_behind_the_service() -> None:
    objects = render_objects(replace(SETTINGS, strategy="blue-green"), IMAGE)
    assert kinds(objects)[1:] == [("Service", "hello"), ("Deployment", "hello-blue")]
    service, deployment = objects[1], objects[2]
    assert service["spec"]["selector"]["goship.dev/slot"] == "blue"
    assert deployment["spec"]["selector"]["matchLabels"]["goship.dev/slot"] == "blue"
    green = deployment_object(replace(SETTINGS, strategy="blue-green"), IMAGE, slot="green", replicas=1)
    assert green["metadata"]["name"] == "hello-green" and green["spec"]["replicas"] == 1
    assert service_object(SETTINGS, slot="green")["spec"]["selector"]["goship.dev/slot"] == "green"


def test_canary_with_istio_routes_by_subset() -> None:
    settings = replace(SETTINGS, strategy="canary", canary=Canary(istio=True))
    objects = render_objects(settings, IMAGE)
    assert kinds(objects)[1:] == [("Service", "hello"), ("Deployment", "hello"),
                                  ("DestinationRule", "hello"), ("VirtualService", "hello")]
    assert "goship.dev/slot" not in objects[1]["spec"]["selector"]  # both tracks behind the Service
    routes = virtual_service_object(settings, 10)["spec"]["http"][0]["route"]
    assert [(route["destination"]["subset"], route["weight"]) for route in routes] == [("stable", 90),
                                                                                      ("canary", 10)]
    canary = deployment_object(settings, IMAGE, slot="canary", replicas=1)
    assert canary["metadata"]["name"] == "hello-canary"
    assert canary["spec"]["template"]["metadata"]["labels"]["goship.dev/slot"] == "canary"


def test_the_secret_is_made_at_deploy_time_from_values() -> None:
    secret = secret_object(SETTINGS, {"DB_PASSWORD": b"s3cret"})
    assert secret["metadata"]["name"] == "hello-secrets" and secret["type"] == "Opaque"
    assert secret["data"] == {"DB_PASSWORD": base64.b64encode(b"s3cret").decode()}  # not TLS_KEY: not ours
    with pytest.raises(ConfigError, match="DB_PASSWORD has no value"):
        secret_object(SETTINGS, {})
    with pytest.raises(ConfigError, match="no secret variable OTHER"):
        secret_object(SETTINGS, {"DB_PASSWORD": b"x", "OTHER": b"y"})


def test_a_secret_checksum_on_the_pod_template_rolls_the_pods() -> None:
    first, second = secret_checksum({"A": b"1"}), secret_checksum({"A": b"2"})
    assert first != second and secret_checksum({"A": b"1"}) == first
    assert secret_checksum({"AB": b"C"}) != secret_checksum({"A": b"BC"})
    deployment = deployment_object(SETTINGS, IMAGE, secret_checksum=first)
    assert deployment["spec"]["template"]["metadata"]["annotations"]["goship.dev/secret-checksum"] == first
