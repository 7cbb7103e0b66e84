"""The Go environment (GOOS, GOARCH, GOARM, GOAMD64) for an image platform."""

from __future__ import annotations

from goship.oci.platform import Platform


def go_environment(platform: Platform) -> dict[str, str]:
    env = {"GOOS": platform.os, "GOARCH": platform.architecture}
    if platform.architecture == "arm" and platform.variant:
        env["GOARM"] = platform.variant.removeprefix("v")
    if platform.architecture == "amd64" and platform.variant:
        env["GOAMD64"] = platform.variant
    return env


def binary_name(name: str, platform: Platform) -> str:
    return f"{name}.exe" if platform.is_windows else name
