"""Go binaries with hand-written build information, as find_go_binaries would report them."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from goship.gobinary.moduleinfo import BuildInfo, Module
from goship.gobinary.subject import GoBinary, Skipped, Subject
from goship.supply.sbom import make_documents

INDEX = "sha256:" + "1" * 64
AMD64 = "sha256:" + "a" * 64
ARM64 = "sha256:" + "b" * 64
SOURCE = "registry.example.com/team/hello:v1"


def go_sum(text: str) -> str:
    """A go.sum hash: ``h1:`` and the base64 of a SHA-256 (here of ``text``)."""
    return "h1:" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def sha256_of_sum(value: str) -> str:
    return base64.b64decode(value[3:]).hex()


def module(path: str, version: str, replace: Module | None = None) -> Module:
    return Module(path, version, "" if replace else go_sum(f"{path}@{version}"), replace)


def build_info(*deps: Module, go: str = "go1.25.5", main: tuple[str, str] = ("example.com/app", "v1.2.3"),
               package: str = "example.com/app/cmd/app", goarch: str = "amd64",
               vcs_time: str = "2024-10-01T12:00:00Z") -> BuildInfo:
    settings = (("-trimpath", "true"), ("-ldflags", "-s -w -X main.version=1.2.3"),
                ("CGO_ENABLED", "0"), ("GOARCH", goarch), ("GOOS", "linux"),
                ("vcs", "git"), ("vcs.revision", "0123456789abcdef0123456789abcdef01234567"),
                ("vcs.time", vcs_time), ("vcs.modified", "false"))
    return BuildInfo(go, package, Module(main[0], main[1]), tuple(deps), settings)


def binary(path: str, info: BuildInfo) -> GoBinary:
    return GoBinary(path, info, hashlib.sha256(path.encode() + info.go_version.encode()).hexdigest(), 1234)


def image(digest: str, platform: str, *binaries: GoBinary, skipped: tuple[Skipped, ...] = (),
          index: str | None = INDEX) -> Subject:
    return Subject(SOURCE, platform, digest, index, tuple(binaries), skipped)


def on_disk(info: BuildInfo, path: str = "/home/someone/out/app") -> Subject:
    item = binary(path, info)
    return Subject(path, item.platform, None, None, (item,))


def document(subjects: list[Subject], format: str = "cyclonedx", **options: Any) -> dict[str, Any]:
    [made] = make_documents(subjects, format, tool_version="0.1.0", **options)  # type: ignore[arg-type]
    return json.loads(made.content)


def components(bom: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """CycloneDX components by bom-ref, the described one included."""
    found = {item["bom-ref"]: item for item in bom.get("components", [])}
    root = bom["metadata"]["component"]
    found[root["bom-ref"]] = root
    return found


def properties(component: dict[str, Any]) -> list[tuple[str, str]]:
    return [(item["name"], item["value"]) for item in component.get("properties", [])]


def depends(bom: dict[str, Any]) -> dict[str, list[str]]:
    return {item["ref"]: item.get("dependsOn", []) for item in bom.get("dependencies", [])}
