"""Which Go version applies in a directory, why, and when GOTOOLCHAIN would run another one."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.toolchain.builders import archive_for

from goship.toolchain.current import use_global
from goship.toolchain.errors import NoVersionSelectedError, VersionSyntaxError
from goship.toolchain.gotoolchain import GoModLines, parse_gomod, parse_gotoolchain, toolchain_warning
from goship.toolchain.install import install_from_file
from goship.toolchain.layout import ToolchainHome
from goship.toolchain.select import SelectionSource, select_version, write_project
from goship.toolchain.versions import GoVersion, SpecKind, VersionSpec

V = GoVersion.from_name


@pytest.fixture
def home(tmp_path: Path) -> ToolchainHome:
    home = ToolchainHome(tmp_path / "goship" / "go")
    for version in ("1.21.13", "1.22.9", "1.22.10"):
        install_from_file(*archive_for(tmp_path / "archives", version), home)
    use_global(V("1.21.13"), home)
    return home


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "work" / "service"
    (root / "cmd" / "api").mkdir(parents=True)
    return root


def test_selection_order(home: ToolchainHome, project: Path) -> None:
    inner = project / "cmd" / "api"
    selection = select_version(inner, home)
    assert (selection.source, selection.version, selection.origin) == (
        SelectionSource.GLOBAL, V("1.21.13"), home.current_link)

    (project / "go.mod").write_text("module example.com/service\n\ngo 1.22.0\n")
    selection = select_version(inner, home)
    assert selection.source is SelectionSource.GOMOD_GO
    assert selection.spec == VersionSpec.at_least(V("1.22.0"))
    assert selection.version == V("1.22.10")  # the go line is a minimum: the newest 1.22.x
    assert selection.origin == (project / "go.mod").resolve()

    (project / "go.mod").write_text("module example.com/service\n\ngo 1.22.0\n\ntoolchain go1.22.9\n")
    selection = select_version(inner, home)
    assert (selection.source, selection.version) == (SelectionSource.GOMOD_TOOLCHAIN, V("1.22.9"))

    (project.parent / ".go-version").write_text("# pinned for the team\n1.21\n")  # found upwards
    selection = select_version(inner, home)
    assert (selection.source, selection.spec.kind, selection.version) == (
        SelectionSource.GO_VERSION_FILE, SpecKind.MINOR, V("1.21.13"))
    assert selection.origin == (project.parent / ".go-version").resolve()

    selection = select_version(inner, home, env_version="1.22.9")
    assert (selection.source, selection.version, selection.origin) == (
        SelectionSource.ENVIRONMENT, V("1.22.9"), None)
    assert select_version(inner, home, env_version="  ").source is SelectionSource.GO_VERSION_FILE


def test_a_version_that_is_not_installed_is_selected_but_not_resolved(home: ToolchainHome,
                                                                     project: Path) -> None:
    (project / ".go-version").write_text("1.23.4\n")
    selection = select_version(project, home)
    assert selection.spec == VersionSpec.parse("1.23.4")
    assert selection.version is None and not selection.installed


def test_nothing_selected_says_how_to_select(tmp_path: Path) -> None:
    with pytest.raises(NoVersionSelectedError) as caught:
        select_version(tmp_path, ToolchainHome(tmp_path / "empty"))
    assert ".go-version" in caught.value.hint


def test_bad_version_files_name_the_file(home: ToolchainHome, project: Path) -> None:
    (project / ".go-version").write_text("stable\n")
    with pytest.raises(VersionSyntaxError, match=r"\.go-version: 'stable' is not a Go version"):
        select_version(project, home)
    (project / ".go-version").write_text("\n# nothing\n")
    with pytest.raises(VersionSyntaxError, match="names no Go version"):
        select_version(project, home)
    with pytest.raises(VersionSyntaxError, match="GOSHIP_GO_VERSION: 'x' is not a Go version"):
        select_version(project, home, env_version="x")


def test_write_project_pins_with_a_go_version_file(home: ToolchainHome, project: Path) -> None:
    path = write_project(project, V("1.22.9"))
    assert path.read_text() == "1.22.9\n"
    assert select_version(project / "cmd", home).version == V("1.22.9")
    assert write_project(project, VersionSpec.parse("1.22")).read_text() == "1.22\n"
    with pytest.raises(VersionSyntaxError, match="cannot pin a project to 'latest'"):
        write_project(project, VersionSpec.parse("latest"))


def test_gomod_lines() -> None:
    lines = parse_gomod("module m\n\ngo 1.22 // language\ntoolchain go1.22.5\nrequire x v1.0.0\n",
                        Path("go.mod"))
    assert (lines.go, lines.toolchain) == (V("1.22"), V("1.22.5"))
    assert parse_gomod("module m\ngo 1.21rc1\ntoolchain default\n", Path("go.mod")).toolchain is None
    assert parse_gomod("module m\ntoolchain go1.22.1-corp\n", Path("go.mod")).toolchain == V("1.22.1")
    with pytest.raises(VersionSyntaxError, match=r"toolchain line 'go1\.22' is not a Go toolchain"):
        parse_gomod("module m\ntoolchain go1.22\n", Path("go.mod"))


@pytest.mark.parametrize(
    ("value", "base", "switching", "invalid"),
    [(None, None, "auto", False), ("", None, "auto", False), ("local", None, "", False),
     ("auto", None, "auto", False), ("path", None, "path", False), ("local+path", None, "path", False),
     ("go1.22.1", V("1.22.1"), "", False), ("go1.22.1+auto", V("1.22.1"), "auto", False),
     ("go1.20", V("1.20"), "", False), ("go1.22", None, "", True), ("1.22.1", None, "", True),
     ("go1.22.1+never", None, "", True)],
)
def test_gotoolchain_values(value: str | None, base: GoVersion | None, switching: str, invalid: bool) -> None:
    setting = parse_gotoolchain(value)
    assert (setting.base, setting.switching, setting.invalid) == (base, switching, invalid)


GOMOD = Path("/src/app/go.mod")


@pytest.mark.parametrize(
    ("selected", "gotoolchain", "go", "toolchain", "warning"),
    [
        # auto (also when unset) with a toolchain line newer than the selected version
        ("1.22.3", "auto", "1.22.0", "1.22.10",
         "GOTOOLCHAIN=auto makes the go command run go1.22.10 instead of the selected go1.22.3: "
         "the toolchain line of /src/app/go.mod requires it (downloading it unless go1.22.10 is on PATH)"),
        ("1.22.3", None, "1.22.0", "1.22.10",
         "GOTOOLCHAIN (unset, so auto) makes the go command run go1.22.10"),
        ("1.22.3", "path", "1.22.0", "1.22.10", "(if go1.22.10 is on PATH, else it fails)"),
        # the go line of a newer language version: Go switches to its first release
        ("1.22.10", "auto", "1.23", None,
         "run go1.23.0 instead of the selected go1.22.10: the go line of /src/app/go.mod requires it"),
        # a go line newer than the toolchain line wins
        ("1.22.10", "auto", "1.23.2", "1.22.12", "run go1.23.2 instead"),
        # nothing newer is required: the selected version runs
        ("1.22.10", "auto", "1.22.0", "1.22.5", None),
        ("1.22.10", "auto", None, None, None),
        ("1.22.10", "local", "1.22.0", "1.23.1", None),  # a toolchain line is only a preference
        # fixed GOTOOLCHAIN runs that version whatever was selected
        ("1.22.10", "go1.21.13", None, None,
         "GOTOOLCHAIN=go1.21.13 makes the go command run go1.21.13 instead of the selected go1.22.10; "
         "unset GOTOOLCHAIN or set it to local"),
        ("1.22.10", "go1.22.10", "1.22.0", None, None),
        ("1.22.10", "go1.21.0+auto", "1.21.0", None, "run go1.21.0 instead of the selected go1.22.10"),
        ("1.22.10", "go1.21.0+auto", "1.21.0", "1.22.10", None),  # switches up to exactly the selection
        # no switching allowed and the go line wants newer: go refuses to build
        ("1.22.10", "local", "1.23.1", None,
         "go1.22.10 will refuse to build here: the go line of /src/app/go.mod requires go1.23.1 and "
         "GOTOOLCHAIN=local does not allow switching"),
        ("1.22.10", "go1.22", None, None, "GOTOOLCHAIN=go1.22 is not a value the go command accepts"),
        # Go 1.20 and older know nothing of GOTOOLCHAIN
        ("1.20.14", "auto", "1.22", "1.22.10", None),
    ],
)
def test_gotoolchain_warning(selected: str, gotoolchain: str | None, go: str | None, toolchain: str | None,
                             warning: str | None) -> None:
    gomod = GoModLines(GOMOD, V(go) if go else None, V(toolchain) if toolchain else None)
    found = toolchain_warning(V(selected), gotoolchain, gomod)
    if warning is None:
        assert found is None
    else:
        assert found is not None and warning in found


def test_selection_carries_the_warning(home: ToolchainHome, project: Path) -> None:
    (project / "go.mod").write_text("module m\n\ngo 1.22.0\n\ntoolchain go1.22.10\n")
    (project / ".go-version").write_text("1.22.9\n")
    selection = select_version(project, home, gotoolchain="auto")
    assert selection.version == V("1.22.9")
    assert selection.warning is not None
    assert "run go1.22.10 instead of the selected go1.22.9" in selection.warning
    assert select_version(project, home, gotoolchain="local").warning is None
    (project / ".go-version").write_text("1.22.11\n")  # exact but not installed: still checked
    assert select_version(project, home, gotoolchain="go1.22.9").warning is not None
