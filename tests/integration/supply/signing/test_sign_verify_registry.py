"""`goship keygen`, `goship sign`, `goship verify-signature` and `goship promote
--require-signature` through the real command line against the real distribution registry.

The images are small ones pushed by the registry client (a config and a layer); what is
checked is what a user or a cosign peer would see in the registry and on the terminal."""

from __future__ import annotations

import io
import json
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.conftest import Goship, Result
from tests.fixtures.registry import RunningRegistry
from tests.fixtures.samples import PushedImage, keychain_of, push_sample_image, unique_repository

from goship.oci import mediatypes
from goship.oci.digest import Digest
from goship.oci.manifest import Descriptor, Index, Manifest
from goship.oci.reference import Reference
from goship.registry import RegistryClient, RegistryOptions, StaticKeychain
from goship.supply.signing.payload import make_payload
from goship.supply.signing.store import signature_config, signature_tag

pytestmark = pytest.mark.integration

SIGNATURE = 11
AUTH = 7
PASSWORD = "correct horse"
SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
ANNOTATION = "dev.cosignproject.cosign/signature"


@dataclass(frozen=True)
class Keys:
    private: Path
    public: Path
    other_private: Path
    other_public: Path


@pytest.fixture(scope="module")
def keys(base_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Keys:
    """Two key pairs made by `goship keygen`."""
    work = tmp_path_factory.mktemp("keys")
    goship = Goship(dict(base_env))
    for prefix in ("release", "other"):
        result = goship("keygen", "--output-key-prefix", str(work / prefix), cwd=work,
                        env={"GOSHIP_PASSWORD": PASSWORD})
        assert result.code == 0, result.output
        assert result.stdout.split() == [str(work / f"{prefix}.key"), str(work / f"{prefix}.pub")]
    assert stat.S_IMODE((work / "release.key").stat().st_mode) == 0o600
    return Keys(work / "release.key", work / "release.pub", work / "other.key", work / "other.pub")


@pytest.fixture
def client(registry_plain: RunningRegistry) -> RegistryClient:
    return RegistryClient(RegistryOptions(retries=1, backoff=0.01), keychain_of(registry_plain))


@pytest.fixture
def image(client: RegistryClient, registry_plain: RunningRegistry) -> PushedImage:
    ref = Reference.parse(f"{registry_plain.host}/{unique_repository('signing')}:v1")
    return push_sample_image(client, ref)


def run(goship: Goship, tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return goship(*args, cwd=tmp_path, env={"GOSHIP_PASSWORD": PASSWORD, **(env or {})})


def sign(goship: Goship, tmp_path: Path, ref: str, key: Path, *args: str) -> Result:
    result = run(goship, tmp_path, "sign", ref, "--key", str(key), *args)
    assert result.code == 0, result.output
    return result


def verify(goship: Goship, tmp_path: Path, ref: str, *public: Path, json_output: bool = False) -> Result:
    args = [arg for key in public for arg in ("--key", str(key))]
    return run(goship, tmp_path, "verify-signature", ref, *args, *(["--json"] if json_output else []))


def assert_rejected(result: Result, *needles: str) -> None:
    assert result.code == SIGNATURE, result.output
    assert "Traceback" not in result.output
    error = result.stderr[result.stderr.index("goship: error: "):]
    assert "\nhint: " in error
    for needle in needles:
        assert needle in result.output, f"{needle!r} not in {result.output!r}"


def sig_manifest(client: RegistryClient, image: PushedImage) -> tuple[bytes, Manifest]:
    raw, _, _ = client.get_manifest(image.ref.with_tag(signature_tag(image.digest)))
    return raw, Manifest.from_bytes(raw)


def read_blob(client: RegistryClient, image: PushedImage, digest: Digest) -> bytes:
    with client.open_blob(image.ref, digest) as reader:
        return reader.read()


def push_blob(client: RegistryClient, ref: Reference, data: bytes) -> Digest:
    digest = Digest.of_bytes(data)
    client.upload_blob(ref, digest, len(data), lambda: io.BytesIO(data))
    return digest


def test_a_signature_is_stored_as_cosign_stores_it_and_verifies(
        goship: Goship, tmp_path: Path, keys: Keys, image: PushedImage, client: RegistryClient) -> None:
    result = sign(goship, tmp_path, str(image.ref), keys.private)
    tag = signature_tag(image.digest)
    raw, manifest = sig_manifest(client, image)
    assert result.stdout.strip() == f"{image.ref.name}:{tag}@{Digest.of_bytes(raw)}"

    assert json.loads(raw)["mediaType"] == mediatypes.OCI_MANIFEST
    assert manifest.config.media_type == mediatypes.OCI_CONFIG
    [layer] = manifest.layers
    assert layer.media_type == SIMPLE_SIGNING
    assert [key for key, _ in layer.annotations] == [ANNOTATION]
    payload = read_blob(client, image, layer.digest)
    assert payload == make_payload(image.ref.name, image.digest)
    assert json.loads(payload)["critical"]["image"]["docker-manifest-digest"] == str(image.digest)
    assert read_blob(client, image, manifest.config.digest) == signature_config(None, [str(layer.digest)], 1)

    verified = verify(goship, tmp_path, str(image.ref), keys.public)
    assert verified.code == 0, verified.output
    assert f"signature 0: verified with {keys.public}" in verified.stdout
    report = json.loads(verify(goship, tmp_path, f"{image.ref.name}@{image.digest}", keys.public,
                               json_output=True).stdout)
    assert report["verified"] is True
    assert report["digest"] == str(image.digest)
    assert report["signatures"] == [{"layer": 0, "payload_digest": str(layer.digest), "verified": True,
                                     "key": str(keys.public), "reason": None,
                                     "docker_reference": image.ref.name, "annotations": {}}]


def test_an_unsigned_image_is_rejected_naming_the_missing_tag(
        goship: Goship, tmp_path: Path, keys: Keys, image: PushedImage) -> None:
    result = verify(goship, tmp_path, str(image.ref), keys.public)
    assert_rejected(result, f"no signatures: tag {signature_tag(image.digest)} not found")


def test_an_image_changed_after_signing_is_rejected(
        goship: Goship, tmp_path: Path, keys: Keys, image: PushedImage, client: RegistryClient) -> None:
    sign(goship, tmp_path, str(image.ref), keys.private)
    changed = push_sample_image(client, image.ref, payload=b"a different layer" * 50)
    assert changed.digest != image.digest
    assert_rejected(verify(goship, tmp_path, str(image.ref), keys.public),
                    f"no signatures: tag {signature_tag(changed.digest)} not found")
    # the old signatures copied to the new digest's tag: valid signatures, of another digest
    raw, _ = sig_manifest(client, image)
    client.put_manifest(image.ref.with_tag(signature_tag(changed.digest)), raw, mediatypes.OCI_MANIFEST)
    assert_rejected(verify(goship, tmp_path, str(image.ref), keys.public),
                    f"the payload names {image.digest}, not this image's {changed.digest}")


def test_a_tampered_payload_is_rejected(
        goship: Goship, tmp_path: Path, keys: Keys, image: PushedImage, client: RegistryClient) -> None:
    sign(goship, tmp_path, str(image.ref), keys.private)
    raw, manifest = sig_manifest(client, image)
    [layer] = manifest.layers
    payload = read_blob(client, image, layer.digest).replace(b'"optional":null', b'"optional":{"env":"prod"}')
    forged = push_blob(client, image.ref, payload)
    altered = raw.replace(str(layer.digest).encode(), str(forged).encode()).replace(
        f'"size":{layer.size}'.encode(), f'"size":{len(payload)}'.encode())
    client.put_manifest(image.ref.with_tag(signature_tag(image.digest)), altered, mediatypes.OCI_MANIFEST)
    assert_rejected(verify(goship, tmp_path, str(image.ref), keys.public),
                    f"signature 0: FAILED: the signature does not verify with {keys.public}")


def test_a_tampered_signature_annotation_is_rejected(
        goship: Goship, tmp_path: Path, keys: Keys, image: PushedImage, client: RegistryClient) -> None:
    sign(goship, tmp_path, str(image.ref), keys.private)
    raw, manifest = sig_manifest(client, image)
    signature = dict(manifest.layers[0].annotations)[ANNOTATION]
    flipped = signature[:20] + ("A" if signature[20] != "A" else "B") + signature[21:]
    client.put_manifest(image.ref.with_tag(signature_tag(image.digest)),
                        raw.replace(signature.encode(), flipped.encode()), mediatypes.OCI_MANIFEST)
    assert_rejected(verify(goship, tmp_path, str(image.ref), keys.public), "does not verify")


def test_a_payload_that_does_not_match_its_layer_size_is_rejected(
        goship: Goship, tmp_path: Path, keys: Keys, image: PushedImage, client: RegistryClient) -> None:
    sign(goship, tmp_path, str(image.ref), keys.private)
    raw, manifest = sig_manifest(client, image)
    size = manifest.layers[0].size
    client.put_manifest(image.ref.with_tag(signature_tag(image.digest)),
                        raw.replace(f'"size":{size}'.encode(), f'"size":{size - 1}'.encode()),
                        mediatypes.OCI_MANIFEST)
    assert_rejected(verify(goship, tmp_path, str(image.ref), keys.public), "signature 0: FAILED: payload")


def test_the_wrong_key_is_rejected(goship: Goship, tmp_path: Path, keys: Keys, image: PushedImage) -> None:
    sign(goship, tmp_path, str(image.ref), keys.private)
    result = verify(goship, tmp_path, str(image.ref), keys.other_public)
    assert_rejected(result, f"the signature does not verify with {keys.other_public}", str(image.digest))


def test_signatures_are_appended_listed_and_one_verifying_key_is_enough(
        goship: Goship, tmp_path: Path, keys: Keys, image: PushedImage, client: RegistryClient) -> None:
    sign(goship, tmp_path, str(image.ref), keys.private, "-a", "env=prod", "-a", "team=<core>")
    first_raw, _ = sig_manifest(client, image)
    sign(goship, tmp_path, str(image.ref), keys.other_private)
    raw, manifest = sig_manifest(client, image)
    assert len(manifest.layers) == 2
    assert json.loads(raw)["layers"][0] == json.loads(first_raw)["layers"][0]  # kept as it was
    config = json.loads(read_blob(client, image, manifest.config.digest))
    assert config["rootfs"]["diff_ids"] == [str(layer.digest) for layer in manifest.layers]

    result = verify(goship, tmp_path, str(image.ref), keys.other_public)
    assert result.code == 0, result.output
    assert "1 of 2 signature(s) verified" in result.stdout
    assert f"signature 1: verified with {keys.other_public}" in result.stdout
    assert f"signature 0: FAILED: the signature does not verify with {keys.other_public}" in result.stdout

    both = json.loads(verify(goship, tmp_path, str(image.ref), keys.public, keys.other_public,
                             json_output=True).stdout)
    assert [(item["layer"], item["verified"], item["key"]) for item in both["signatures"]] == [
        (0, True, str(keys.public)), (1, True, str(keys.other_public))]
    assert both["signatures"][0]["annotations"] == {"env": "prod", "team": "<core>"}
    payload = read_blob(client, image, manifest.layers[0].digest)
    assert b'"team":"\\u003ccore\\u003e"' in payload  # Go's escaping, as cosign writes it


def test_signing_twice_with_the_same_key_and_payload_adds_nothing(
        goship: Goship, tmp_path: Path, keys: Keys, image: PushedImage, client: RegistryClient) -> None:
    sign(goship, tmp_path, str(image.ref), keys.private)
    before, _ = sig_manifest(client, image)
    again = sign(goship, tmp_path, str(image.ref), keys.private, "--json")
    assert json.loads(again.stdout)["added"] is False
    assert sig_manifest(client, image)[0] == before
    sign(goship, tmp_path, str(image.ref), keys.private, "-a", "run=2")  # another payload: a new layer
    assert len(sig_manifest(client, image)[1].layers) == 2


def test_an_index_is_signed_as_the_index(
        goship: Goship, tmp_path: Path, keys: Keys, image: PushedImage, client: RegistryClient) -> None:
    index = Index((Descriptor(mediatypes.OCI_MANIFEST, image.digest, len(image.manifest)),)).to_bytes()
    index_ref = image.ref.with_tag("multi")
    index_digest = client.put_manifest(index_ref, index, mediatypes.OCI_INDEX)
    sign(goship, tmp_path, str(index_ref), keys.private)
    assert client.head_manifest(image.ref.with_tag(signature_tag(index_digest))) is not None
    assert client.head_manifest(image.ref.with_tag(signature_tag(image.digest))) is None
    assert verify(goship, tmp_path, str(index_ref), keys.public).code == 0


def test_a_wrong_password_is_refused_before_anything_is_pushed(
        goship: Goship, tmp_path: Path, keys: Keys, image: PushedImage, client: RegistryClient) -> None:
    result = run(goship, tmp_path, "sign", str(image.ref), "--key", str(keys.private),
                 env={"GOSHIP_PASSWORD": "wrong"})
    assert_rejected(result, f"decrypting {keys.private}: wrong password")
    assert client.head_manifest(image.ref.with_tag(signature_tag(image.digest))) is None


@pytest.mark.parametrize(("name", "content", "message"), [
    ("absent.key", None, "no such file"),
    ("", None, "it is a directory"),
    ("bad.key", "not a key", "no PEM block"),
])
def test_a_missing_or_malformed_key_is_a_clear_error(goship: Goship, tmp_path: Path, image: PushedImage,
                                                     name: str, content: str | None, message: str) -> None:
    key = tmp_path / name
    if content is not None:
        key.write_text(content)
    # no password in the environment and no terminal: the key file is named first
    result = goship("sign", str(image.ref), "--key", str(key), cwd=tmp_path)
    assert_rejected(result, f"reading {key}: {message}")
    result = run(goship, tmp_path, "verify-signature", str(image.ref), "--key", str(key))
    assert_rejected(result, f"reading {key}")


def test_without_a_password_and_a_terminal_signing_stops_with_a_clear_error(
        goship: Goship, tmp_path: Path, keys: Keys, image: PushedImage) -> None:
    result = goship("sign", str(image.ref), "--key", str(keys.private), cwd=tmp_path)
    assert_rejected(result, f"no password for {keys.private}", "GOSHIP_PASSWORD")


def test_keygen_refuses_to_replace_keys_without_force(goship: Goship, tmp_path: Path) -> None:
    assert run(goship, tmp_path, "keygen").code == 0
    before = (tmp_path / "cosign.pub").read_bytes()
    refused = run(goship, tmp_path, "keygen")
    assert refused.code == 2, refused.output
    assert "cosign.key and cosign.pub already exist" in refused.stderr
    assert (tmp_path / "cosign.pub").read_bytes() == before
    assert run(goship, tmp_path, "keygen", "--force").code == 0
    assert (tmp_path / "cosign.pub").read_bytes() != before


def test_a_registry_that_refuses_the_signature_tag_leaves_nothing_behind(
        goship: Goship, tmp_path: Path, keys: Keys, registry_token: RunningRegistry) -> None:
    assert registry_token.username and registry_token.password
    assert registry_token.reader_username and registry_token.reader_password
    pusher = RegistryClient(RegistryOptions(retries=1, backoff=0.01),
                            StaticKeychain.from_username_password(registry_token.username,
                                                                  registry_token.password))
    with pusher:
        image = push_sample_image(pusher, Reference.parse(
            f"{registry_token.host}/{unique_repository('signing')}:v1"))
        result = run(goship, tmp_path, "sign", str(image.ref), "--key", str(keys.private),
                     env={"GOSHIP_REGISTRY_USERNAME": registry_token.reader_username,
                          "GOSHIP_REGISTRY_PASSWORD": registry_token.reader_password})
        assert result.code == AUTH, result.output
        assert "Traceback" not in result.output
        assert registry_token.host in result.stderr
        assert "\nhint: " in result.stderr
        assert registry_token.reader_password not in result.output
        tag = signature_tag(image.digest)
        assert client_tags(pusher, image.ref) == ["v1"]
        assert pusher.head_manifest(image.ref.with_tag(tag)) is None


def client_tags(client: RegistryClient, ref: Reference) -> list[str]:
    return sorted(client.list_tags(ref))


PROMOTE_TOML = """
[environments.prod]
repository = "{host}/{repository}-prod"
"""


def test_promotion_requires_a_verifying_signature_and_carries_it(
        goship: Goship, tmp_path: Path, keys: Keys, image: PushedImage, client: RegistryClient,
        registry_plain: RunningRegistry) -> None:
    (tmp_path / "goship.toml").write_text(PROMOTE_TOML.format(host=registry_plain.host,
                                                              repository=image.ref.repository))
    target = Reference.parse(f"{registry_plain.host}/{image.ref.repository}-prod:v1")
    promote = ("promote", str(image.ref), "--to", "prod", "--tag", "v1",
               "--require-signature", str(keys.other_public), "--require-signature", str(keys.public))

    refused = run(goship, tmp_path, *promote)
    assert_rejected(refused, f"no signatures: tag {signature_tag(image.digest)} not found")
    assert client.head_manifest(target) is None
    assert client.head_manifest(target.with_digest(image.digest)) is None

    sign(goship, tmp_path, str(image.ref), keys.other_private)  # not a signature promote accepts ...
    sign(goship, tmp_path, str(image.ref), keys.private)
    one_key = run(goship, tmp_path, "promote", str(image.ref), "--to", "prod", "--tag", "v1",
                  "--require-signature", str(keys.public), "--no-referrers")
    assert one_key.code == 0, one_key.output  # ... but one that verifies is enough
    assert f"verified with {keys.public}" in one_key.stderr

    promoted = run(goship, tmp_path, *promote, "--json")
    assert promoted.code == 0, promoted.output
    report = json.loads(promoted.stdout)
    assert any(item["tag"] == signature_tag(image.digest) for item in report["referrers"])
    assert client.head_manifest(target) == (mediatypes.OCI_MANIFEST, image.digest, len(image.manifest))
    at_target = verify(goship, tmp_path, str(target), keys.public, keys.other_public, json_output=True)
    assert at_target.code == 0, at_target.output
    assert [item["verified"] for item in json.loads(at_target.stdout)["signatures"]] == [True, True]


def test_promotion_refuses_an_image_signed_only_by_another_key(
        goship: Goship, tmp_path: Path, keys: Keys, image: PushedImage, client: RegistryClient,
        registry_plain: RunningRegistry) -> None:
    (tmp_path / "goship.toml").write_text(PROMOTE_TOML.format(host=registry_plain.host,
                                                              repository=image.ref.repository))
    sign(goship, tmp_path, str(image.ref), keys.other_private)
    refused = run(goship, tmp_path, "promote", str(image.ref), "--to", "prod", "--tag", "v1",
                  "--require-signature", str(keys.public))
    assert_rejected(refused, f"signature 0: the signature does not verify with {keys.public}")
    target = Reference.parse(f"{registry_plain.host}/{image.ref.repository}-prod:v1")
    assert client.head_manifest(target) is None
