"""Promotion's order, refusals and digest check, on an in-memory registry (the protocol is
ours; the real registry runs in tests/integration/release/test_promote.py)."""

from __future__ import annotations

import json

import pytest
from tests.unit.release.fake_registry import FakeRegistry, seed_image

from goship.errors import ExitCode, RegistryError, ReleaseError, UsageError
from goship.oci import mediatypes
from goship.oci.digest import Digest
from goship.oci.reference import Reference
from goship.release.promote import environment_tags, promote
from goship.release.referrers import merged_index
from goship.release.settings import DEFAULT_IMMUTABLE, Environment

SOURCE = Reference.parse("registry.test/team/app-staging:v1.2.3")
TARGET = Reference.parse("registry.test/team/app-prod", default_tag="")
OTHER_REGISTRY = Reference.parse("other.test/team/app", default_tag="")
LABELS = {"org.opencontainers.image.version": "1.2.3",
          "org.opencontainers.image.revision": "0123456789abcdef0123456789abcdef01234567",
          "org.opencontainers.image.created": "2024-10-01T12:00:00Z"}


def test_blobs_go_first_then_children_then_the_index_then_the_tags() -> None:
    registry = FakeRegistry()
    digest = seed_image(registry, SOURCE, labels=LABELS)

    result = promote(registry, SOURCE, TARGET, tags=["1.2.3", "latest"])

    verbs = [verb for verb, _ in registry.writes]
    assert verbs == ["mount"] * 4 + ["put-manifest"] * 5
    index_position = [what for _, what in registry.writes].index(str(digest))
    assert [what for _, what in registry.writes][index_position + 1:] == ["1.2.3", "latest"]
    assert (result.blobs_mounted, result.blobs_copied, result.bytes_uploaded) == (4, 0, 0)
    assert result.digest == digest and result.target == TARGET.with_digest(digest)


def test_across_registries_every_blob_is_uploaded_and_counted() -> None:
    registry = FakeRegistry()
    seed_image(registry, SOURCE, labels=LABELS)
    result = promote(registry, SOURCE, OTHER_REGISTRY, tags=["1.2.3"])
    sizes = sum(len(blob) for blob in registry.repo(SOURCE).blobs.values())
    assert (result.blobs_copied, result.blobs_mounted, result.bytes_uploaded) == (4, 0, sizes)
    again = promote(registry, SOURCE, OTHER_REGISTRY, tags=["1.2.3"])
    assert (again.blobs_skipped, again.bytes_uploaded, again.manifests_pushed) == (4, 0, 0)
    assert again.tags_unchanged == ("1.2.3",)


def test_an_immutable_tag_naming_another_digest_stops_everything_before_a_write() -> None:
    registry = FakeRegistry()
    seed_image(registry, SOURCE, labels=LABELS)
    older = seed_image(registry, TARGET, labels=LABELS, platforms=("s390x",), tag="1.2.3")
    registry.writes.clear()

    with pytest.raises(ReleaseError) as refused:
        promote(registry, SOURCE, TARGET, tags=["latest", "1.2.3"], immutable=DEFAULT_IMMUTABLE)

    assert refused.value.exit_code == ExitCode.RELEASE
    assert f"1.2.3 names {older.short()}" in refused.value.message and "--force" in refused.value.hint
    assert registry.writes == []
    forced = promote(registry, SOURCE, TARGET, tags=["latest", "1.2.3"], immutable=DEFAULT_IMMUTABLE,
                     force=True)
    assert [move.tag for move in forced.moved] == ["1.2.3"]
    assert registry.repo(TARGET).tags["1.2.3"] == forced.digest


def test_a_registry_that_rewrites_manifests_fails_the_digest_check() -> None:
    registry = FakeRegistry()
    seed_image(registry, SOURCE, labels=LABELS)
    registry.rewrite = (TARGET.name, lambda raw: json.dumps(json.loads(raw), indent=1).encode())
    with pytest.raises(RegistryError, match="promotion changed the digest"):
        promote(registry, SOURCE, TARGET, tags=["1.2.3"])


def test_environment_tags_are_rendered_from_the_image_labels() -> None:
    environment = Environment("prod", tags=("{version}", "{major}.{minor}", "{version}-{env}-{short_commit}",
                                            "latest-{env}", "{date}"))
    assert environment_tags(environment, LABELS) == ("1.2.3", "1.2", "1.2.3-prod-0123456", "latest-prod",
                                                     "20241001")
    with pytest.raises(UsageError, match=r"no org\.opencontainers\.image\.version label"):
        environment_tags(environment, {})
    with pytest.raises(UsageError, match=r"\{branch\}"):
        environment_tags(Environment("dev", tags=("dev-{branch}",)), LABELS)


def test_promote_renders_the_environment_tags_when_none_are_given() -> None:
    registry = FakeRegistry()
    seed_image(registry, SOURCE, labels=LABELS)
    environment = Environment("prod", tags=("{version}", "latest-{env}"))
    result = promote(registry, SOURCE, TARGET, environment=environment)
    assert result.tags == ("1.2.3", "latest-prod") and result.environment == "prod"


def cosign_manifest(registry: FakeRegistry, ref: Reference, subject: Digest, suffix: str) -> Digest:
    layer = registry.add_blob(ref, f"signature {suffix} {subject} by {ref.name}".encode())
    config = registry.add_blob(ref, b"{}")
    tag = f"{subject.algorithm}-{subject.hex}{suffix}"
    digest, _ = registry.add_manifest(ref, {"schemaVersion": 2, "mediaType": mediatypes.OCI_MANIFEST,
                                            "config": config, "layers": [layer]}, tag=tag)
    return digest


def test_cosign_tags_travel_and_a_target_signature_is_kept_unless_forced() -> None:
    registry = FakeRegistry()
    digest = seed_image(registry, SOURCE, labels=LABELS)
    signature = cosign_manifest(registry, SOURCE, digest, ".sig")
    theirs = cosign_manifest(registry, TARGET, digest, ".att")  # signed in the target already
    cosign_manifest(registry, SOURCE, digest, ".att")

    result = promote(registry, SOURCE, TARGET, tags=["1.2.3"])

    tags = registry.repo(TARGET).tags
    assert tags[f"sha256-{digest.hex}.sig"] == signature
    assert tags[f"sha256-{digest.hex}.att"] == theirs
    assert {item.kind: item.outcome for item in result.referrers} == {"signature": "copied",
                                                                       "attestation": "kept"}
    assert "--force replaces it" in result.notes[0]
    forced = promote(registry, SOURCE, TARGET, tags=["1.2.3"], force=True)
    assert tags[f"sha256-{digest.hex}.att"] != theirs
    assert all(item.outcome == "copied" for item in forced.referrers)
    # the signature tags came after the image's own tag
    order = [what for verb, what in registry.writes if verb == "put-manifest"]
    assert order.index("1.2.3") < order.index(f"sha256-{digest.hex}.sig")


def referrer(registry: FakeRegistry, ref: Reference, subject: Digest) -> Digest:
    blob = registry.add_blob(ref, b"sbom")
    digest, _ = registry.add_manifest(ref, {
        "schemaVersion": 2, "mediaType": mediatypes.OCI_MANIFEST, "artifactType": "application/spdx+json",
        "config": registry.add_blob(ref, b"{}"), "layers": [blob],
        "subject": {"mediaType": mediatypes.OCI_INDEX, "digest": str(subject), "size": 1}})
    return digest


@pytest.mark.parametrize("api", [True, False])
def test_oci_referrers_travel_through_the_api_or_the_fallback_tag(api: bool) -> None:
    registry = FakeRegistry(referrers_api=api)
    digest = seed_image(registry, SOURCE, labels=LABELS)
    sbom = referrer(registry, SOURCE, digest)
    fallback = f"sha256-{digest.hex}"
    if not api:
        index = merged_index(None, [])
        registry.repo(SOURCE).tags[fallback] = registry.put_manifest(SOURCE.with_tag(fallback), index,
                                                                     mediatypes.OCI_INDEX)
        registry.put_manifest(SOURCE.with_tag(fallback), json.dumps({
            "schemaVersion": 2, "mediaType": mediatypes.OCI_INDEX, "manifests": [
                {"mediaType": mediatypes.OCI_MANIFEST, "digest": str(sbom), "size": 10,
                 "artifactType": "application/spdx+json"}]}).encode(), mediatypes.OCI_INDEX)

    result = promote(registry, SOURCE, TARGET, tags=["1.2.3"])

    assert sbom in registry.repo(TARGET).manifests
    assert [(item.kind, item.digest) for item in result.referrers] == [("sbom", sbom)]
    if api:
        assert fallback not in registry.repo(TARGET).tags
    else:
        raw, _ = registry.repo(TARGET).manifests[registry.repo(TARGET).tags[fallback]]
        assert [item["digest"] for item in json.loads(raw)["manifests"]] == [str(sbom)]


def test_merged_index_keeps_the_existing_entries_first_and_each_digest_once() -> None:
    first = {"mediaType": mediatypes.OCI_MANIFEST, "digest": "sha256:" + "1" * 64, "size": 1}
    second = {"mediaType": mediatypes.OCI_MANIFEST, "digest": "sha256:" + "2" * 64, "size": 2}
    existing = json.dumps({"schemaVersion": 2, "manifests": [first]}).encode()
    from goship.oci.manifest import Descriptor

    merged = json.loads(merged_index(existing, [Descriptor.from_json(second), Descriptor.from_json(first)]))
    assert [item["digest"] for item in merged["manifests"]] == [first["digest"], second["digest"]]


def test_a_bad_tag_is_refused_before_anything_is_read() -> None:
    registry = FakeRegistry()
    with pytest.raises(UsageError, match="'-bad' is not a valid image tag"):
        promote(registry, SOURCE, TARGET, tags=["-bad"])
