"""References and platforms: what users type, normalised or refused."""

from __future__ import annotations

import pytest

from goship.errors import UsageError
from goship.oci.platform import Platform
from goship.oci.reference import Reference


@pytest.mark.parametrize(
    ("text", "registry", "repository", "tag"),
    [
        ("alpine", "docker.io", "library/alpine", "latest"),
        ("team/api:v1", "docker.io", "team/api", "v1"),
        ("127.0.0.1:5000/team/api", "127.0.0.1:5000", "team/api", "latest"),
        ("localhost/api:1.2.3", "localhost", "api", "1.2.3"),
        ("ghcr.io/org/sub/api:v1.0.0-rc.1", "ghcr.io", "org/sub/api", "v1.0.0-rc.1"),
        ("[::1]:5000/api", "[::1]:5000", "api", "latest"),
    ],
)
def test_references_are_normalised(text: str, registry: str, repository: str, tag: str) -> None:
    ref = Reference.parse(text)
    assert (ref.registry, ref.repository, ref.tag) == (registry, repository, tag)


def test_digest_reference_keeps_tag_and_digest() -> None:
    digest = "sha256:" + "a" * 64
    ref = Reference.parse(f"ghcr.io/org/api:v1@{digest}")
    assert ref.tag == "v1" and str(ref.digest) == digest
    assert ref.identifier == digest
    assert str(ref) == f"ghcr.io/org/api:v1@{digest}"


def test_docker_hub_api_host() -> None:
    assert Reference.parse("alpine").api_host == "registry-1.docker.io"
    assert Reference.parse("127.0.0.1:5000/a").api_host == "127.0.0.1:5000"


@pytest.mark.parametrize("text", ["", "UPPER/case", "a//b", "a:b:c", "api:-x", "api@sha256:12",
                                  "host:5000/", " api", "api:" + "x" * 129])
def test_bad_references_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError) as error:
        Reference.parse(text)
    assert error.value.hint


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("linux/amd64", Platform("linux", "amd64")),
        ("linux/arm", Platform("linux", "arm", "v7")),
        ("linux/arm/v6", Platform("linux", "arm", "v6")),
        ("Linux/ARM64", Platform("linux", "arm64")),
        ("windows/amd64", Platform("windows", "amd64")),
        ("windows/amd64:10.0.20348", Platform("windows", "amd64", os_version="10.0.20348")),
    ],
)
def test_platforms_parse(text: str, expected: Platform) -> None:
    assert Platform.parse(text) == expected


@pytest.mark.parametrize("text", ["linux", "linux/", "darwin/arm64", "linux/sparc", "linux/arm/v9",
                                  "windows/ppc64le", "a/b/c/d"])
def test_unknown_platforms_are_refused(text: str) -> None:
    with pytest.raises(UsageError, match="platform"):
        Platform.parse(text)


def test_platform_matching_ignores_missing_variant_but_not_a_different_one() -> None:
    image = Platform("linux", "arm64")
    assert image.matches(Platform("linux", "arm64", "v8"))
    assert not Platform("linux", "arm", "v6").matches(Platform("linux", "arm", "v7"))
    assert not Platform("linux", "amd64").matches(Platform("windows", "amd64"))
