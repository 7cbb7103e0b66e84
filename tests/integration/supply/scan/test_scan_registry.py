"""`goship scan REF` on a multi-platform image in a real registry (TLS and credentials)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import Goship
from tests.fixtures.registry import RunningRegistry
from tests.integration.supply.scan.conftest import TESTDB, Programs
from tests.unit.gobinary.handmade import Blobs, file, image

from goship.oci.image import ImageIndex
from goship.oci.reference import Reference
from goship.policy.image_source import RegistryAccess
from goship.progress import SilentReporter
from goship.publish.registry import push_artifact

pytestmark = pytest.mark.integration


def test_a_registry_image_is_scanned_with_the_registry_options(
        programs: Programs, registry_tls: RunningRegistry, base_env: dict[str, str], tmp_path: Path) -> None:
    blobs = Blobs(tmp_path / "layers")
    index = ImageIndex((
        image([blobs.layer([file("app/server", programs.vulnerable.read_bytes())])]),
        image([blobs.layer([file("app/server", programs.fixed_arm64.read_bytes())])], "linux/arm64"),
    ))
    access = RegistryAccess.from_settings(ca_file=registry_tls.ca_file, username=registry_tls.username,
                                          password=registry_tls.password,
                                          credential_hosts=(registry_tls.host,))
    with access.client() as client:
        push_artifact(client, index, Reference.parse(f"{registry_tls.host}/scan/app"), ["v1"],
                      reporter=SilentReporter())
    source = f"{registry_tls.host}/scan/app:v1"
    goship = Goship({**base_env, "HOME": str(tmp_path), "DOCKER_CONFIG": str(tmp_path / "empty")})
    credentials = {"GOSHIP_REGISTRY_USERNAME": registry_tls.username or "",
                   "GOSHIP_REGISTRY_PASSWORD": registry_tls.password or ""}

    scanned = goship("scan", source, "--db", str(TESTDB), "--ca-file", str(registry_tls.ca_file), "--json",
                     cwd=tmp_path, env=credentials)
    untrusted = goship("scan", source, "--db", str(TESTDB), cwd=tmp_path, env=credentials)

    assert scanned.code == 12, scanned.output
    document = json.loads(scanned.stdout)
    findings = {subject["platform"]: {f["id"] for b in subject["binaries"] for f in b["findings"]}
                for subject in document["subjects"]}
    assert findings == {"linux/amd64": {"GO-2022-0229", "GO-2022-0463", "GO-2022-0569", "GO-2022-0572"},
                        "linux/arm64": set()}
    assert {subject["index_digest"] for subject in document["subjects"]} == {str(index.digest)}
    assert untrusted.code == 6 and "hint:" in untrusted.stderr and "Traceback" not in untrusted.output
