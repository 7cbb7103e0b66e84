"""The archive platform of the machine goship runs on."""

from __future__ import annotations

import pytest

from goship.toolchain.host import host_platform


@pytest.mark.parametrize(
    ("system", "machine", "platform"),
    [("linux", "x86_64", ("linux", "amd64")), ("darwin", "arm64", ("darwin", "arm64")),
     ("win32", "AMD64", ("windows", "amd64")), ("win32", "ARM64", ("windows", "arm64")),
     ("linux", "aarch64", ("linux", "arm64")), ("linux", "armv7l", ("linux", "arm")),
     ("freebsd14", "amd64", ("freebsd", "amd64")), ("linux", "i686", ("linux", "386"))],
)
def test_host_platform(system: str, machine: str, platform: tuple[str, str]) -> None:
    assert host_platform(system, machine) == platform
