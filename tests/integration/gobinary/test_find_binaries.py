"""find_go_binaries on real images: a two-platform image the real `goship build` made of a
program with vendored module dependencies (in an OCI layout and a tarball), a hand-made image
whose later layer deletes and replaces Go binaries beside a C program and a damaged binary,
and a Linux + Windows index pushed to a real registry and read back by reference."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.conftest import Goship, git
from tests.fixtures.gomodules import module_list
from tests.fixtures.registry import RunningRegistry
from tests.fixtures.tools import missing
from tests.integration.gobinary.conftest import GoPrograms, module_tuples
from tests.unit.gobinary.handmade import Blobs, directory, file, image, whiteout

from goship.gobinary.moduleinfo import BuildInfoError
from goship.gobinary.subject import Skipped, Subject, find_go_binaries
from goship.oci.compress import Compression
from goship.oci.image import ImageIndex
from goship.oci.layer import TarEntry, write_layer
from goship.oci.layout import write_layout
from goship.oci.reference import Reference
from goship.oci.windows import windows_entries
from goship.progress import SilentReporter
from goship.publish.registry import push_artifact
from goship.registry import AnonymousKeychain, RegistryClient, RegistryOptions

pytestmark = pytest.mark.integration

PLATFORMS = ("linux/amd64", "linux/arm64")


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class Built:
    project: Path
    layout: Path
    tarball: Path
    env: dict[str, str]  # what `go version -m` runs with


@pytest.fixture(scope="module")
def built(go_programs: GoPrograms, base_env: dict[str, str],
          tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The vendored program as a git checkout, built by `goship build` for two platforms."""
    go_programs.env("vendored")
    work = tmp_path_factory.mktemp("goship-built")
    project = work / "app"
    shutil.copytree(go_programs.directory("vendored"), project)
    (project / "goship.toml").write_text('[[images]]\nname = "app"\npackage = "."\n')
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "app")
    git(project, "remote", "add", "origin", "git@github.com:example/app.git")
    result = Goship(dict(base_env))("build", "--platform", ",".join(PLATFORMS), "--oci-layout",
                                    str(work / "layout"), "--tarball", str(work / "app.tar"), cwd=project)
    assert result.code == 0, result.output
    return Built(project, work / "layout", work / "app.tar", go_programs.env("vendored"))


def layout_json(layout: Path, digest: str) -> dict[str, object]:
    algorithm, _, hex_digest = digest.partition(":")
    loaded: dict[str, object] = json.loads((layout / "blobs" / algorithm / hex_digest).read_bytes())
    return loaded


def extract(layout: Path, subject: Subject, path: str, into: Path) -> Path:
    """The file ``path`` of the subject's image, read with tarfile from the layout's layers
    (the last layer that holds it wins)."""
    manifest = layout_json(layout, str(subject.digest))
    found = None
    for layer in manifest["layers"]:
        algorithm, _, hex_digest = layer["digest"].partition(":")
        with gzip.open(layout / "blobs" / algorithm / hex_digest) as stream, \
                tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                handle = tar.extractfile(member) if member.name.lstrip("./") == path.lstrip("/") else None
                if handle is not None:
                    found = handle.read()
    assert found is not None, f"{path} is not in {subject.digest}"
    into.write_bytes(found)
    return into


def test_each_platform_of_a_goship_image_has_its_binary(built: Built, tmp_path: Path) -> None:
    subjects = find_go_binaries(f"oci:{built.layout}")

    [entry] = json.loads((built.layout / "index.json").read_text())["manifests"]
    index = layout_json(built.layout, entry["digest"])
    children = {item["platform"]["architecture"]: item["digest"] for item in index["manifests"]}
    assert [(s.platform, s.digest, s.index_digest) for s in subjects] == [
        ("linux/amd64", children["amd64"], entry["digest"]),
        ("linux/arm64", children["arm64"], entry["digest"])]
    revision = git(built.project, "rev-parse", "HEAD")
    for subject in subjects:
        [binary] = subject.binaries
        assert subject.skipped == ()
        config = layout_json(built.layout, layout_json(built.layout, str(subject.digest))["config"]["digest"])
        assert binary.path == config["config"]["Entrypoint"][0]
        assert binary.platform == subject.platform
        assert binary.info.vcs_revision == revision
        copy = extract(built.layout, subject, binary.path, tmp_path / subject.platform.replace("/", "-"))
        assert (binary.sha256, binary.size) == (sha256_of(copy), copy.stat().st_size)
        assert module_tuples(binary.info) == module_list(copy, built.env)
        assert {dep.path for dep in binary.info.deps} >= {"example.com/greet", "example.org/tools/v2"}


def test_the_tarball_of_the_same_build_gives_the_same_binary(built: Built) -> None:
    """A tarball holds one platform (this machine's): the same image as in the layout."""
    from_layout = {s.digest: s for s in find_go_binaries(f"oci:{built.layout}")}

    [subject] = find_go_binaries(f"tarball:{built.tarball}")

    assert subject.source == f"tarball:{built.tarball}" and subject.index_digest is None
    same = from_layout[subject.digest]
    assert (subject.platform, subject.binaries) == (same.platform, same.binaries)


@pytest.fixture(scope="module")
def true_program() -> Path:
    found = shutil.which("true")
    if found is None:
        missing("no `true` program on PATH")
    assert found is not None
    return Path(found).resolve()


def test_only_the_binaries_the_container_sees_are_found(go_programs: GoPrograms, true_program: Path,
                                                         tmp_path: Path) -> None:
    first_build = go_programs.build("app").read_bytes()
    later_build = go_programs.build("upgraded")
    truncated = first_build[:1 << 20]
    blobs = Blobs(tmp_path / "blobs")
    base = blobs.layer([
        directory("app"), directory("usr"), directory("usr/bin"),
        file("app/api", first_build),  # replaced by a later build in the next layer
        file("app/gone", first_build),  # deleted by the next layer
        file("app/broken", truncated),  # a Go binary cut short
        file("app/run.sh", b"#!/bin/sh\nexec /app/api\n"),  # a script: no executable format at all
        file("usr/bin/true", true_program.read_bytes()),  # a C program
    ])
    update = blobs.layer([directory("app"), file("app/api", later_build.read_bytes()), whiteout("app/gone")])
    layout = tmp_path / "layout"
    write_layout(layout, image([base, update]), "app:v2")

    [subject] = find_go_binaries(f"oci:{layout}:v2")

    [binary] = subject.binaries
    assert (binary.path, binary.sha256) == ("/app/api", sha256_of(later_build))
    assert module_tuples(binary.info) == module_list(later_build, go_programs.env("upgraded"))
    assert [skip.path for skip in subject.skipped] == ["/app/broken", "/usr/bin/true"]
    assert subject.skipped[0].reason.startswith(f"truncated: it ends at byte {1 << 20}, its headers describe")
    assert subject.skipped[1] == Skipped("/usr/bin/true", "not a Go program")

    # The same damaged file given on its own is an error that says what is wrong with it.
    cut = tmp_path / "broken"
    cut.write_bytes(truncated)
    with pytest.raises(BuildInfoError) as caught:
        find_go_binaries(str(cut))
    assert caught.value.message.startswith(f"{cut} is truncated: it ends at byte {1 << 20}")
    assert caught.value.hint


def test_an_index_in_a_registry_is_read_by_reference(go_programs: GoPrograms, registry_plain: RunningRegistry,
                                                      tmp_path: Path) -> None:
    linux_binary = go_programs.build("app", "linux/amd64")
    windows_binary = go_programs.build("app", "windows/amd64")
    linux_layer = write_layer([TarEntry("app", "dir", 0o755),
                               TarEntry("app/app", source=linux_binary, mode=0o755)],
                              tmp_path / "blobs", mtime=0, compression=Compression())
    windows_layer = write_layer(windows_entries([TarEntry("app", "dir", 0o755),
                                                 TarEntry("app/app.exe", source=windows_binary)]),
                                tmp_path / "blobs", mtime=0, compression=Compression())
    index = ImageIndex((image([linux_layer], "linux/amd64"), image([windows_layer], "windows/amd64")))
    repository = f"{registry_plain.host}/gobinary/app"
    with RegistryClient(RegistryOptions(), AnonymousKeychain()) as client:
        pushed = push_artifact(client, index, Reference.parse(repository, default_tag=""), ["v1"],
                               reporter=SilentReporter())

    for source in (f"{repository}:v1", f"docker://{repository}:v1", f"{repository}@{pushed}"):
        subjects = find_go_binaries(source)

        assert [(s.source, s.platform, s.digest, s.index_digest) for s in subjects] == [
            (source, "linux/amd64", str(index.images[0].digest), str(pushed)),
            (source, "windows/amd64", str(index.images[1].digest), str(pushed)),
        ]
        assert [[(b.path, b.platform, b.sha256) for b in s.binaries] for s in subjects] == [
            [("/app/app", "linux/amd64", sha256_of(linux_binary))],
            [("/app/app.exe", "windows/amd64", sha256_of(windows_binary))],
        ]
