"""A Go service with a known-vulnerable dependency, as a git work tree goship builds, and
what the supply-chain tests of `goship build` and `goship release` read back.

The dependency is a vendored stand-in of golang.org/x/crypto at a version before the fix of
GO-2022-0229 (tests.fixtures.gomodules), so the build needs no network; the vulnerability
database is the test copy of the Go vulnerability database's v1 layout.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
from tests.conftest import Goship, git
from tests.fixtures.gomodules import Dependency, write_program
from tests.fixtures.registry import RunningRegistry

TESTDB = Path(__file__).resolve().parents[2] / "unit" / "supply" / "scan" / "govulndb"
CRYPTO = "golang.org/x/crypto"
CRYPTO_OLD = "v0.0.0-20190308221718-c2843e01d9a2"  # affected by GO-2022-0229
VULNERABILITY = "GO-2022-0229"
NAME = "vulnapp"
PASSWORD = "build signing"
COMMIT_DATE = "2024-10-01T12:00:00Z"
ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])
CONFIG = f'''[[images]]
name = "{NAME}"
package = "."

[scan]
db = "{TESTDB}"
'''
WAIVER = f'''
[[scan.waiver]]
id = "{VULNERABILITY}"
reason = "the service parses no X.509 input"
expires = 2999-12-31
'''


def make_template(root: Path, base_env: dict[str, str]) -> Path:
    """The service's source with the dependency vendored (made once per module: Go resolves it)."""
    directory = root / "template"
    write_program(directory, [Dependency(CRYPTO, CRYPTO_OLD, "cryptobyte")], env=base_env,
                  module="example.com/vulnapp", vendor=True)
    return directory


def make_project(template: Path, target: Path, config: str = CONFIG) -> Path:
    """A copy of the service with ``config`` as goship.toml, committed in a fresh repository
    whose origin names the source (the image standard wants that label)."""
    shutil.copytree(template, target)
    (target / "goship.toml").write_text(config)
    git(target, "init", "-q", "-b", "main")
    git(target, "config", "user.name", "Release Bot")
    git(target, "config", "user.email", "release@example.com")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "feat: a service with a dependency",
        env={"GIT_AUTHOR_DATE": COMMIT_DATE, "GIT_COMMITTER_DATE": COMMIT_DATE})
    git(target, "remote", "add", "origin", "git@github.com:example/vulnapp.git")
    return target


def commit_all(directory: Path, message: str) -> None:
    git(directory, "add", "-A")
    git(directory, "commit", "-q", "-m", message,
        env={"GIT_AUTHOR_DATE": COMMIT_DATE, "GIT_COMMITTER_DATE": COMMIT_DATE})


def make_keys(goship: Goship, directory: Path) -> tuple[Path, Path]:
    """A cosign key pair made by `goship keygen`, encrypted with PASSWORD."""
    directory.mkdir(parents=True, exist_ok=True)
    made = goship("keygen", "--output-key-prefix", str(directory / "cosign"), cwd=directory,
                  env={"GOSHIP_PASSWORD": PASSWORD})
    assert made.code == 0, made.output
    return directory / "cosign.key", directory / "cosign.pub"


def repository_stored(registry: RunningRegistry, repository: str) -> bool:
    """Whether the registry holds anything for ``repository``: a blob link, an upload, a
    manifest or a tag all live under its directory in the registry's storage."""
    assert registry.storage is not None
    return (registry.storage / "docker" / "registry" / "v2" / "repositories" / repository).exists()


def tags_of(registry: RunningRegistry, repository: str) -> list[str]:
    listing = httpx.get(f"{registry.url}/v2/{repository}/tags/list")
    if listing.status_code == 404:
        return []
    listing.raise_for_status()
    return sorted(listing.json().get("tags") or [])


def manifest(registry: RunningRegistry, repository: str, reference: str) -> dict[str, Any]:
    answer = httpx.get(f"{registry.url}/v2/{repository}/manifests/{reference}", headers={"Accept": ACCEPT})
    answer.raise_for_status()
    return json.loads(answer.content)


def blob(registry: RunningRegistry, repository: str, digest: str) -> bytes:
    answer = httpx.get(f"{registry.url}/v2/{repository}/blobs/{digest}", follow_redirects=True)
    answer.raise_for_status()
    return answer.content


def attached_sbom(registry: RunningRegistry, repository: str, digest: str) -> bytes:
    """The document under cosign's ``sha256-<hex>.sbom`` tag of ``digest``."""
    stored = manifest(registry, repository, digest.replace(":", "-") + ".sbom")
    assert [layer["mediaType"] for layer in stored["layers"]] == ["application/vnd.cyclonedx+json"]
    return blob(registry, repository, stored["layers"][0]["digest"])


def library_components(document: bytes) -> set[tuple[str, str]]:
    """(name, version) of every library a CycloneDX document lists, the stdlib included."""
    return {(item["name"], item.get("version", "")) for item in json.loads(document)["components"]
            if item["type"] == "library"}
