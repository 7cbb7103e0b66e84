"""Go's major-version rule: /vN from v2 on, gopkg.in's .vN, and errors that say what to edit."""

from __future__ import annotations

from pathlib import Path

import pytest

from goship.errors import ExitCode, ReleaseError
from goship.release.gomodule import check_major_path, read_module_path, split_module_path
from goship.versioning.versions import Version


def module(tmp_path: Path, path: str, files: dict[str, str] | None = None) -> Path:
    (tmp_path / "go.mod").write_text(f"// Service app.\nmodule {path} // the module\n\ngo 1.22\n")
    for name, text in (files or {}).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    ("path", "version"),
    [
        ("example.com/app", "0.4.0"),
        ("example.com/app", "1.9.9"),
        ("example.com/app/v2", "2.0.0"),
        ("example.com/app/v2", "2.5.1-rc.1"),
        ("example.com/app/v10", "10.0.0"),
        ("gopkg.in/yaml.v3", "3.0.1"),
        ("gopkg.in/yaml.v1", "1.2.0"),
        ("gopkg.in/yaml.v0", "0.3.0"),
        ("gopkg.in/user/pkg.v2", "2.0.0"),
        ("github.com/org/v2ray", "1.0.0"),  # v2 inside a name is no suffix
    ],
)
def test_paths_that_fit(tmp_path: Path, path: str, version: str) -> None:
    check_major_path(module(tmp_path, path), Version.parse(version))


def test_v2_without_suffix_is_refused_with_the_fix(tmp_path: Path) -> None:
    source = 'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/app/internal/db"\n)\n\nfunc main() {}\n'
    directory = module(tmp_path, "example.com/app", {
        "main.go": source,
        "internal/db/db.go": "package db\n",
        "cmd/tool/main.go": 'package main\n\nimport "example.com/app"\n\nfunc main() {}\n',
        "vendor/x/x.go": 'package x\n\nimport "example.com/app/internal/db"\n',
        "README.go.txt": 'import "example.com/app"',
    })
    with pytest.raises(ReleaseError) as caught:
        check_major_path(directory, Version.parse("2.0.0"))
    error = caught.value
    assert error.exit_code == ExitCode.RELEASE
    assert f"{directory / 'go.mod'}:2" in error.message
    assert "module example.com/app" in error.message and "/v2" in error.message
    assert "`module example.com/app/v2`" in error.hint
    assert '"example.com/app/..." to "example.com/app/v2/..."' in error.hint
    assert "in 2 files: cmd/tool/main.go, main.go" in error.hint  # not vendor/, not other files


def test_a_suffix_that_does_not_match_the_major(tmp_path: Path) -> None:
    with pytest.raises(ReleaseError) as caught:
        check_major_path(module(tmp_path, "example.com/app/v2"), Version.parse("3.0.0"))
    assert "must end in /v3" in caught.value.message
    assert "`module example.com/app/v3`" in caught.value.hint
    assert '"example.com/app/v2/..." to "example.com/app/v3/..."' in caught.value.hint


def test_a_suffix_on_a_v1_release(tmp_path: Path) -> None:
    with pytest.raises(ReleaseError) as caught:
        check_major_path(module(tmp_path, "example.com/app/v2"), Version.parse("1.4.0"))
    assert "`module example.com/app`" in caught.value.hint


@pytest.mark.parametrize(("path", "version", "wanted"), [
    ("gopkg.in/yaml.v2", "3.0.0", "gopkg.in/yaml.v3"),
    ("gopkg.in/yaml.v1", "0.9.0", "gopkg.in/yaml.v0"),
    ("gopkg.in/user/pkg.v1", "2.0.0", "gopkg.in/user/pkg.v2"),
])
def test_gopkg_in_paths_use_dot_v(tmp_path: Path, path: str, version: str, wanted: str) -> None:
    with pytest.raises(ReleaseError) as caught:
        check_major_path(module(tmp_path, path), Version.parse(version))
    assert f"`module {wanted}`" in caught.value.hint
    assert "/v" not in caught.value.hint.split("`")[1]


@pytest.mark.parametrize("path", ["example.com/app/v1", "example.com/app/v0", "example.com/app/v02",
                                  "example.com/app/v2.1", "gopkg.in/yaml", "gopkg.in/yaml.v01"])
def test_paths_the_go_command_rejects(tmp_path: Path, path: str) -> None:
    assert split_module_path(path) is None
    with pytest.raises(ReleaseError, match="does not accept"):
        check_major_path(module(tmp_path, path), Version.parse("1.0.0"))


def test_quoted_module_path_and_missing_go_mod(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text('module "example.com/quoted/v3"\n')
    assert read_module_path(tmp_path / "go.mod") == ("example.com/quoted/v3", 1)
    check_major_path(tmp_path, Version.parse("3.1.0"))
    with pytest.raises(ReleaseError, match="does not exist"):
        check_major_path(tmp_path / "elsewhere", Version.parse("1.0.0"))
