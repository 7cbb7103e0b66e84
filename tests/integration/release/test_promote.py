"""`goship promote` and `goship tags` against real distribution registries, on a three-platform
image built by the real `goship build`.

Bytes moved are counted from the registries' own access logs and storage, not from what
goship says about itself: within one registry no upload session may carry a byte.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.conftest import Goship
from tests.fixtures.registry import RunningRegistry
from tests.fixtures.samples import keychain_of
from tests.integration.release.release_images import (
    COMMIT_DATE,
    VERSION,
    Release,
    blob_uploads,
    build_release,
    logged_registry,
    push_cosign_attachment,
    push_referrer_with_fallback,
    release_project,
    requests_to,
    sha256,
    stored_blobs,
)

from goship.oci.digest import Digest
from goship.oci.reference import Reference
from goship.registry import RegistryClient, RegistryOptions
from goship.release.promote import promote
from goship.release.settings import ReleaseSettings
from goship.release.tags import list_tags

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Setup:
    release: Release
    plain: RunningRegistry  # the source registry, and the target within one registry
    tls: RunningRegistry  # another registry: HTTPS with htpasswd
    goship: Goship
    env: dict[str, str]  # DOCKER_CONFIG holding the TLS registry's credentials
    tls_args: tuple[str, ...]

    def client(self, registry: RunningRegistry) -> RegistryClient:
        return RegistryClient(RegistryOptions(ca_file=registry.ca_file, retries=1, backoff=0.01),
                              keychain_of(registry))

    def run(self, *args: str):
        return self.goship(*args, *self.tls_args, cwd=self.release.project, env=self.env)


ENVIRONMENTS = """
[environments.prod]
repository = "{plain}/team/hello-prod"
tags = ["{{version}}", "{{major}}.{{minor}}", "latest-{{env}}"]

[environments.dr]
repository = "{tls}/team/hello-dr"
tags = ["{{version}}", "latest-{{env}}"]

[environments.signed]
repository = "{plain}/team/hello-signed"

[environments.signed-dr]
repository = "{tls}/team/hello-signed"

[environments.locked]
repository = "{plain}/team/hello-locked"
tags = ["{{version}}", "latest-{{env}}"]

[environments.qa]
repository = "{plain}/team/hello-qa"
tags = ["{{version}}-{{env}}-{{short_commit}}", "latest-{{env}}"]
"""


@pytest.fixture(scope="module")
def setup(base_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    work = tmp_path_factory.mktemp("promote")
    with logged_registry(work / "plain") as plain, logged_registry(work / "tls", "tls") as tls:
        project = release_project(work / "hello", ENVIRONMENTS.format(plain=plain.host, tls=tls.host))
        goship = Goship(dict(base_env))
        release = build_release(goship, project, f"{plain.host}/team/hello-staging")
        tls.docker_config(work / "docker")
        env = {"DOCKER_CONFIG": str(work / "docker")}
        yield Setup(release, plain, tls, goship, env, ("--ca-file", str(tls.ca_file)))


def blobs_of(client: RegistryClient, ref: Reference) -> dict[Digest, int]:
    """Every blob (config and layers) of the index ``ref`` names, with its size."""
    raw, _, _ = client.get_manifest(ref)
    found: dict[Digest, int] = {}
    for item in json.loads(raw)["manifests"]:
        child = ref.with_tag("").with_digest(Digest.parse(item["digest"]))
        manifest = json.loads(client.get_manifest(child)[0])
        for blob in [manifest["config"], *manifest["layers"]]:
            found[Digest.parse(blob["digest"])] = blob["size"]
    return found


def client_index(setup: Setup, release: Release) -> bytes:
    with setup.client(setup.plain) as client:
        return client.get_manifest(Reference.parse(f"{release.source}:v{VERSION}"))[0]


def promoted(result) -> dict:
    assert result.code == 0, result.output
    return json.loads(result.stdout)


def test_promotion_within_a_registry_mounts_every_blob_and_uploads_no_byte(setup: Setup) -> None:
    release, plain = setup.release, setup.plain
    with setup.client(plain) as client:
        blobs = blobs_of(client, Reference.parse(f"{release.source}:v{VERSION}"))
    stored_before = stored_blobs(plain)

    result = setup.run("promote", f"{release.source}:v{VERSION}", "--to", "prod", "--json")

    report = promoted(result)
    assert report["digest"] == release.digest
    assert report["tags"] == ["1.2.3", "1.2", "latest-prod"]
    assert report["blobs"] == {"mounted": len(blobs), "copied": 0, "skipped": 0}
    assert report["bytes_uploaded"] == 0
    # What the registry saw: every blob came by mount (201), no session carried a byte ...
    assert blob_uploads(plain, "team/hello-prod") == []
    mounts = [entry for entry in requests_to(plain, "team/hello-prod") if "mount=" in entry[1]]
    assert len(mounts) == len(blobs) and all(status == 201 for _, _, status in mounts)
    # ... and its storage holds not one blob file more.
    assert stored_blobs(plain) == stored_before
    # The order that keeps an interruption harmless: every blob, then the platform manifests,
    # then the index by digest, then the tags.
    writes = [path for method, path, _ in requests_to(plain, "team/hello-prod")
              if method in ("POST", "PUT", "PATCH")]
    manifests = [path.rsplit("/manifests/", 1)[1] for path in writes if "/manifests/" in path]
    assert all("/blobs/" in path for path in writes[:len(writes) - len(manifests)])
    children = [item["digest"] for item in json.loads(client_index(setup, release))["manifests"]]
    assert sorted(manifests[:len(children)]) == sorted(children)
    assert manifests[len(children):] == [release.digest, "1.2.3", "1.2", "latest-prod"]
    # An independent reader finds the same digest under every tag.
    for tag in report["tags"]:
        raw = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false",
                              f"docker://{plain.host}/team/hello-prod:{tag}"],
                             capture_output=True, check=True).stdout
        assert sha256(raw) == release.digest


def test_the_text_output_names_each_tag_with_the_digest(setup: Setup) -> None:
    result = setup.run("promote", f"{setup.release.source}:v{VERSION}", "--to", "prod")
    assert result.code == 0, result.output
    target = f"{setup.plain.host}/team/hello-prod"
    assert result.stdout.splitlines() == [f"{target}:{tag}@{setup.release.digest}"
                                          for tag in ("1.2.3", "1.2", "latest-prod")]
    assert "0 B uploaded" in result.stderr and "Traceback" not in result.stderr


def test_promotion_across_registries_copies_every_blob_and_keeps_the_digest(setup: Setup,
                                                                            tmp_path: Path) -> None:
    release, tls = setup.release, setup.tls
    with setup.client(setup.plain) as client:
        blobs = blobs_of(client, Reference.parse(f"{release.source}:v{VERSION}"))

    report = promoted(setup.run("promote", f"{release.source}@{release.digest}", "--to", "dr", "--json"))

    assert report["digest"] == release.digest
    assert report["blobs"] == {"mounted": 0, "copied": len(blobs), "skipped": 0}
    assert report["bytes_uploaded"] == sum(blobs.values())
    with setup.client(tls) as client:
        target = Reference.parse(f"{tls.host}/team/hello-dr:latest-dr")
        assert str(client.get_manifest(target)[2]) == release.digest
        assert all(client.blob_exists(target, digest) for digest in blobs)
    # skopeo pulls the whole image back out of the TLS registry, every platform.
    certs = tmp_path / "certs"
    certs.mkdir()
    assert tls.ca_file is not None
    shutil.copy(tls.ca_file, certs / "ca.crt")
    subprocess.run(["skopeo", "copy", "--all", "--src-cert-dir", str(certs),
                    "--src-creds", f"{tls.username}:{tls.password}",
                    f"docker://{tls.host}/team/hello-dr:{VERSION}", f"oci:{tmp_path / 'copy'}:hello"],
                   check=True, capture_output=True)
    index = json.loads((tmp_path / "copy" / "index.json").read_text())
    assert index["manifests"][0]["digest"] == release.digest

    again = promoted(setup.run("promote", f"{release.source}@{release.digest}", "--to", "dr", "--json"))
    assert again["blobs"] == {"mounted": 0, "copied": 0, "skipped": len(blobs)}
    assert again["bytes_uploaded"] == 0 and again["tags_unchanged"] == [VERSION, "latest-dr"]
    assert again["manifests"]["pushed"] == 0


def test_signatures_attestations_and_sboms_travel_with_the_image(setup: Setup) -> None:
    release, plain, tls = setup.release, setup.plain, setup.tls
    source = Reference.parse(f"{plain.host}/team/hello-signing")
    with setup.client(plain) as client:
        promote(client, Reference.parse(f"{release.source}:v{VERSION}"), source, tags=[f"v{VERSION}"])
        index = json.loads(client.get_manifest(source.with_tag(f"v{VERSION}"))[0])
        child = index["manifests"][0]["digest"]
        attachments = {
            subject.replace(":", "-") + suffix: push_cosign_attachment(client, source, subject, suffix)
            for subject, suffix in ((release.digest, ".sig"), (release.digest, ".att"), (child, ".sig"))
        }
        raw_index = client.get_manifest(source.with_tag(f"v{VERSION}"))[0]
        sbom = push_referrer_with_fallback(client, source, release.digest, len(raw_index))
    stored_before = stored_blobs(plain)

    same = promoted(setup.run("promote", f"{source.name}:v{VERSION}", "--to", "signed", "--json"))
    across = promoted(setup.run("promote", f"{source.name}:v{VERSION}", "--to", "signed-dr", "--json"))

    for report in (same, across):
        kinds = sorted(item["kind"] for item in report["referrers"])
        assert kinds == ["attestation", "sbom", "signature", "signature"]
        assert all(item["outcome"] == "copied" for item in report["referrers"])
    assert same["bytes_uploaded"] == 0 and blob_uploads(plain, "team/hello-signed") == []
    assert stored_blobs(plain) == stored_before
    fallback = release.digest.replace(":", "-")
    for registry in (plain, tls):
        target = Reference.parse(f"{registry.host}/team/hello-signed")
        with setup.client(registry) as client:
            for tag, digest in attachments.items():
                assert str(client.get_manifest(target.with_tag(tag))[2]) == digest, tag
            client.get_manifest(target.with_digest(Digest.parse(sbom)))  # the referrer itself
            listed = json.loads(client.get_manifest(target.with_tag(fallback))[0])["manifests"]
            assert [item["digest"] for item in listed] == [sbom]
            assert str(client.get_manifest(target.with_tag(VERSION))[2]) == release.digest


def test_an_immutable_tag_is_moved_only_with_force(setup: Setup) -> None:
    release, plain = setup.release, setup.plain
    target = Reference.parse(f"{plain.host}/team/hello-locked")
    promoted(setup.run("promote", f"{release.source}:v{VERSION}", "--to", "locked", "--json"))
    with setup.client(plain) as client:
        index = json.loads(client.get_manifest(target.with_tag(VERSION))[0])
    # Another image with the same version: one platform of the index, as an image of its own.
    other = index["manifests"][0]["digest"]

    before = len(requests_to(plain, "team/hello-locked"))
    refused = setup.run("promote", f"{release.source}@{other}", "--to", "locked")
    # Refused before a single write: the target saw reads only.
    assert {method for method, _, _ in requests_to(plain, "team/hello-locked")[before:]} <= {"GET", "HEAD"}

    assert refused.code == 10, refused.output
    assert "immutable" in refused.stderr and f"{VERSION} names {release.digest[:19]}" in refused.stderr
    assert "--force" in refused.stderr and "Traceback" not in refused.stderr
    with setup.client(plain) as client:  # nothing moved, not even the mutable tag
        assert str(client.get_manifest(target.with_tag(VERSION))[2]) == release.digest
        assert str(client.get_manifest(target.with_tag("latest-locked"))[2]) == release.digest

    forced = promoted(setup.run("promote", f"{release.source}@{other}", "--to", "locked", "--force",
                                "--json"))
    assert sorted(move["tag"] for move in forced["moved"]) == [VERSION, "latest-locked"]
    with setup.client(plain) as client:
        assert str(client.get_manifest(target.with_tag(VERSION))[2]) == other

    # A mutable tag moves back without --force.
    back = promoted(setup.run("promote", f"{release.source}:v{VERSION}", "--to", "locked",
                              "--tag", "latest-locked", "--json"))
    assert back["tags"] == ["latest-locked"] and back["moved"][0]["from"] == other


def test_tags_lists_digest_date_version_and_environment(setup: Setup) -> None:
    release, plain = setup.release, setup.plain
    short = release.commit[:7]
    promoted(setup.run("promote", f"{release.source}:v{VERSION}", "--to", "qa", "--json"))
    repository = Reference.parse(f"{plain.host}/team/hello-qa")
    with setup.client(plain) as client:
        promote(client, Reference.parse(f"{release.source}:v{VERSION}"), repository, tags=["scratch"])
        signature = push_cosign_attachment(client, repository, release.digest, ".sig")

    result = setup.run("tags", f"{plain.host}/team/hello-qa", "--json")

    assert result.code == 0, result.output
    listed = {entry["tag"]: entry for entry in json.loads(result.stdout)}
    assert set(listed) == {f"{VERSION}-qa-{short}", "latest-qa", "scratch",
                           release.digest.replace(":", "-") + ".sig"}
    versioned = listed[f"{VERSION}-qa-{short}"]
    assert versioned["digest"] == release.digest and versioned["version"] == VERSION
    assert versioned["created"] == COMMIT_DATE and versioned["revision"] == release.commit
    assert versioned["environments"] == ["qa"] and versioned["pointer"] is False
    assert versioned["platforms"] == ["linux/amd64", "linux/arm64", "linux/arm/v7"]
    assert listed["latest-qa"]["pointer"] is True and listed["latest-qa"]["environments"] == ["qa"]
    assert listed["scratch"]["environments"] == ["qa"]  # by the environment's repository
    signature_entry = listed[release.digest.replace(":", "-") + ".sig"]
    assert signature_entry["attachment"] == "signature" and signature_entry["digest"] == signature

    text = setup.run("tags", f"{plain.host}/team/hello-qa")
    assert text.code == 0, text.output
    header, *rows = text.stdout.splitlines()
    assert header.split() == ["TAG", "DIGEST", "CREATED", "VERSION", "ENVIRONMENT"]
    assert any(row.split()[0] == "latest-qa" and row.endswith("qa (pointer)") for row in rows)

    # Asking for pages of one tag gives the same list (distribution 2.8 ignores `n`; the
    # client's following of Link pages is tested against a paging proxy in tests/integration/
    # registry/test_registry_tags_and_retries.py).
    with setup.client(plain) as client:
        paged = list_tags(client, repository, ReleaseSettings(), page_size=1)
    assert sorted(info.tag for info in paged) == sorted(listed)


def test_an_unknown_environment_is_a_usage_error(setup: Setup) -> None:
    result = setup.run("promote", f"{setup.release.source}:v{VERSION}", "--to", "nowhere")
    assert result.code == 2
    assert "unknown environment 'nowhere'" in result.stderr and "prod" in result.stderr
    assert "Traceback" not in result.stderr
