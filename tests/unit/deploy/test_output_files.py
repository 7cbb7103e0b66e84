"""Directory output for GitOps: stable names, atomic writes, no churn, stale files removed
(goship.deploy.output.files and gitops)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from goship.deploy.output.documents import load_documents
from goship.deploy.output.files import MARKER, FileContent, write_tree
from goship.deploy.output.gitops import write_objects
from goship.deploy.render import render_objects
from goship.deploy.settings import Autoscale, DeploySettings
from goship.errors import OutputError

IMAGE = "registry.example.com/team/hello@sha256:" + "ef" * 32
SETTINGS = DeploySettings(name="hello", environment="prod", config={"A": "1"}, autoscale=Autoscale())


def snapshot(directory: Path) -> dict[str, tuple[bytes, int, int]]:
    return {str(path.relative_to(directory)): (path.read_bytes(), path.stat().st_mtime_ns, path.stat().st_ino)
            for path in sorted(directory.rglob("*")) if path.is_file()}


def test_one_file_per_object_with_stable_names(tmp_path: Path) -> None:
    objects = render_objects(SETTINGS, IMAGE)
    result = write_objects(tmp_path / "out", objects)
    names = sorted(path.name for path in (tmp_path / "out").glob("*.yaml"))
    assert names == ["configmap-hello-config.yaml", "deployment-hello.yaml",
                     "horizontalpodautoscaler-hello.yaml", "service-hello.yaml"]
    assert sorted(result.written) == names
    loaded = [load_documents((tmp_path / "out" / name).read_text())[0] for name in names]
    assert sorted(loaded, key=lambda obj: obj["kind"]) == sorted(objects, key=lambda obj: obj["kind"])


def test_a_second_run_with_the_same_input_changes_nothing(tmp_path: Path) -> None:
    objects = render_objects(SETTINGS, IMAGE)
    write_objects(tmp_path / "out", objects)
    before = snapshot(tmp_path / "out")
    result = write_objects(tmp_path / "out", objects)
    assert result.written == () and result.removed == ()
    assert snapshot(tmp_path / "out") == before  # same bytes, same mtime, same inode


def test_a_config_change_rewrites_only_the_files_it_changes(tmp_path: Path) -> None:
    write_objects(tmp_path / "out", render_objects(SETTINGS, IMAGE))
    before = snapshot(tmp_path / "out")
    result = write_objects(tmp_path / "out", render_objects(replace(SETTINGS, config={"A": "2"}), IMAGE))
    # the ConfigMap's file keeps its name; the Deployment refers to the new hashed name
    assert sorted(result.written) == ["configmap-hello-config.yaml", "deployment-hello.yaml"]
    after = snapshot(tmp_path / "out")
    assert after["service-hello.yaml"] == before["service-hello.yaml"]
    assert after["deployment-hello.yaml"][2] != before["deployment-hello.yaml"][2]  # renamed into place


def test_objects_no_longer_rendered_are_removed_but_other_files_stay(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_objects(out, render_objects(SETTINGS, IMAGE))
    (out / "README.md").write_text("ours\n")
    (out / "extra.yaml").write_text("kind: Namespace\n")
    result = write_objects(out, render_objects(replace(SETTINGS, autoscale=None), IMAGE))
    assert result.removed == ("horizontalpodautoscaler-hello.yaml",)
    assert not (out / "horizontalpodautoscaler-hello.yaml").exists()
    assert (out / "README.md").read_text() == "ours\n" and (out / "extra.yaml").exists()
    assert (out / MARKER).read_text().splitlines() == sorted(
        ["configmap-hello-config.yaml", "deployment-hello.yaml", "service-hello.yaml"])


def test_no_temporary_file_is_left_behind(tmp_path: Path) -> None:
    write_objects(tmp_path, render_objects(SETTINGS, IMAGE))
    assert not [path for path in tmp_path.iterdir() if path.name.endswith(".tmp")]


def test_an_output_directory_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("not a directory")
    with pytest.raises(OutputError, match="it is a file") as caught:
        write_objects(tmp_path / "out", render_objects(SETTINGS, IMAGE))
    assert caught.value.exit_code == 8
    assert (tmp_path / "out").read_text() == "not a directory"


def test_modes_are_kept_and_a_mode_change_is_a_change(tmp_path: Path) -> None:
    write_tree(tmp_path, {"install.sh": FileContent(b"#!/bin/sh\n", 0o755), "sub/a.conf": FileContent(b"x")})
    assert (tmp_path / "install.sh").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "sub" / "a.conf").stat().st_mode & 0o777 == 0o644
    result = write_tree(tmp_path, {"install.sh": FileContent(b"#!/bin/sh\n", 0o700)})
    assert result.written == ("install.sh",) and result.removed == ("sub/a.conf",)
    assert not (tmp_path / "sub").exists()  # the emptied directory goes too


def test_a_marker_naming_files_outside_the_directory_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_text("keep")
    out = tmp_path / "out"
    out.mkdir()
    (out / MARKER).write_text("../outside.txt\n/etc/passwd\n")
    write_tree(out, {"a.yaml": FileContent(b"a: 1\n")})
    assert (tmp_path / "outside.txt").read_text() == "keep"
