"""`lint_image` on images the real `goship build` made, in an OCI layout, in a tarball and in
a real distribution registry (plain, and TLS with htpasswd), and on a deliberately bad image.

goship's own images must meet the standard: no error or warning under the default settings.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.conftest import Goship, copy_example, git
from tests.fixtures.registry import RunningRegistry
from tests.fixtures.tools import missing

from goship.config import Options, load_config
from goship.errors import AuthError, ImageError
from goship.oci.compress import Compression
from goship.oci.image import Image
from goship.oci.imageconfig import ImageConfig
from goship.oci.layer import TarEntry, write_layer
from goship.oci.layout import load_artifact, write_layout
from goship.oci.platform import Platform
from goship.oci.reference import Reference
from goship.oci.tarball import write_tarball
from goship.oci.windows import windows_entries
from goship.policy.image_rules import lint_image
from goship.policy.image_source import RegistryAccess
from goship.policy.interface import Finding, PolicySettings, Severity
from goship.progress import SilentReporter
from goship.publish.registry import push_artifact

pytestmark = pytest.mark.integration

VERSION_TAG = "v1.2.3"
BOTH = ("linux/amd64", "linux/arm64")


@dataclass(frozen=True)
class Built:
    project: Path
    layout: Path
    tarball: Path
    repository: str  # 127.0.0.1:PORT/team/hello


@pytest.fixture(scope="module")
def built(base_env: dict[str, str], registry_plain: RunningRegistry,
          tmp_path_factory: pytest.TempPathFactory) -> Built:
    """examples/hello at tag v1.2.3, built once for two platforms into all three places."""
    work = tmp_path_factory.mktemp("lint-image")
    project = copy_example(work / "hello")
    git(project, "tag", VERSION_TAG)
    built = Built(project, work / "layout", work / "hello.tar", f"{registry_plain.host}/team/hello")
    result = Goship(dict(base_env))(
        "build", "--platform", ",".join(BOTH), "--tag", VERSION_TAG,
        "--oci-layout", str(built.layout), "--tarball", str(built.tarball),
        "--push", built.repository, cwd=project)
    assert result.code == 0, result.output
    return built


def serious(findings: list[Finding]) -> list[str]:
    return [f"{f.rule} {f.severity.label}: {f.message}" for f in findings if f.severity >= Severity.WARNING]


def test_goships_own_images_meet_the_standard_in_a_layout(built: Built) -> None:
    for source in (f"oci:{built.layout}", f"oci:{built.layout}:{VERSION_TAG}",
                   f"oci:{built.layout}:hello:{VERSION_TAG}"):
        findings = lint_image(source, PolicySettings(required_platforms=BOTH))
        assert serious(findings) == [], source
        # The only note: no HEALTHCHECK, once per platform; every finding names the source.
        assert sorted(f.message for f in findings) == [f"{p}: has no HEALTHCHECK" for p in BOTH]
        assert {f.location.path for f in findings} == {source}


def test_goships_own_image_meets_the_standard_in_a_tarball(built: Built) -> None:
    findings = lint_image(f"tarball:{built.tarball}", PolicySettings())
    assert serious(findings) == []
    assert [f.rule for f in findings] == ["GS617"]


def test_goships_own_images_meet_the_standard_in_a_registry(built: Built) -> None:
    for source in (f"{built.repository}:{VERSION_TAG}", f"docker://{built.repository}:{VERSION_TAG}"):
        findings = lint_image(source, PolicySettings(required_platforms=BOTH))
        assert serious(findings) == [], source
        assert len(findings) == 2  # GS617 for each platform
    layout_digest = load_artifact(built.layout, f"hello:{VERSION_TAG}").digest
    pinned = lint_image(f"{built.repository}@{layout_digest}", PolicySettings())
    assert serious(pinned) == []


def test_the_licenses_label_is_the_one_goship_does_not_write_by_itself(built: Built) -> None:
    settings = PolicySettings(required_labels=(*PolicySettings().required_labels,
                                               "org.opencontainers.image.licenses"))
    findings = lint_image(f"oci:{built.layout}", settings)
    assert serious(findings) == [
        f"GS602 error: {p}: lacks the label org.opencontainers.image.licenses" for p in BOTH]


def test_a_registry_behind_tls_and_htpasswd_is_read_with_the_access_given(
        built: Built, registry_tls: RunningRegistry, tmp_path: Path) -> None:
    access = RegistryAccess.from_settings(
        ca_file=registry_tls.ca_file, username=registry_tls.username, password=registry_tls.password,
        credential_hosts=(registry_tls.host,))
    target = Reference.parse(f"{registry_tls.host}/secure/hello")
    artifact = load_artifact(built.layout, f"hello:{VERSION_TAG}")
    with access.client() as client:
        push_artifact(client, artifact, target, [VERSION_TAG], reporter=SilentReporter())
    source = f"{registry_tls.host}/secure/hello:{VERSION_TAG}"
    assert serious(lint_image(source, PolicySettings(), access=access)) == []

    # What `goship lint` resolves from goship.toml, GOSHIP_* and the Docker config file.
    registry_tls.docker_config(tmp_path / "docker")
    env = {"DOCKER_CONFIG": str(tmp_path / "docker"), "HOME": str(tmp_path)}
    config = load_config(built.project, Options(ca_file=str(registry_tls.ca_file)), env)
    from_config = RegistryAccess.from_config(config, source)
    assert serious(lint_image(source, PolicySettings(), access=from_config)) == []

    anonymous = RegistryAccess.from_settings(ca_file=registry_tls.ca_file)
    with pytest.raises(AuthError) as refused:
        lint_image(source, PolicySettings(), access=anonymous)
    assert refused.value.hint and registry_tls.password not in refused.value.message  # type: ignore[operator]


def test_a_missing_tag_in_the_registry_is_an_image_error(built: Built) -> None:
    with pytest.raises(ImageError, match="not found") as missing:
        lint_image(f"{built.repository}:v9.9.9", PolicySettings())
    assert missing.value.hint


# ------------------------------------------------------------------------ a bad image


def _bad_image(directory: Path) -> Image:
    """Root, a setuid binary, a private key, a shell and malformed labels."""
    base = write_layer([
        TarEntry("bin", "dir", 0o755),
        TarEntry("bin/sh", data=b"\x7fELF shell", mode=0o755),
        TarEntry("usr/bin/passwd", data=b"\x7fELF passwd", mode=0o4755),
        TarEntry("root/.ssh/deploy", data=b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbg==\n"),
    ], directory, mtime=0, compression=Compression())
    app = write_layer([TarEntry("app", "dir", 0o755), TarEntry("app/hello", data=b"\x7fELF", mode=0o755)],
                      directory, mtime=0, compression=Compression())
    config = ImageConfig.empty(Platform.parse("linux/amd64"))
    for layer in (base, app):
        config = config.with_layer(layer.diff_id, "bad", "2024-10-01T12:00:00Z")
    config = config.with_runtime(User="root", Entrypoint=["/app/hello"], Env=["API_TOKEN=abc123"], Labels={
        "org.opencontainers.image.created": "yesterday",
        "org.opencontainers.image.version": "1.2",
        "org.opencontainers.image.source": "git@github.com:example/hello.git",
    })
    return Image(config, (base, app))


EXPECTED_BAD = {
    ("GS601", Severity.ERROR, "linux/amd64: User 'root' is root"),
    ("GS602", Severity.ERROR, "linux/amd64: lacks the label org.opencontainers.image.revision"),
    ("GS603", Severity.ERROR, "linux/amd64: label org.opencontainers.image.created='yesterday' is not an "
                              "RFC 3339 time (like 2024-10-01T12:00:00Z)"),
    ("GS603", Severity.ERROR, "linux/amd64: label org.opencontainers.image.version='1.2' is not a "
                              "semantic version (like 1.2.3 or v1.2.3-rc.1)"),
    ("GS603", Severity.ERROR, "linux/amd64: label org.opencontainers.image.source="
                              "'git@github.com:example/hello.git' is not an http(s), git or ssh URL "
                              "with a host"),
    ("GS606", Severity.ERROR, "linux/amd64: /usr/bin/passwd is setuid (mode 4755)"),
    ("GS607", Severity.ERROR, "linux/amd64: environment variable API_TOKEN is set to a value and its "
                              "name says it is a secret"),
    ("GS608", Severity.ERROR, "linux/amd64: /root/.ssh/deploy looks like a PEM private key"),
    ("GS610", Severity.WARNING, "linux/amd64: has a shell: /bin/sh"),
}


@pytest.mark.parametrize("form", ["layout", "tarball", "registry"])
def test_a_bad_image_is_caught_wherever_it_is(form: str, tmp_path: Path,
                                              registry_plain: RunningRegistry) -> None:
    image = _bad_image(tmp_path / "blobs")
    if form == "layout":
        write_layout(tmp_path / "layout", image, "bad:1.2.0")
        source = f"oci:{tmp_path / 'layout'}"
    elif form == "tarball":
        write_tarball(tmp_path / "bad.tar", [(image, ["bad:1.2.0"])])
        source = f"tarball:{tmp_path / 'bad.tar'}"
    else:
        with RegistryAccess().client() as client:
            push_artifact(client, image, Reference.parse(f"{registry_plain.host}/team/bad"), ["1.2.0"],
                          reporter=SilentReporter())
        source = f"{registry_plain.host}/team/bad:1.2.0"
    findings = lint_image(source, PolicySettings())
    got = {(f.rule, f.severity, f.message) for f in findings if f.severity >= Severity.WARNING}
    assert got == EXPECTED_BAD
    assert all("abc123" not in f.message for f in findings)  # a secret is named, never shown


# ------------------------------------------------------------------------ Windows


def _fake_nanoserver(tmp_path: Path, registry: RunningRegistry) -> str:
    """The shape of mcr.microsoft.com/windows/nanoserver (which has cmd.exe), pushed as a base."""
    layer = write_layer(windows_entries([TarEntry("Windows/System32/cmd.exe", data=b"MZ fake")]),
                        tmp_path / "blobs", mtime=0, compression=Compression())
    config = (ImageConfig.empty(Platform("windows", "amd64", os_version="10.0.20348.2762"))
              .with_runtime(Env=["PATH=C:\\Windows\\system32;C:\\Windows"], User="ContainerUser")
              .with_layer(layer.diff_id, "Apply image", "2024-10-01T00:00:00Z"))
    target = f"{registry.host}/windows/nanoserver:ltsc2022"
    with RegistryAccess().client() as client:
        push_artifact(client, Image(config, (layer,)), Reference.parse(target), ["ltsc2022"],
                      reporter=SilentReporter())
    return target


def test_a_windows_image_on_nanoserver_has_only_the_shell_of_its_base(
        base_env: dict[str, str], registry_plain: RunningRegistry, tmp_path: Path) -> None:
    project = copy_example(tmp_path / "hello")
    nanoserver = _fake_nanoserver(tmp_path, registry_plain)
    (project / "goship.toml").write_text(
        f'windows_base = "{nanoserver}"\n[[images]]\nname = "hello"\npackage = "./cmd/hello"\n')
    # Committed before tagging: a dirty tree would be built as 1.2.3-dev...dirty, which GS604
    # rightly reports against the tag v1.2.3.
    git(project, "commit", "-qam", "build on nanoserver")
    git(project, "tag", VERSION_TAG)
    target = f"{registry_plain.host}/team/hello-win"
    result = Goship(dict(base_env))("build", "--platform", "windows/amd64", "--tag", VERSION_TAG,
                                    "--push", target, cwd=project)
    assert result.code == 0, result.output
    findings = lint_image(f"{target}:{VERSION_TAG}", PolicySettings())
    assert serious(findings) == [
        "GS610 warning: windows/amd64: has a shell: /Windows/System32/cmd.exe"]
    assert serious(lint_image(f"{target}:{VERSION_TAG}", PolicySettings(allow_shell=True))) == []


def test_skopeo_reads_the_layout_goship_linted(built: Built) -> None:
    """The layout checked above is the one other tools see (a sanity check of the fixture)."""
    if shutil.which("skopeo") is None:
        missing("skopeo is not installed")
    out = subprocess.run(["skopeo", "inspect", "--config", f"oci:{built.layout}:hello:{VERSION_TAG}"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert '"org.opencontainers.image.version": "1.2.3"' in out.stdout


def test_goship_lint_image_reaches_a_tls_registry_with_the_flags_and_credentials_given(
        built: Built, registry_tls: RunningRegistry, base_env: dict[str, str], tmp_path: Path) -> None:
    target = Reference.parse(f"{registry_tls.host}/cli/hello")
    access = RegistryAccess.from_settings(
        ca_file=registry_tls.ca_file, username=registry_tls.username, password=registry_tls.password,
        credential_hosts=(registry_tls.host,))
    with access.client() as client:
        push_artifact(client, load_artifact(built.layout, f"hello:{VERSION_TAG}"), target, [VERSION_TAG],
                      reporter=SilentReporter())
    source = f"{registry_tls.host}/cli/hello:{VERSION_TAG}"
    goship = Goship({**base_env, "HOME": str(tmp_path), "DOCKER_CONFIG": str(tmp_path / "empty")})

    passed = goship("lint", "--image", source, "--ca-file", str(registry_tls.ca_file), "--format", "json",
                    cwd=tmp_path, env={"GOSHIP_REGISTRY_USERNAME": registry_tls.username,
                                       "GOSHIP_REGISTRY_PASSWORD": registry_tls.password})
    assert passed.code == 0, passed.output
    assert {finding["rule"] for finding in json.loads(passed.stdout)} <= {"GS617"}

    untrusted = goship("lint", "--image", source, cwd=tmp_path)  # no --ca-file: the TLS check fails
    assert untrusted.code == 6 and "Traceback" not in untrusted.output and "hint:" in untrusted.stderr
    anonymous = goship("lint", "--image", source, "--ca-file", str(registry_tls.ca_file), cwd=tmp_path)
    assert anonymous.code == 7 and registry_tls.password not in anonymous.output
