"""What the promotion, tags and verify tests share: a released examples/hello built for three
platforms by the real `goship build`, registries that keep an access log, and signature-like
manifests pushed beside an image as cosign and OCI 1.1 clients push them."""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import Goship, copy_example, git
from tests.fixtures.registry import RegistryProcess, RunningRegistry, registry_binary
from tests.fixtures.tools import missing

from goship.oci import mediatypes
from goship.oci.digest import Digest
from goship.oci.manifest import Descriptor, Index, Manifest
from goship.oci.reference import Reference
from goship.registry import RegistryClient

VERSION = "1.2.3"
PLATFORMS = ("linux/amd64", "linux/arm64", "linux/arm/v7")
COMMIT_DATE = "2024-10-01T12:00:00Z"
ACCESS_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3}) ')


@dataclass(frozen=True)
class Release:
    project: Path
    source: str  # REGISTRY/REPO of the build
    digest: str  # of the index pushed as source:v1.2.3
    commit: str


def release_project(directory: Path, toml_tail: str) -> Path:
    """examples/hello with ``toml_tail`` appended to goship.toml, committed, tagged v1.2.3."""
    project = copy_example(directory, commit=False)
    (project / "goship.toml").write_text((project / "goship.toml").read_text() + toml_tail)
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "release", env={"GIT_AUTHOR_DATE": COMMIT_DATE,
                                                         "GIT_COMMITTER_DATE": COMMIT_DATE})
    git(project, "remote", "add", "origin", "git@github.com:example/hello.git")
    git(project, "tag", f"v{VERSION}")
    return project


def build_release(goship: Goship, project: Path, source: str) -> Release:
    """`goship build` for three platforms, pushed as SOURCE:v1.2.3."""
    result = goship("build", "--platform", ",".join(PLATFORMS), "--push", source,
                    "--tag", f"v{VERSION}", "--json", cwd=project)
    assert result.code == 0, result.output
    [image] = json.loads(result.stdout)["images"]
    return Release(project, source, image["digest"], git(project, "rev-parse", "HEAD"))


@contextmanager
def logged_registry(workdir: Path, flavour: str = "plain") -> Iterator[RunningRegistry]:
    """A registry of its own that writes an access log (one line per request)."""
    binary = registry_binary()
    if binary is None:
        missing("docker-registry is not installed")
    assert binary is not None
    process = RegistryProcess(workdir, tls=flavour == "tls", htpasswd=flavour == "tls",
                              token=False, access_log=True)
    try:
        yield process.start(binary)
    finally:
        process.stop()


def requests_to(registry: RunningRegistry, repository: str) -> list[tuple[str, str, int]]:
    """(method, path, status) of every request the registry logged for ``repository``."""
    assert registry.log_file is not None
    found = []
    for line in registry.log_file.read_text(errors="replace").splitlines():
        match = ACCESS_LINE.search(line)
        if match and match.group("path").startswith(f"/v2/{repository}/"):
            found.append((match.group("method"), match.group("path"), int(match.group("status"))))
    return found


def blob_uploads(registry: RunningRegistry, repository: str) -> list[tuple[str, str, int]]:
    """The requests that carry blob bytes into ``repository`` (PATCH or PUT of an upload
    session), and upload sessions opened without a mount."""
    return [(method, path, status) for method, path, status in requests_to(registry, repository)
            if "/blobs/uploads/" in path and (method in ("PATCH", "PUT")
                                              or (method == "POST" and "mount=" not in path))]


def stored_blobs(registry: RunningRegistry) -> int:
    """Blob files in the registry's storage: a mount adds a link, never a blob."""
    assert registry.storage is not None
    return len(list((registry.storage / "docker/registry/v2/blobs").glob("*/*/*")))


def _push_blob(client: RegistryClient, repository: Reference, data: bytes) -> Descriptor:
    digest = Digest.of_bytes(data)
    client.upload_blob(repository, digest, len(data), lambda: io.BytesIO(data))
    return Descriptor(mediatypes.OCI_CONFIG, digest, len(data))


def push_cosign_attachment(client: RegistryClient, repository: Reference, subject: str,
                           suffix: str) -> str:
    """A manifest as cosign pushes it under ``sha256-<hex><suffix>``; returns its digest."""
    payload = json.dumps({"critical": {"image": {"docker-manifest-digest": subject}},
                          "kind": suffix}).encode()
    config = _push_blob(client, repository, json.dumps(
        {"architecture": "", "os": "", "rootfs": {"type": "layers", "diff_ids": [
            str(Digest.of_bytes(payload))]}, "config": {}}).encode())
    layer = _push_blob(client, repository, payload)
    manifest = Manifest(
        config=config,
        layers=(Descriptor("application/vnd.dev.cosign.simplesigning.v1+json", layer.digest, layer.size,
                           annotations=(("dev.cosignproject.cosign/signature", "MEUCIQ=="),)),),
    ).to_bytes()
    tag = subject.replace(":", "-") + suffix
    return str(client.put_manifest(repository.with_tag(tag), manifest, mediatypes.OCI_MANIFEST))


def push_referrer_with_fallback(client: RegistryClient, repository: Reference, subject: str,
                                subject_size: int) -> str:
    """An SBOM as an OCI 1.1 referrer of ``subject``, and (the registry having no referrers
    API) the fallback index under ``sha256-<hex>``; returns the referrer's digest."""
    empty = _push_blob(client, repository, b"{}")
    sbom = _push_blob(client, repository, b'{"spdxVersion": "SPDX-2.3", "name": "hello"}')
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": mediatypes.OCI_MANIFEST,
        "artifactType": "application/spdx+json",
        "config": {"mediaType": mediatypes.OCI_EMPTY, "digest": str(empty.digest), "size": 2},
        "layers": [{"mediaType": "application/spdx+json", "digest": str(sbom.digest), "size": sbom.size}],
        "subject": {"mediaType": mediatypes.OCI_INDEX, "digest": subject, "size": subject_size},
    }, separators=(",", ":")).encode()
    digest = client.put_manifest(repository.with_digest(Digest.of_bytes(manifest)), manifest,
                                 mediatypes.OCI_MANIFEST)
    index = Index((Descriptor(mediatypes.OCI_MANIFEST, digest, len(manifest),
                              artifact_type="application/spdx+json"),)).to_bytes()
    client.put_manifest(repository.with_tag(subject.replace(":", "-")), index, mediatypes.OCI_INDEX)
    return str(digest)


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()
