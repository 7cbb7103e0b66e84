"""What a user sees when the cluster cannot be used: no kubeconfig, an unknown context, an
unreachable or untrusted API server, a refused token, and RBAC on the service proxy."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml
from tests.fixtures.kubeapi import FakeKubeAPI
from tests.fixtures.pki import make_ca

from goship.deploy.kube import (
    ClusterAuthError,
    ClusterUnreachableError,
    ForbiddenError,
    KubeconfigError,
    connect,
)
from goship.errors import ExitCode

pytestmark = pytest.mark.integration


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_no_kubeconfig_names_the_files_looked_for(tmp_path: Path) -> None:
    with pytest.raises(KubeconfigError) as missing:
        connect([tmp_path / "nowhere" / "config"], "prod")

    assert missing.value.message == f"no kubeconfig found: {tmp_path / 'nowhere' / 'config'} does not exist"
    assert "KUBECONFIG" in missing.value.hint
    assert missing.value.exit_code == ExitCode.DEPLOY


def test_an_unknown_context_lists_the_known_ones(kube_api: FakeKubeAPI, kubeconfig: Path) -> None:
    with pytest.raises(KubeconfigError) as unknown:
        connect([kubeconfig], "prod", "staging-cluster")

    assert unknown.value.message == (f"the kubeconfig {kubeconfig} has no context 'staging-cluster' "
                                     "(contexts: fake)")


def test_an_unreachable_api_server_is_named(kube_api: FakeKubeAPI, tmp_path: Path) -> None:
    port = _closed_port()
    kubeconfig = kube_api.write_kubeconfig(tmp_path / "down", server=f"https://127.0.0.1:{port}")

    with connect([kubeconfig], "prod") as cluster, pytest.raises(ClusterUnreachableError) as down:
        cluster.get("Deployment", "api")

    assert down.value.message == (f"reading Deployment prod/api: cannot reach the Kubernetes API at "
                                  f"https://127.0.0.1:{port} (context fake): connection refused")


def test_an_api_server_with_another_certificate_authority_is_refused(kube_api: FakeKubeAPI,
                                                                     tmp_path: Path) -> None:
    kubeconfig = kube_api.write_kubeconfig(tmp_path / "kubeconfig")
    config = yaml.safe_load(kubeconfig.read_text())
    import base64

    other = make_ca(tmp_path / "other-ca", "some other CA")
    config["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(
        other.cert_file.read_bytes()).decode()
    kubeconfig.write_text(yaml.safe_dump(config))

    with connect([kubeconfig], "prod") as cluster, pytest.raises(ClusterUnreachableError) as untrusted:
        cluster.get("Deployment", "api")

    assert "TLS failed" in untrusted.value.message
    assert "certificate-authority does not match the server" in untrusted.value.message


def test_a_refused_token_says_which_context(kube_api: FakeKubeAPI, tmp_path: Path) -> None:
    kubeconfig = kube_api.write_kubeconfig(tmp_path / "kubeconfig", token="expired")

    with connect([kubeconfig], "prod") as cluster, pytest.raises(ClusterAuthError) as refused:
        cluster.list("Pod")

    assert "refused the credentials of context fake (Unauthorized)" in refused.value.message


def test_forbidden_service_proxy_is_the_api_refusing_not_the_app(kube_api: FakeKubeAPI,
                                                                 kubeconfig: Path) -> None:
    kube_api.deny("get", "services/proxy")

    with connect([kubeconfig], "prod") as cluster, pytest.raises(ForbiddenError) as forbidden:
        cluster.proxy_get("api", 80, "/healthz")

    assert ('cannot get resource "services/proxy" in API group "" in the namespace "prod"'
            in forbidden.value.message)


def test_kubeconfig_files_merge_as_kubectl_merges_them(kube_api: FakeKubeAPI, tmp_path: Path) -> None:
    real = kube_api.write_kubeconfig(tmp_path / "real", context="fake")
    first = tmp_path / "first"
    first.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "current-context": "fake",
                                     "clusters": [], "contexts": [], "users": []}))

    with connect([first, real], "prod") as cluster:
        assert cluster.context == "fake"
        assert cluster.list("Deployment") == []


def test_a_missing_certificate_authority_file_is_named(kube_api: FakeKubeAPI, tmp_path: Path) -> None:
    kubeconfig = kube_api.write_kubeconfig(tmp_path / "kubeconfig")
    config = yaml.safe_load(kubeconfig.read_text())
    cluster = config["clusters"][0]["cluster"]
    del cluster["certificate-authority-data"]
    cluster["certificate-authority"] = str(tmp_path / "missing-ca.crt")
    kubeconfig.write_text(yaml.safe_dump(config))

    with pytest.raises(KubeconfigError) as broken:
        connect([kubeconfig], "prod")

    assert broken.value.message == (f"context fake ({kube_api.url}) of the kubeconfig {kubeconfig} cannot "
                                    f"be used: {tmp_path / 'missing-ca.crt'}: No such file or directory")
