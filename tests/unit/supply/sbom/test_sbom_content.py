"""What an SBOM lists for hand-made Go build information: modules as built, replacements,
the standard library, build settings, sharing between binaries, time and identity."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from packageurl import PackageURL
from tests.unit.supply.sbom.handmade import (
    AMD64,
    ARM64,
    INDEX,
    binary,
    build_info,
    components,
    depends,
    document,
    go_sum,
    image,
    module,
    on_disk,
    properties,
    sha256_of_sum,
)

from goship.errors import ExitCode
from goship.gobinary.moduleinfo import BuildInfo, Module
from goship.gobinary.subject import GoBinary, Skipped, Subject
from goship.supply.sbom import NoGoBinaryError, PlatformNotFoundError, make_documents
from goship.supply.sbom.identity import go_release, h1_sha256, is_directory, module_purl


def test_purls_keep_the_module_path_case_and_percent_encode_the_version() -> None:
    toml = module_purl("github.com/BurntSushi/toml", "v1.2.1")
    assert toml == "pkg:golang/github.com/BurntSushi/toml@v1.2.1"
    purl = module_purl("github.com/docker/docker", "v20.10.0+incompatible")
    assert purl == "pkg:golang/github.com/docker/docker@v20.10.0%2Bincompatible"
    parsed = PackageURL.from_string(purl)
    assert (parsed.namespace, parsed.name, parsed.version) == ("github.com/docker", "docker",
                                                              "v20.10.0+incompatible")
    assert module_purl("example.com/app", "(devel)", "cmd/app") == "pkg:golang/example.com/app#cmd/app"
    assert module_purl("./local/dir", "") == ""


def test_an_h1_sum_gives_the_sha256_it_encodes_and_nothing_else_does() -> None:
    value = go_sum("module")
    assert h1_sha256(value) == sha256_of_sum(value) and len(h1_sha256(value)) == 64
    for other in ("", "h1:", "h1:not base64!", "h2:" + value[3:], "h1:AAAA"):
        assert h1_sha256(other) == ""


def test_go_versions_give_the_stdlib_version_and_its_purl_version() -> None:
    assert go_release("go1.25.5") == ("go1.25.5", "1.25.5")
    assert go_release("go1.25.5 X:boringcrypto") == ("go1.25.5", "1.25.5")
    assert go_release("go1.26rc1") == ("go1.26rc1", "1.26rc1")
    assert go_release("devel go1.26-abcdef") == ("devel", "")


@pytest.mark.parametrize("path", ["./local", "../fork", "/abs/fork", ".", "C:\\src\\fork", "..\\fork"])
def test_directory_replacements_are_recognised(path: str) -> None:
    assert is_directory(path)
    assert not is_directory("example.com/fork")


def test_every_module_appears_as_built_with_purl_version_and_h1_hash() -> None:
    toml = module("github.com/BurntSushi/toml", "v1.2.1")
    fork = module("example.com/fork", "v1.0.1")
    replaced = Module("example.com/orig", "v1.0.0", "", fork)
    local = Module("example.com/local", "v1.0.0", "", Module("./local/dir", "(devel)"))
    bom = document([on_disk(build_info(toml, replaced, local))])
    found = components(bom)

    library = {item["bom-ref"]: item for item in found.values() if item["type"] == "library"}
    assert set(library) == {"pkg:golang/github.com/BurntSushi/toml@v1.2.1",
                            "pkg:golang/example.com/fork@v1.0.1",
                            "pkg:golang/example.com/local => ./local/dir", "pkg:golang/stdlib@1.25.5"}
    plain = library["pkg:golang/github.com/BurntSushi/toml@v1.2.1"]
    assert (plain["name"], plain["version"], plain["purl"]) == (
        "github.com/BurntSushi/toml", "v1.2.1", "pkg:golang/github.com/BurntSushi/toml@v1.2.1")
    assert plain["hashes"] == [{"alg": "SHA-256", "content": sha256_of_sum(toml.sum)}]
    assert ("goship:module:h1", toml.sum) in properties(plain)
    # A module replaced by another appears as the replacement, remembering the original.
    forked = library["pkg:golang/example.com/fork@v1.0.1"]
    assert (forked["name"], forked["version"]) == ("example.com/fork", "v1.0.1")
    assert forked["hashes"] == [{"alg": "SHA-256", "content": sha256_of_sum(fork.sum)}]
    assert {("goship:module:replaced-path", "example.com/orig"),
            ("goship:module:replaced-version", "v1.0.0")} <= set(properties(forked))
    assert not any(item["name"] == "example.com/orig" for item in found.values())
    # A directory replacement has no version, no hash, and a purl without a version.
    directory = library["pkg:golang/example.com/local => ./local/dir"]
    assert directory["name"] == "example.com/local" and "version" not in directory
    assert "hashes" not in directory and directory["purl"] == "pkg:golang/example.com/local"
    assert ("goship:module:replacement-directory", "./local/dir") in properties(directory)
    # The standard library, at the binary's Go version.
    stdlib = library["pkg:golang/stdlib@1.25.5"]
    assert (stdlib["name"], stdlib["version"], stdlib["purl"]) == (
        "stdlib", "go1.25.5", "pkg:golang/stdlib@1.25.5")


def test_the_binary_carries_its_build_settings_main_module_and_file_hash() -> None:
    info = build_info(module("golang.org/x/text", "v0.14.0"))
    subject = on_disk(info, "/home/someone/out/app")
    bom = document([subject])
    root = bom["metadata"]["component"]
    assert root["type"] == "application"
    assert (root["name"], root["version"]) == ("example.com/app", "v1.2.3")
    assert root["purl"] == "pkg:golang/example.com/app@v1.2.3#cmd/app"
    assert root["hashes"] == [{"alg": "SHA-256", "content": subject.binaries[0].sha256}]
    found = dict(properties(root))
    assert found["goship:build:GOOS"] == "linux" and found["goship:build:GOARCH"] == "amd64"
    assert found["goship:build:CGO_ENABLED"] == "0"
    assert found["goship:build:vcs.revision"] == "0123456789abcdef0123456789abcdef01234567"
    assert found["goship:build:vcs.time"] == "2024-10-01T12:00:00Z"
    assert found["goship:build:vcs.modified"] == "false"
    assert found["goship:build:-ldflags"] == "-s -w -X main.version=1.2.3"
    assert found["goship:go:version"] == "go1.25.5"
    assert found["goship:go:package"] == "example.com/app/cmd/app"
    # The file's name, not where it lay on this machine: the document must not depend on it.
    assert found["goship:binary:path"] == "app"
    assert depends(bom)[root["bom-ref"]] == ["pkg:golang/golang.org/x/text@v0.14.0",
                                             "pkg:golang/stdlib@1.25.5"]


def test_a_module_version_shared_by_binaries_is_one_component_that_each_depends_on() -> None:
    shared = module("golang.org/x/text", "v0.14.0")
    api = binary("/app/api", build_info(shared, module("example.com/only-api", "v1.0.0")))
    worker = binary("/app/worker", build_info(shared, module("example.com/only-api", "v1.1.0"),
                                              go="go1.24.2", package="example.com/app/cmd/worker"))
    bom = document([image(AMD64, "linux/amd64", api, worker, index=None)])
    found = components(bom)
    assert [ref for ref in found if "x/text" in ref] == ["pkg:golang/golang.org/x/text@v0.14.0"]
    graph = depends(bom)
    assert "pkg:golang/golang.org/x/text@v0.14.0" in graph["binary:linux/amd64:/app/api"]
    assert "pkg:golang/golang.org/x/text@v0.14.0" in graph["binary:linux/amd64:/app/worker"]
    # Different versions stay apart, and so do the standard libraries of two Go versions.
    assert "pkg:golang/example.com/only-api@v1.0.0" in graph["binary:linux/amd64:/app/api"]
    assert "pkg:golang/example.com/only-api@v1.1.0" in graph["binary:linux/amd64:/app/worker"]
    assert "pkg:golang/stdlib@1.24.2" in graph["binary:linux/amd64:/app/worker"]
    assert "pkg:golang/stdlib@1.25.5" not in graph["binary:linux/amd64:/app/worker"]
    # The image is described and contains both binaries; modules are not given a (false)
    # empty list of dependencies: theirs are unknown.
    root = bom["metadata"]["component"]
    assert (root["type"], root["version"]) == ("container", AMD64)
    assert graph[root["bom-ref"]] == ["binary:linux/amd64:/app/api", "binary:linux/amd64:/app/worker"]
    assert set(graph) == {root["bom-ref"], "binary:linux/amd64:/app/api", "binary:linux/amd64:/app/worker"}


def test_an_index_gives_one_document_for_every_platform_and_one_per_platform_to_attach() -> None:
    text = module("golang.org/x/text", "v0.14.0")
    amd64 = image(AMD64, "linux/amd64", binary("/app/api", build_info(text)),
                  skipped=(Skipped("/bin/busybox", "not a Go program"),))
    arm64 = image(ARM64, "linux/arm64", binary("/app/api", build_info(text, goarch="arm64")))
    whole = document([amd64, arm64])
    root = whole["metadata"]["component"]
    assert (root["name"], root["version"]) == ("registry.example.com/team/hello", INDEX)
    assert root["purl"] == ("pkg:oci/hello@sha256:" + "1" * 64
                            + "?repository_url=registry.example.com/team/hello")
    graph = depends(whole)
    assert graph[root["bom-ref"]] == [f"image:linux/amd64@{AMD64}", f"image:linux/arm64@{ARM64}"]
    assert graph[f"image:linux/arm64@{ARM64}"] == ["binary:linux/arm64:/app/api"]
    found = components(whole)
    skipped = ("goship:skipped", "/bin/busybox: not a Go program")
    assert skipped in properties(found[f"image:linux/amd64@{AMD64}"])
    assert [ref for ref in found if "x/text" in ref] == ["pkg:golang/golang.org/x/text@v0.14.0"]

    documents = make_documents([amd64, arm64], "cyclonedx", tool_version="0.1.0", per_platform=True)
    assert [(item.subject_digest, item.platform) for item in documents] == [
        (INDEX, ""), (AMD64, "linux/amd64"), (ARM64, "linux/arm64")]
    [chosen] = make_documents([amd64, arm64], "cyclonedx", tool_version="0.1.0", platform="linux/arm64")
    assert (chosen.subject_digest, chosen.platform, chosen.binaries, chosen.modules) == (
        ARM64, "linux/arm64", 1, 1)


def test_a_platform_the_image_lacks_is_a_usage_error_naming_those_it_has() -> None:
    subjects = [image(AMD64, "linux/amd64", binary("/app/api", build_info()))]
    with pytest.raises(PlatformNotFoundError) as caught:
        make_documents(subjects, "spdx", tool_version="0.1.0", platform="linux/s390x")
    assert "linux/s390x" in caught.value.message and "linux/amd64" in caught.value.message
    assert caught.value.exit_code == ExitCode.USAGE


def test_a_platform_without_its_variant_finds_the_one_image_of_that_architecture() -> None:
    arm = [image(AMD64, "linux/arm/v6", binary("/app/api", build_info(goarch="arm"))),
           image(ARM64, "linux/arm/v7", binary("/app/api", build_info(goarch="arm"))),
           image("sha256:" + "c" * 64, "linux/arm64/v8", binary("/app/api", build_info(goarch="arm64")))]
    [chosen] = make_documents(arm, "cyclonedx", tool_version="0.1.0", platform="linux/arm64")
    assert chosen.platform == "linux/arm64/v8"
    [exact] = make_documents(arm, "cyclonedx", tool_version="0.1.0", platform="linux/arm/v7")
    assert exact.subject_digest == ARM64
    with pytest.raises(PlatformNotFoundError) as caught:
        make_documents(arm, "cyclonedx", tool_version="0.1.0", platform="linux/arm")
    assert "linux/arm/v6, linux/arm/v7" in caught.value.message


def test_a_source_without_go_programs_is_refused_with_what_was_found() -> None:
    subject = Subject("registry.example.com/c:v1", "linux/amd64", AMD64, None, (),
                      (Skipped("/usr/bin/curl", "not a Go program"),))
    with pytest.raises(NoGoBinaryError) as caught:
        make_documents([subject], "cyclonedx", tool_version="0.1.0")
    assert caught.value.exit_code == ExitCode.IMAGE
    assert "/usr/bin/curl: not a Go program" in caught.value.message


def test_the_time_is_the_given_one_else_the_latest_commit_time_else_the_epoch() -> None:
    info = build_info()
    given = datetime(2025, 3, 4, 5, 6, 7, 890, tzinfo=UTC)
    assert document([on_disk(info)], created=given)["metadata"]["timestamp"] == "2025-03-04T05:06:07+00:00"
    later = build_info(vcs_time="2025-01-02T03:04:05Z")
    newer = image(AMD64, "linux/amd64", binary("/a", info), binary("/b", later), index=None)
    assert document([newer])["metadata"]["timestamp"] == "2025-01-02T03:04:05+00:00"
    untracked = BuildInfo("go1.25.5", "example.com/app", Module("example.com/app", "(devel)"))
    spdx = document([on_disk(untracked)], "spdx")
    assert spdx["creationInfo"]["created"] == "1970-01-01T00:00:00Z"


def test_the_same_binaries_in_any_order_give_the_same_bytes() -> None:
    deps = [module(f"example.com/m{number}", f"v1.{number}.0") for number in range(12)]
    first = [binary(f"/app/b{number}", build_info(*deps)) for number in range(4)]
    shuffled = random.Random(7).sample(first, len(first))
    shuffled = [GoBinary(item.path, BuildInfo(item.info.go_version, item.info.path, item.info.main,
                                              tuple(random.Random(3).sample(list(deps), len(deps))),
                                              item.info.settings), item.sha256, item.size)
                for item in shuffled]
    for format in ("cyclonedx", "spdx"):
        one = make_documents([image(AMD64, "linux/amd64", *first, index=None)], format,
                             tool_version="0.1.0")
        two = make_documents([image(AMD64, "linux/amd64", *shuffled, index=None)], format,
                             tool_version="0.1.0")
        assert one[0].content == two[0].content


def test_the_serial_number_follows_the_image_and_the_format() -> None:
    info = build_info()
    one = document([image(AMD64, "linux/amd64", binary("/app", info), index=None)])["serialNumber"]
    again = document([image(AMD64, "linux/amd64", binary("/app", info), index=None)])["serialNumber"]
    other = document([image(ARM64, "linux/amd64", binary("/app", info), index=None)])["serialNumber"]
    spdx = document([image(AMD64, "linux/amd64", binary("/app", info), index=None)], "spdx")
    assert one == again != other
    assert spdx["documentNamespace"] != one and spdx["documentNamespace"].startswith("urn:uuid:")
