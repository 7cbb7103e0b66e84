"""Go programs with real module dependencies for the SBOM tests, what `go version -m` says
of them, and images that hold them beside executables that are not Go programs.

The dependencies cover what an SBOM must get right: a pseudo-version, a /vN major path, a
path with upper-case letters, a ``+incompatible`` version, a module replaced by another
module version and one replaced by a directory. The images are made with goship's own oci
module: a layer with /bin/true (an ELF program that is not Go) and a layer with the Go
program, for linux/amd64 and linux/arm64.
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fixtures.gomodules import Dependency, go_build, module_list, write_program

from goship.oci.compress import Compression
from goship.oci.image import Image, ImageIndex
from goship.oci.imageconfig import ImageConfig
from goship.oci.layer import TarEntry, write_layer
from goship.oci.platform import Platform

DEPENDENCIES = (
    Dependency("golang.org/x/crypto", "v0.0.0-20220315160706-3147a52a75dd", "cryptobyte"),
    Dependency("github.com/beego/beego/v2", "v2.0.1"),
    Dependency("github.com/BurntSushi/toml", "v1.2.1"),
    Dependency("github.com/docker/docker", "v20.10.0+incompatible"),
    Dependency("example.com/orig", "v1.0.0", replace_with=("example.com/fork", "v1.0.1")),
    Dependency("example.com/local", "v1.0.0", replace_with=("./local/dir", "")),
)
PLATFORMS = ("linux/amd64", "linux/arm64")
NOT_GO = "/bin/true"  # an ELF executable of the test machine, built from C
LDFLAGS = "-s -w -X main.version=1.2.3"


@dataclass
class Programs:
    """The test program, written once, built (once each) per platform and flavour."""

    work: Path
    base_env: Mapping[str, str]
    envs: dict[str, dict[str, str]] = field(default_factory=dict)
    built: dict[tuple[str, str], Path] = field(default_factory=dict)

    def env(self, flavour: str) -> dict[str, str]:
        if flavour not in self.envs:
            self.envs[flavour] = write_program(self.work / flavour, DEPENDENCIES, env=self.base_env,
                                               module="example.com/sbomtest", vendor=flavour == "vendored")
        return self.envs[flavour]

    def build(self, flavour: str = "modules", platform: str = "linux/amd64") -> Path:
        key = (flavour, platform)
        if key not in self.built:
            goos, goarch = platform.split("/")
            output = self.work / "bin" / f"{flavour}-{goos}-{goarch}"
            self.built[key] = go_build(self.work / flavour, output, self.env(flavour), goos=goos,
                                       goarch=goarch, ldflags=LDFLAGS)
        return self.built[key]

    def modules(self, binary: Path, flavour: str = "modules") -> list[tuple[str, ...]]:
        return module_list(binary, self.env(flavour))


def purl(path: str, version: str | None) -> str:
    """The purl of a module as the purl specification spells it ('+' percent-encoded)."""
    return f"pkg:golang/{path}" + (f"@{version.replace('+', '%2B')}" if version else "")


def expected_components(lines: list[tuple[str, ...]]) -> set[tuple[str, str | None, str, str | None]]:
    """(name, version, purl, SHA-256 hex) of every module `go version -m` lists: a replaced
    module as its replacement, a directory replacement by its own path with no version."""
    found: set[tuple[str, str | None, str, str | None]] = set()
    deps: list[list[tuple[str, ...]]] = []
    for line in lines:
        if line[0] == "dep":
            deps.append([line])
        elif line[0] == "=>" and deps:
            deps[-1].append(line)
    for group in deps:
        original, replacement = group[0], group[1] if len(group) > 1 else None
        if replacement is not None and replacement[1].startswith(("./", "../", "/")):
            found.add((original[1], None, purl(original[1], None), None))
            continue
        built = replacement or original
        h1 = built[3] if len(built) > 3 else ""
        digest = base64.b64decode(h1[3:]).hex() if h1 else None
        found.add((built[1], built[2], purl(built[1], built[2]), digest))
    return found


def cyclonedx_modules(bom: dict[str, Any]) -> set[tuple[str, str | None, str, str | None]]:
    found = set()
    for item in bom["components"]:
        if item["type"] == "library" and item["name"] != "stdlib":
            digest = next((entry["content"] for entry in item.get("hashes", []) if entry["alg"] == "SHA-256"),
                          None)
            found.add((item["name"], item.get("version"), item["purl"], digest))
    return found


def spdx_modules(document: dict[str, Any]) -> set[tuple[str, str | None, str, str | None]]:
    found = set()
    for package in document["packages"]:
        if package["primaryPackagePurpose"] != "LIBRARY" or package["name"] == "stdlib":
            continue
        [locator] = [ref["referenceLocator"] for ref in package["externalRefs"]
                     if ref["referenceType"] == "purl"]
        digest = next((item["checksumValue"] for item in package.get("checksums", [])
                       if item["algorithm"] == "SHA256"), None)
        found.add((package["name"], package.get("versionInfo"), locator, digest))
    return found


def image_of(binary: Path, platform: str, blobs: Path) -> Image:
    """An image of ``platform``: /bin/true in one layer, the Go program as /app/sbomtest."""
    compression = Compression("zlib-ng", 1)
    base = [TarEntry("bin", "dir", 0o755), TarEntry("bin/true", source=Path(shutil.which("true") or NOT_GO),
                                                    mode=0o755)]
    app = [TarEntry("app", "dir", 0o755), TarEntry("app/sbomtest", source=binary, mode=0o755)]
    layers = [write_layer(entries, blobs, mtime=0, compression=compression) for entries in (base, app)]
    config = ImageConfig.empty(Platform.parse(platform))
    for layer in layers:
        config = config.with_layer(layer.diff_id, "goship sbom tests", "2024-10-01T12:00:00Z")
    return Image(config.with_runtime(Entrypoint=["/app/sbomtest"]), tuple(layers))


def index_of(programs: Programs, blobs: Path) -> ImageIndex:
    return ImageIndex(tuple(image_of(programs.build("modules", platform), platform, blobs)
                            for platform in PLATFORMS))
