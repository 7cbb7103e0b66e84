"""`goship deploy`, `goship rollback` and `goship status` as a user runs them: the real command
line in a subprocess, goship.toml in a project directory, the fake Kubernetes API server named
by KUBECONFIG, and a real registry where a tag must be resolved or a signature checked."""

from __future__ import annotations

import base64
import datetime
import json
import time
from pathlib import Path

import pytest
from tests.conftest import Goship
from tests.fixtures.kubeapi import FakeKubeAPI
from tests.fixtures.registry import RunningRegistry
from tests.fixtures.samples import PushedImage, keychain_of, push_sample_image, unique_repository
from tests.integration.deploy.rollout.rollout_setup import V1, V2, V3

from goship.oci.reference import Reference
from goship.registry import RegistryClient, RegistryOptions

pytestmark = pytest.mark.integration

GOSHIP_TOML = """\
[deploy]
name = "api"
replicas = 2
timeout = "5s"
secrets = { DB_PASSWORD = { from-env = "SHOP_DB_PASSWORD" } }

[environments.prod.deploy]
namespace = "prod"
"""
FAST = ("--interval", "0.05")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    directory = tmp_path / "shop"
    directory.mkdir()
    (directory / "goship.toml").write_text(GOSHIP_TOML)
    return directory


@pytest.fixture
def env(kube_api: FakeKubeAPI, kubeconfig: Path) -> dict[str, str]:
    return {"KUBECONFIG": str(kubeconfig), "SHOP_DB_PASSWORD": "s3cret-value"}


def test_deploy_status_and_rollback_to_a_revision(goship: Goship, kube_api: FakeKubeAPI, project: Path,
                                                  env: dict[str, str]) -> None:
    for release in (V1, V2):
        deployed = goship("deploy", release.reference, "--env", "prod", *FAST, cwd=project, env=env)
        assert deployed.code == 0, deployed.output
        assert deployed.stdout.strip() == release.reference
    assert (f"goship: deployed {V2.digest} to prod (rolling): Deployment prod/api revision 2"
            in deployed.stderr)

    status = goship("status", "--env", "prod", "--json", *FAST, cwd=project, env=env)
    assert status.code == 0, status.output
    [report] = json.loads(status.stdout)["environments"]
    shown = (report["digest"], report["version"], report["revision"], report["ready"], report["consistent"])
    assert shown == (V2.digest, "v2.0.0", "2", 2, True)

    listed = goship("rollback", "--env", "prod", "--list", *FAST, cwd=project, env=env)
    assert listed.code == 0, listed.output
    assert "2       * v2.0.0" in listed.stdout

    back = goship("rollback", "--env", "prod", "--to-revision", "1", "--json", *FAST, cwd=project, env=env)
    assert back.code == 0, back.output
    assert json.loads(back.stdout)["digest"] == V1.digest
    deployment = kube_api.get("Deployment", "api", "prod")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == V1.reference


def test_the_secret_value_reaches_the_secret_and_nothing_else(goship: Goship, kube_api: FakeKubeAPI,
                                                              project: Path, env: dict[str, str]) -> None:
    result = goship("deploy", V1.reference, "--env", "prod", "--json", "-v", *FAST, cwd=project, env=env)

    assert result.code == 0, result.output
    assert json.loads(result.stdout)["digest"] == V1.digest
    secret = kube_api.get("Secret", "api-secrets", "prod")
    assert base64.b64decode(secret["data"]["DB_PASSWORD"]) == b"s3cret-value"
    assert "s3cret-value" not in result.output
    # The pod template carries a checksum of the values, so a new value rolls the pods.
    deployment = kube_api.get("Deployment", "api", "prod")
    assert deployment["spec"]["template"]["metadata"]["annotations"]["goship.dev/secret-checksum"].startswith(
        "sha256:")


def test_a_missing_secret_variable_stops_before_the_cluster(goship: Goship, kube_api: FakeKubeAPI,
                                                            project: Path, env: dict[str, str]) -> None:
    result = goship("deploy", V1.reference, "--env", "prod", *FAST, cwd=project,
                    env={"KUBECONFIG": env["KUBECONFIG"]})

    assert result.code == 2, result.output
    assert ("the secret DB_PASSWORD comes from the environment variable SHOP_DB_PASSWORD, which is not set"
            in result.stderr)
    assert kube_api.requests == []


def test_a_failed_rollout_rolls_back_and_exits_14(goship: Goship, kube_api: FakeKubeAPI, project: Path,
                                                  env: dict[str, str]) -> None:
    assert goship("deploy", V1.reference, "--env", "prod", *FAST, cwd=project, env=env).code == 0
    kube_api.behave(V2.digest, ready=False)

    result = goship("deploy", V2.reference, "--env", "prod", "--timeout", "1s", *FAST, cwd=project, env=env)

    assert result.code == 14, result.output
    assert f"goship: error: rolling out {V2.digest} to prod failed: timed out after 1s" in result.stderr
    assert f"rolled back to the template of revision 1 ({V1.reference})" in result.stderr
    assert "Traceback" not in result.output
    assert goship("status", "--env", "prod", *FAST, cwd=project, env=env).code == 0


def test_a_conflict_names_the_other_manager_and_force_takes_over(goship: Goship, kube_api: FakeKubeAPI,
                                                                 project: Path, env: dict[str, str]) -> None:
    assert goship("deploy", V1.reference, "--env", "prod", *FAST, cwd=project, env=env).code == 0
    from tests.fixtures.kubeapi_store import KIND_BY_NAME

    kube_api.store.set_replicas(KIND_BY_NAME["Deployment"], "prod", "api", 3, "hpa-controller")

    refused = goship("deploy", V2.reference, "--env", "prod", *FAST, cwd=project, env=env)
    assert refused.code == 14, refused.output
    assert ('goship: error: applying Deployment prod/api: Apply failed with 1 conflict: conflict with '
            '"hpa-controller" using apps/v1: .spec.replicas') in refused.stderr
    assert "hint: another tool (a field manager) set these fields; run again with --force-conflicts" in \
        refused.stderr

    forced = goship("deploy", V2.reference, "--env", "prod", "--force-conflicts", *FAST, cwd=project, env=env)
    assert forced.code == 0, forced.output
    assert kube_api.get("Deployment", "api", "prod")["spec"]["replicas"] == 2


def test_rbac_forbidden_shows_the_api_message(goship: Goship, kube_api: FakeKubeAPI, project: Path,
                                              env: dict[str, str]) -> None:
    kube_api.deny("patch", "secrets")

    result = goship("deploy", V1.reference, "--env", "prod", *FAST, cwd=project, env=env)

    assert result.code == 14, result.output
    assert ('goship: error: applying Secret prod/api-secrets: secrets "api-secrets" is forbidden: User '
            '"system:serviceaccount:ci:deployer" cannot patch resource "secrets" in API group "" in the '
            'namespace "prod"') in result.stderr


def test_an_unknown_environment_lists_the_configured_ones(goship: Goship, project: Path,
                                                          env: dict[str, str]) -> None:
    result = goship("deploy", V1.reference, "--env", "qa", *FAST, cwd=project, env=env)

    assert result.code == 2, result.output
    assert "goship: error: unknown environment 'qa'" in result.stderr
    assert "prod" in result.stderr


def test_no_kubeconfig_and_an_unreachable_cluster_are_clear(goship: Goship, kube_api: FakeKubeAPI,
                                                            project: Path, tmp_path: Path,
                                                            env: dict[str, str]) -> None:
    missing = goship("status", "--env", "prod", cwd=project,
                     env={**env, "KUBECONFIG": str(tmp_path / "none")})
    assert missing.code == 14, missing.output
    assert f"goship: error: no kubeconfig found: {tmp_path / 'none'} does not exist" in missing.stderr

    down = kube_api.write_kubeconfig(tmp_path / "down", server="https://127.0.0.1:9")
    unreachable = goship("deploy", V1.reference, "--env", "prod", cwd=project,
                         env={**env, "KUBECONFIG": str(down)})
    assert unreachable.code == 14, unreachable.output
    assert "cannot reach the Kubernetes API at https://127.0.0.1:9 (context fake): connection refused" in \
        unreachable.stderr


def test_status_exits_14_when_a_pod_runs_another_digest(goship: Goship, kube_api: FakeKubeAPI,
                                                        project: Path, env: dict[str, str]) -> None:
    kube_api.behave(V3.digest, image_id="registry.example.com/shop/api@sha256:" + "f" * 64)
    assert goship("deploy", V3.reference, "--env", "prod", *FAST, cwd=project, env=env).code == 0

    result = goship("status", "--env", "prod", *FAST, cwd=project, env=env)

    assert result.code == 14, result.output
    assert "digest      0 of 2 pods run " + V3.digest in result.stdout
    assert "problem: pod api-" in result.stdout
    assert "goship: prod: not every pod runs the released digest" in result.stderr


def test_a_tag_is_resolved_in_the_registry_and_deployed_by_digest(goship: Goship, kube_api: FakeKubeAPI,
                                                                  project: Path, env: dict[str, str],
                                                                  registry_plain: RunningRegistry) -> None:
    repository = f"{registry_plain.host}/{unique_repository('deploy')}"
    pushed = _push(registry_plain, f"{repository}:v4.0.0")

    result = goship("deploy", f"{repository}:v4.0.0", "--env", "prod", "--insecure-registry",
                    registry_plain.host, *FAST, cwd=project, env=env)

    assert result.code == 0, result.output
    assert (f"goship: {repository}:v4.0.0 is {pushed.digest}; deploying {repository}@{pushed.digest} "
            "by digest") in result.stderr
    image = kube_api.get("Deployment", "api", "prod")["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == f"{repository}:v4.0.0@{pushed.digest}"


def test_an_unsigned_image_is_refused_when_signatures_are_required(goship: Goship, kube_api: FakeKubeAPI,
                                                                   project: Path, env: dict[str, str],
                                                                   registry_plain: RunningRegistry) -> None:
    from goship.supply.signing import write_key_pair

    keys = write_key_pair(project / "cosign", b"pw")
    (project / "goship.toml").write_text(GOSHIP_TOML + f'require-signature = ["{keys.public_key.name}"]\n')
    repository = f"{registry_plain.host}/{unique_repository('deploy')}"
    pushed = _push(registry_plain, f"{repository}:v5.0.0")

    result = goship("deploy", f"{repository}@{pushed.digest}", "--env", "prod", "--insecure-registry",
                    registry_plain.host, *FAST, cwd=project, env=env)

    assert result.code == 11, result.output
    assert f"no signature on {repository}@{pushed.digest} verifies" in result.stderr
    assert kube_api.get("Deployment", "api", "prod") is None


def _push(registry: RunningRegistry, reference: str) -> PushedImage:
    with RegistryClient(RegistryOptions(insecure=(registry.host,)), keychain_of(registry)) as client:
        return push_sample_image(client, Reference.parse(reference))


def test_blue_green_keeps_the_old_slot_until_a_later_run_scales_it_down(goship: Goship, kube_api: FakeKubeAPI,
                                                                        project: Path,
                                                                        env: dict[str, str]) -> None:
    (project / "goship.toml").write_text(GOSHIP_TOML + 'strategy = "blue-green"\n'
                                         'blue-green = { keep-old = "6s", smoke-paths = ["/healthz"] }\n')
    for release in (V1, V2):
        assert goship("deploy", release.reference, "--env", "prod", *FAST, cwd=project, env=env).code == 0

    kept = goship("status", "--env", "prod", *FAST, cwd=project, env=env)
    assert kept.code == 0, kept.output
    assert "deployment  api-green" in kept.stdout
    assert f"note: the previous slot blue ({V1.reference}) is kept until" in kept.stdout

    until = kube_api.get("Service", "api", "prod")["metadata"]["annotations"]["goship.dev/keep-old-until"]
    moment = datetime.datetime.strptime(until, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)
    time.sleep(max((moment - datetime.datetime.now(datetime.UTC)).total_seconds(), 0) + 0.2)
    kube_api.deny("patch", "deployments")  # a user who may only read still gets the status
    read_only = goship("status", "--env", "prod", *FAST, cwd=project, env=env)
    assert read_only.code == 0, read_only.output
    assert "note: an old blue-green slot is due to be scaled down, but not by this user" in read_only.stdout
    assert kube_api.get("Deployment", "api-blue", "prod")["spec"]["replicas"] == 2

    kube_api.denied.clear()
    retired = goship("status", "--env", "prod", *FAST, cwd=project, env=env)
    assert retired.code == 0, retired.output
    assert "note: scaled the old slot blue down to 0" in retired.stdout
    assert kube_api.get("Deployment", "api-blue", "prod")["spec"]["replicas"] == 0

    back = goship("rollback", "--env", "prod", *FAST, cwd=project, env=env)
    assert back.code == 0, back.output
    assert back.stdout.strip() == V1.reference
    assert kube_api.get("Service", "api", "prod")["spec"]["selector"]["goship.dev/slot"] == "blue"
