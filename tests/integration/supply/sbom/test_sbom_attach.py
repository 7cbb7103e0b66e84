"""`goship sbom REF --attach` against the real distribution registry (which has no referrers
API): the SBOM under cosign's `sha256-<hex>.sbom` tag, as an OCI 1.1 referrer listed in the
`sha256-<hex>` fallback index, for the index and for each platform image; a second format
stays a referrer; attaching again changes nothing; `goship promote` carries it all along."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import Goship
from tests.fixtures.registry import RunningRegistry
from tests.fixtures.samples import keychain_of, unique_repository
from tests.fixtures.tools import need
from tests.integration.supply.sbom.programs import Programs, index_of

from goship.errors import ImageError
from goship.oci import mediatypes
from goship.oci.digest import Digest
from goship.oci.reference import Reference
from goship.progress import SilentReporter
from goship.publish.registry import push_artifact
from goship.registry import RegistryClient, RegistryOptions
from goship.supply.sbom import attach_sbom

pytestmark = pytest.mark.integration

CYCLONEDX = "application/vnd.cyclonedx+json"


@dataclass(frozen=True)
class Pushed:
    ref: str  # REGISTRY/REPO:v1
    repository: Reference
    index: str
    platforms: dict[str, str]  # platform -> manifest digest


def client_of(registry: RunningRegistry) -> RegistryClient:
    return RegistryClient(RegistryOptions(retries=1, backoff=0.01), keychain_of(registry))


@pytest.fixture
def push(programs: Programs, registry_plain: RunningRegistry,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], Pushed]]:
    """Push the two-platform image to a repository of its own, as REPO:v1."""
    blobs = tmp_path_factory.mktemp("sbom-attach-blobs")

    def pushed() -> Pushed:
        index = index_of(programs, blobs)
        repository = Reference.parse(f"{registry_plain.host}/{unique_repository('sbom')}", default_tag="")
        with client_of(registry_plain) as client:
            digest = push_artifact(client, index, repository.with_tag("v1"), ["v1"],
                                   reporter=SilentReporter())
        return Pushed(f"{repository.name}:v1", repository, str(digest),
                      {str(image.platform): str(image.digest) for image in index.images})

    yield pushed


def read_blob(client: RegistryClient, repository: Reference, digest: str) -> bytes:
    with client.open_blob(repository, Digest.parse(digest)) as stream:
        return stream.read()


def manifest_at(client: RegistryClient, ref: Reference) -> dict[str, Any]:
    return json.loads(client.get_manifest(ref)[0])


def attached(goship: Goship, cwd: Path, *args: str) -> list[dict[str, Any]]:
    result = goship("sbom", *args, "--attach", "--json", cwd=cwd)
    assert result.code == 0, result.output
    return json.loads(result.stdout)


def test_attach_stores_each_document_under_cosigns_tag_and_as_a_referrer(
        push: Callable[[], Pushed], goship: Goship, registry_plain: RunningRegistry, tmp_path: Path) -> None:
    image = push()
    report = attached(goship, tmp_path, image.ref)
    subjects = [image.index, image.platforms["linux/amd64"], image.platforms["linux/arm64"]]
    assert [item["subject"] for item in report] == subjects
    assert all(item["referrers_api"] is False for item in report)
    # What `goship sbom` writes for the index and for each platform is what was attached.
    documents = {image.index: goship("sbom", image.ref, cwd=tmp_path).stdout.encode()}
    for platform, digest in image.platforms.items():
        documents[digest] = goship("sbom", image.ref, "--platform", platform, cwd=tmp_path).stdout.encode()
    assert len(set(documents.values())) == 3 and all(documents.values())

    skopeo = need("skopeo")
    with client_of(registry_plain) as client:
        tags = set(client.list_tags(image.repository))
        for subject, document in documents.items():
            hex_digest = subject.split(":")[1]
            # (a) cosign: the .sbom tag names an OCI manifest whose single layer is the document.
            tag = f"sha256-{hex_digest}.sbom"
            assert tag in tags
            raw = subprocess.run([skopeo, "inspect", "--raw", "--tls-verify=false",
                                  f"docker://{image.repository.name}:{tag}"],
                                 capture_output=True, check=True).stdout
            manifest = json.loads(raw)
            assert manifest["mediaType"] == mediatypes.OCI_MANIFEST
            [layer] = manifest["layers"]
            assert layer["mediaType"] == CYCLONEDX
            assert read_blob(client, image.repository, layer["digest"]) == document
            config = json.loads(read_blob(client, image.repository, manifest["config"]["digest"]))
            assert manifest["config"]["mediaType"] == mediatypes.OCI_CONFIG
            assert config["rootfs"] == {"type": "layers", "diff_ids": [layer["digest"]]}
            # (b) OCI 1.1: the fallback index sha256-<hex> lists a referrer whose subject is it.
            assert f"sha256-{hex_digest}" in tags
            fallback = manifest_at(client, image.repository.with_tag(f"sha256-{hex_digest}"))
            [entry] = fallback["manifests"]
            assert entry["artifactType"] == CYCLONEDX
            referrer = manifest_at(client, image.repository.with_digest(Digest.parse(entry["digest"])))
            assert referrer["artifactType"] == CYCLONEDX
            assert referrer["subject"]["digest"] == subject
            assert referrer["subject"]["mediaType"] == (mediatypes.OCI_INDEX if subject == image.index
                                                        else mediatypes.OCI_MANIFEST)
            assert referrer["config"]["mediaType"] == mediatypes.OCI_EMPTY
            assert [item["digest"] for item in referrer["layers"]] == [layer["digest"]]
    # The image itself is untouched.
    with client_of(registry_plain) as client:
        assert str(client.get_manifest(image.repository.with_tag("v1"))[2]) == image.index


def test_attaching_again_changes_nothing_and_both_formats_stay_referrers(
        push: Callable[[], Pushed], goship: Goship, registry_plain: RunningRegistry, tmp_path: Path) -> None:
    image = push()
    hex_digest = image.platforms["linux/amd64"].split(":")[1]
    sbom_tag = image.repository.with_tag(f"sha256-{hex_digest}.sbom")
    fallback_tag = image.repository.with_tag(f"sha256-{hex_digest}")

    def state() -> tuple[Digest, Digest]:
        with client_of(registry_plain) as client:
            return client.get_manifest(sbom_tag)[2], client.get_manifest(fallback_tag)[2]

    [cyclonedx] = attached(goship, tmp_path, image.ref, "--platform", "linux/amd64")
    first = state()
    [again] = attached(goship, tmp_path, image.ref, "--platform", "linux/amd64")
    assert state() == first and again == cyclonedx
    # Only linux/amd64 was attached to: the index and arm64 have nothing.
    with client_of(registry_plain) as client:
        assert not any(image.index.split(":")[1] in tag for tag in client.list_tags(image.repository))

    [spdx] = attached(goship, tmp_path, image.ref, "--platform", "linux/amd64", "--format", "spdx")
    assert spdx["media_type"] == "text/spdx+json"
    with client_of(registry_plain) as client:
        # cosign reads an attachment of exactly one layer: the tag holds the last document ...
        [layer] = manifest_at(client, sbom_tag)["layers"]
        assert (layer["mediaType"], layer["digest"]) == ("text/spdx+json", spdx["document"])
        # ... and both documents are referrers of the image.
        listed = manifest_at(client, fallback_tag)["manifests"]
        assert sorted((item["artifactType"], item["digest"]) for item in listed) == sorted(
            [(CYCLONEDX, cyclonedx["referrer"]), ("application/spdx+json", spdx["referrer"])])
    with_both = state()[1]
    attached(goship, tmp_path, image.ref, "--platform", "linux/amd64")
    assert state() == (first[0], with_both)


def test_promote_carries_the_sboms_along(push: Callable[[], Pushed], goship: Goship,
                                         registry_plain: RunningRegistry, tmp_path: Path) -> None:
    image = push()
    report = attached(goship, tmp_path, image.ref)
    target = Reference.parse(f"{image.repository.name}-prod", default_tag="")
    (tmp_path / "goship.toml").write_text(f'[environments.prod]\nrepository = "{target.name}"\n')

    result = goship("promote", image.ref, "--to", "prod", "--tag", "v1", "--json", cwd=tmp_path)
    assert result.code == 0, result.output
    carried = json.loads(result.stdout)["referrers"]
    assert sorted(item["kind"] for item in carried if item["kind"] == "sbom") == ["sbom"] * 6
    with client_of(registry_plain) as client:
        for item in report:
            hex_digest = item["subject"].split(":")[1]
            tag = f"sha256-{hex_digest}.sbom"
            assert str(client.get_manifest(target.with_tag(tag))[2]) == item["cosign_manifest"]
            [layer] = manifest_at(client, target.with_tag(tag))["layers"]
            assert read_blob(client, target, layer["digest"]) == \
                read_blob(client, image.repository, layer["digest"])
            listed = manifest_at(client, target.with_tag(f"sha256-{hex_digest}"))["manifests"]
            assert [entry["digest"] for entry in listed] == [item["referrer"]]
            assert client.head_manifest(target.with_digest(Digest.parse(item["referrer"]))) is not None


def test_attach_to_an_image_that_is_not_there_is_an_image_error(registry_plain: RunningRegistry) -> None:
    """The library refuses to hang an SBOM on a digest the repository does not have."""
    repository = Reference.parse(f"{registry_plain.host}/{unique_repository('sbom')}", default_tag="")
    with client_of(registry_plain) as client, pytest.raises(ImageError) as caught:
        attach_sbom(client, repository, Digest.of_bytes(b"nothing"), b"{}", CYCLONEDX)
    assert "no such manifest" in caught.value.message
    missing = Digest.of_bytes(b"nothing")
    with client_of(registry_plain) as client:
        assert client.head_manifest(repository.with_tag(f"sha256-{missing.hex}.sbom")) is None
