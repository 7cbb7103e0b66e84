"""The built-image rules (GS6xx) on small images made with goship's own oci module.

Every rule has a failing and a passing example; ``covers`` records which rules a test
exercises, and the last test checks that no rule of RULES is left without one. Opening
sources, settings and layer reading are tested in test_image_source.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from goship.oci import mediatypes
from goship.oci.blobstore import ForeignLayer
from goship.oci.digest import Digest
from goship.oci.layer import TarEntry
from goship.oci.manifest import Descriptor
from goship.oci.windows import windows_entries
from goship.policy.image_checks import is_rfc3339, is_semver, root_reason, secret_name, tag_matches_version
from goship.policy.image_rules import RULES
from goship.policy.interface import PolicySettings, Severity
from goship.policy.spdx import expression_problem

from .image_builder import APP, BASE, COMMIT, GOOD_LABELS, Builder, check, messages, rules

COVERED: set[str] = set()
F = TypeVar("F", bound=Callable[..., Any])


def covers(*rule_ids: str) -> Callable[[F], F]:
    def mark(test: F) -> F:
        COVERED.update(rule_ids)
        return test

    return mark


@pytest.fixture
def build(tmp_path: Path) -> Builder:
    return Builder(tmp_path / "blobs")


# ------------------------------------------------------------------------ a good image


def test_a_well_built_image_has_only_the_healthcheck_note(build: Builder) -> None:
    findings = check(build.image())
    assert [(f.rule, f.severity) for f in findings] == [("GS617", Severity.INFO)]
    assert findings[0].location.path == "oci:test"
    assert findings[0].message.startswith("linux/amd64: ")


# ------------------------------------------------------------------------ config rules


@covers("GS601")
@pytest.mark.parametrize("user", ["", "0", "root", "0:0", "root:root", ":1000"])
def test_root_users_are_errors(build: Builder, user: str) -> None:
    findings = check(build.image(user=user or None))
    assert rules(findings, Severity.ERROR) == {"GS601"}


@pytest.mark.parametrize("user", ["65532:65532", "nonroot", "1000", "1000:0"])
def test_other_users_pass(user: str) -> None:
    assert root_reason(user, windows=False) is None


@pytest.mark.parametrize(("user", "is_root"), [("", True), ("ContainerAdministrator", True),
                                               ("containeradministrator", True), ("ContainerUser", False)])
def test_windows_users(user: str, is_root: bool) -> None:
    assert (root_reason(user, windows=True) is not None) is is_root


@covers("GS602")
def test_a_missing_required_label_is_an_error(build: Builder) -> None:
    labels = {k: v for k, v in GOOD_LABELS.items() if not k.endswith("revision")}
    findings = check(build.image(labels=labels))
    assert messages(findings, "GS602") == ["linux/amd64: lacks the label org.opencontainers.image.revision"]
    assert rules(findings, Severity.WARNING) == {"GS602"}


def test_an_annotation_counts_as_the_label_and_required_labels_are_configurable(build: Builder) -> None:
    labels = {k: v for k, v in GOOD_LABELS.items() if not k.endswith("revision")}
    image = build.image(labels=labels, annotations={"org.opencontainers.image.revision": COMMIT})
    assert rules(check(image), Severity.WARNING) == set()
    settings = PolicySettings(required_labels=("org.opencontainers.image.vendor",))
    assert messages(check(image, settings), "GS602") == [
        "linux/amd64: lacks the label org.opencontainers.image.vendor"]


@covers("GS603")
@pytest.mark.parametrize(("key", "value"), [
    ("created", "yesterday"), ("created", "2024-02-30T00:00:00Z"), ("created", "2024-10-01 12:00"),
    ("revision", "abc1234"), ("version", "1.2"), ("version", "latest"),
    ("source", "git@github.com:example/hello.git"), ("licenses", "MIT OR"),
    ("licenses", "Foo-1.0"), ("licenses", "(MIT"), ("licenses", "NOASSERTION"),
])
def test_malformed_label_values_are_errors(build: Builder, key: str, value: str) -> None:
    labels = {**GOOD_LABELS, f"org.opencontainers.image.{key}": value}
    findings = check(build.image(labels=labels), tags=())
    assert rules(findings, Severity.WARNING) == {"GS603"}
    assert f"org.opencontainers.image.{key}" in messages(findings, "GS603")[0]


@pytest.mark.parametrize("value", [
    "2024-10-01T12:00:00Z", "2024-10-01T12:00:00.123456+02:00", "2024-02-29T23:59:60z"])
def test_rfc3339_times(value: str) -> None:
    assert is_rfc3339(value)


@pytest.mark.parametrize("value", ["1.2.3", "v1.2.3", "0.0.0-dev+abc1234", "1.2.3-rc.1+build.5"])
def test_semantic_versions(value: str) -> None:
    assert is_semver(value)


@pytest.mark.parametrize("value", ["MIT", "Apache-2.0 OR MIT", "GPL-2.0-only WITH Classpath-exception-2.0",
                                   "LicenseRef-Acme-Proprietary", "(MIT AND BSD-3-Clause) OR Apache-2.0",
                                   "GPL-2.0+", "mit", "DocumentRef-spdx:LicenseRef-x"])
def test_spdx_expressions(value: str) -> None:
    assert expression_problem(value) is None


def test_good_labels_with_a_64_hex_revision_pass(build: Builder) -> None:
    labels = {**GOOD_LABELS, "org.opencontainers.image.revision": "a" * 64,
              "org.opencontainers.image.licenses": "Apache-2.0 OR MIT"}
    assert rules(check(build.image(labels=labels)), Severity.WARNING) == set()


@covers("GS604")
def test_a_tag_that_is_another_version_is_a_warning(build: Builder) -> None:
    findings = check(build.image(), tags=("v1.2.4",))
    assert messages(findings, "GS604") == ["tag 'v1.2.4' does not match the version label '1.2.3'"]


@pytest.mark.parametrize("tag", ["v1.2.3", "1.2.3", "1.2", "v1", "main", "build-20241001"])
def test_tags_that_name_the_version_or_are_not_versions_pass(build: Builder, tag: str) -> None:
    assert "GS604" not in rules(check(build.image(), tags=(tag,)))


def test_moving_tags_are_prefixes_at_a_dot() -> None:
    assert tag_matches_version("1.2", "1.2.3")
    assert not tag_matches_version("1.2", "1.20.0")
    assert tag_matches_version("0.0.0-dev_abc1234", "0.0.0-dev+abc1234")


@covers("GS605")
def test_the_latest_tag_is_a_warning(build: Builder) -> None:
    findings = check(build.image(), tags=("latest",))
    assert rules(findings, Severity.WARNING) == {"GS605"}
    assert "GS605" not in rules(check(build.image(), tags=("v1.2.3",)))


@covers("GS607")
@pytest.mark.parametrize("variable", [
    "DB_PASSWORD=hunter2", "apiKey=s3cr3t-value", "GITHUB_TOKEN=abc", "DB_PASS=hunter2",
    "HARMLESS=ghp_" + "a" * 36, "DATABASE_URL=postgres://app:hunter2@db:5432/app",
    "KEY_ID=AKIAABCDEFGHIJKLMNOP",
])
def test_secrets_in_the_environment_are_errors_without_showing_them(build: Builder, variable: str) -> None:
    findings = check(build.image(env=["PATH=/bin", variable]))
    assert rules(findings, Severity.WARNING) == {"GS607"}
    secret = variable.partition("=")[2]
    assert all(secret not in f.message and secret not in f.fix for f in findings)


@pytest.mark.parametrize("variable", ["DB_PASSWORD_FILE=/run/secrets/db", "PWD=/app", "SSL_CERT_FILE=/etc/x",
                                      "TOKEN_URL=https://auth.example.com/token", "DB_PASSWORD=",
                                      "GOSHIP_DATA_PATH=/app/data", "SECRET_NAME=db-credentials"])
def test_references_to_secrets_and_empty_values_pass(build: Builder, variable: str) -> None:
    assert "GS607" not in rules(check(build.image(env=["PATH=/bin", variable])))


def test_secret_names() -> None:
    assert secret_name("AWS_SECRET_ACCESS_KEY") and secret_name("clientSecret")
    assert not secret_name("TOKENIZER_MODEL_PATH") and not secret_name("HOME")


@covers("GS615")
def test_a_required_platform_missing_from_the_index_is_an_error(build: Builder) -> None:
    settings = PolicySettings(required_platforms=("linux/amd64", "linux/arm64"))
    findings = check(build.image(), settings, index=["linux/amd64"])
    assert messages(findings, "GS615") == ["has no linux/arm64 image (it has linux/amd64)"]
    assert "GS615" not in rules(check(build.image(), settings, index=["linux/amd64", "linux/arm64/v8"]))


@covers("GS616")
def test_an_image_over_its_size_budget_is_an_error(build: Builder) -> None:
    image = build.image()
    size = sum(layer.descriptor.size for layer in image.layers)
    assert "GS616" in rules(check(image, PolicySettings(size_budget=size - 1)), Severity.ERROR)
    assert "GS616" not in rules(check(image, PolicySettings(size_budget=size)))


@covers("GS617")
def test_a_missing_healthcheck_is_information(build: Builder) -> None:
    assert rules(check(build.image(healthcheck={"Test": ["NONE"]}))) == {"GS617"}
    with_check = build.image(healthcheck={"Test": ["CMD", "/app/hello", "-health"],
                                          "Interval": 30_000_000_000})
    assert rules(check(with_check)) == set()


# ------------------------------------------------------------------------ file rules


@covers("GS606")
def test_setuid_and_setgid_files_are_errors_unless_a_later_layer_deletes_them(build: Builder) -> None:
    suid = [*BASE, TarEntry("usr/bin/passwd", data=b"x", mode=0o4755), TarEntry("usr/bin/wall", data=b"x",
                                                                                mode=0o2755)]
    findings = check(build.image(suid, APP))
    assert sorted(messages(findings, "GS606")) == [
        "linux/amd64: /usr/bin/passwd is setuid (mode 4755)",
        "linux/amd64: /usr/bin/wall is setgid (mode 2755)"]
    deleted = [TarEntry("usr/bin/.wh.passwd", data=b""), TarEntry("usr/bin/wall", data=b"x", mode=0o755)]
    assert "GS606" not in rules(check(build.image(suid, deleted, APP)))


@covers("GS608")
@pytest.mark.parametrize(("path", "data", "kind"), [
    ("root/.ssh/id_rsa", b"anything", "an SSH private key"),
    ("app/config/server.pem", b"subject=x\n-----BEGIN RSA PRIVATE KEY-----\nMII\n", "a PEM private key"),
    ("app/tls/cert.crt", b"-----BEGIN CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n", "a PEM private key"),
    ("app/.env", b"DB_PASSWORD=x\n", "an environment file"),
    ("root/.aws/credentials", b"[default]\n", "AWS credentials"),
    ("root/.docker/config.json", b"{}", "Docker registry credentials"),
    ("etc/ssh/ssh_host_ed25519_key", b"x", "an SSH host private key"),
])
def test_secret_files_are_errors(build: Builder, path: str, data: bytes, kind: str) -> None:
    findings = check(build.image(BASE, [TarEntry(path, data=data)], APP))
    assert messages(findings, "GS608") == [f"linux/amd64: /{path} looks like {kind}"]


def test_certificates_examples_and_deleted_keys_pass(build: Builder) -> None:
    harmless = [TarEntry("etc/ssl/certs/ca.pem", data=b"-----BEGIN CERTIFICATE-----\nMII\n"),
                TarEntry("app/.env.example", data=b"DB_PASSWORD=\n"),
                TarEntry("root/.ssh/known_hosts", data=b"host ssh-ed25519 AAAA\n"),
                TarEntry("root/.ssh/id_ed25519.pub", data=b"ssh-ed25519 AAAA\n"),
                TarEntry("build/secret/id_rsa", data=b"-----BEGIN OPENSSH PRIVATE KEY-----\n")]
    opaque = [TarEntry("build/.wh..wh..opq", data=b"")]
    assert "GS608" not in rules(check(build.image(BASE, harmless, opaque, APP)))


@covers("GS609")
def test_a_git_directory_is_one_warning(build: Builder) -> None:
    git = [TarEntry("src/.git/HEAD", data=b"ref: refs/heads/main\n"), TarEntry("src/.git/config", data=b"")]
    findings = check(build.image(BASE, git, APP))
    assert messages(findings, "GS609") == [
        "linux/amd64: /src/.git holds version control metadata (2 entries)"]
    assert "GS609" not in rules(check(build.image()))


@covers("GS610")
def test_a_shell_is_a_warning_unless_allowed(build: Builder) -> None:
    shell = [TarEntry("bin/busybox", data=b"x", mode=0o755),
             TarEntry("bin/sh", "symlink", 0o777, linkname="busybox")]
    findings = check(build.image(BASE, shell, APP))
    assert messages(findings, "GS610") == ["linux/amd64: has a shell: /bin/busybox, /bin/sh"]
    assert "GS610" not in rules(check(build.image(BASE, shell, APP), PolicySettings(allow_shell=True)))


def test_a_dangling_or_non_executable_shell_does_not_count(build: Builder) -> None:
    shell = [TarEntry("bin/sh", "symlink", 0o777, linkname="busybox"),
             TarEntry("usr/share/doc/bash", data=b"docs", mode=0o644)]
    assert "GS610" not in rules(check(build.image(BASE, shell, APP)))


@covers("GS611")
def test_a_package_manager_is_a_warning_unless_allowed(build: Builder) -> None:
    apt = [TarEntry("usr/bin/apt-get", data=b"x", mode=0o755),
           TarEntry("usr/bin/dpkg", data=b"x", mode=0o755)]
    findings = check(build.image(BASE, apt, APP))
    assert messages(findings, "GS611") == [
        "linux/amd64: has a package manager: /usr/bin/apt-get, /usr/bin/dpkg"]
    allowed = PolicySettings(allow_package_manager=True)
    assert "GS611" not in rules(check(build.image(BASE, apt, APP), allowed))


@covers("GS612")
def test_package_caches_are_warnings(build: Builder) -> None:
    lists = [TarEntry("var/lib/apt/lists/deb.debian.org_Packages", data=b"x" * 2048),
             TarEntry("var/lib/apt/lists/lock", data=b"")]
    findings = check(build.image(BASE, lists, APP))
    assert messages(findings, "GS612") == [
        "linux/amd64: /var/lib/apt/lists (apt's package lists) holds 1 files (2.0 kB)"]
    cleaned = [TarEntry("var/lib/apt/lists/lock", data=b"")]
    assert "GS612" not in rules(check(build.image(BASE, cleaned, APP)))


@covers("GS613")
def test_a_go_toolchain_is_an_error(build: Builder) -> None:
    goroot = [TarEntry("usr/local/go/bin/go", data=b"x", mode=0o755),
              TarEntry("usr/local/go/pkg/tool/linux_amd64/compile", data=b"x", mode=0o755)]
    findings = check(build.image(BASE, goroot, APP))
    assert "GS613" in rules(findings, Severity.ERROR)
    assert "/usr/local/go/bin/go" in messages(findings, "GS613")[0]


@covers("GS614")
@pytest.mark.parametrize(("entrypoint", "cmd", "expected"), [
    (["/app/missing"], None, "its entrypoint /app/missing is not in the image"),
    (None, None, "has neither Entrypoint nor Cmd, so it cannot start"),
    (["/app/data"], None, "its entrypoint /app/data is not executable (mode 0644)"),
    (["/app"], None, "its entrypoint /app is a directory"),
])
def test_an_entrypoint_that_cannot_run_is_an_error(build: Builder, entrypoint: list[str] | None,
                                                  cmd: list[str] | None, expected: str) -> None:
    app = [*APP, TarEntry("app/data", data=b"{}", mode=0o644)]
    findings = check(build.image(BASE, app, entrypoint=entrypoint, cmd=cmd))
    assert messages(findings, "GS614") == [f"linux/amd64: {expected}"]


@pytest.mark.parametrize(("entrypoint", "cmd", "env"), [
    (None, ["/app/hello"], ["PATH=/bin"]),
    (["hello"], None, ["PATH=/usr/bin:/app"]),
    (["/usr/local/bin/hello"], None, ["PATH=/bin"]),
])
def test_entrypoints_found_by_path_cmd_or_symlink_pass(build: Builder, entrypoint: list[str] | None,
                                                      cmd: list[str] | None, env: list[str]) -> None:
    link = [TarEntry("usr/local/bin/hello", "symlink", 0o777, linkname="../../../app/hello")]
    assert "GS614" not in rules(check(build.image(BASE, link, APP, entrypoint=entrypoint, cmd=cmd, env=env)))


def test_windows_images_are_checked_by_name_without_case(build: Builder) -> None:
    system = windows_entries([TarEntry("Windows/System32/cmd.exe", data=b"MZ", mode=0o644)])
    app = windows_entries([TarEntry("app/Hello.exe", data=b"MZ", mode=0o644)])
    image = build.image(system, app, platform="windows/amd64", user="ContainerUser",
                        entrypoint=["C:\\app\\hello.exe"], env=["PATH=C:\\Windows\\System32"])
    findings = check(image)
    assert messages(findings, "GS610") == ["windows/amd64: has a shell: /Windows/System32/cmd.exe"]
    assert rules(findings, Severity.ERROR) == set()
    in_workdir = build.image(system, app, platform="windows/amd64", user="ContainerUser",
                             entrypoint=["hello"], working_dir="C:\\app")
    assert "GS614" not in rules(check(in_workdir))
    elsewhere = build.image(system, app, platform="windows/amd64", user="ContainerUser", entrypoint=["hello"])
    assert messages(check(elsewhere), "GS614") == ["windows/amd64: its entrypoint hello is not in the image"]


@covers("GS618")
def test_a_foreign_layer_is_noted_and_does_not_fail_the_file_rules(build: Builder) -> None:
    foreign = ForeignLayer(Descriptor(mediatypes.DOCKER_FOREIGN_LAYER, Digest.of_bytes(b"base"), 4,
                                      urls=("https://mcr.microsoft.com/blob",)), Digest.of_bytes(b"tar"))
    app = windows_entries([TarEntry("app/hello.exe", data=b"MZ")])
    image = build.image(foreign, app, platform="windows/amd64", user="ContainerUser",
                        entrypoint=["C:\\Windows\\System32\\cmd.exe", "/c", "C:\\app\\hello.exe"])
    findings = check(image)
    assert rules(findings) == {"GS617", "GS618"}
    assert "https://mcr.microsoft.com/blob" in messages(findings, "GS618")[0]


def test_every_rule_has_a_test() -> None:
    assert {rule.id for rule in RULES} == COVERED
    assert all(rule.target == "image" and rule.id.startswith("GS6") for rule in RULES)


def test_a_version_decorated_with_environment_and_commit_names_the_version() -> None:
    assert tag_matches_version("1.2.3-prod-abc123d", "1.2.3")
    assert tag_matches_version("v1.2.3-staging", "1.2.3")
    assert not tag_matches_version("1.2.3-rc.1", "1.2.3")
    assert not tag_matches_version("1.2.3-1", "1.2.3")
    assert not tag_matches_version("1.2.4-prod-abc123d", "1.2.3")
