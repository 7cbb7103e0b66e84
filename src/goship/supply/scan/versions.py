"""Go module versions and Go release names as the Go vulnerability database orders them.

The database writes SemVer without the ``v`` (``1.2.3``, ``0.0.0-20200124225646-8b5121be2f68``)
and names Go releases in SemVer too (``go1.21rc2`` is ``1.21.0-rc.2``, ``go1.21`` is
``1.21.0``), as golang.org/x/vuln does. Binaries record ``v1.2.3``, ``v2.0.0+incompatible``
and ``go1.25.5``. Pseudo-versions (``v0.0.0-20191109021931-daa7c04131f5``,
``v1.2.4-0.2019…-abc``) are SemVer prereleases and sort correctly as they are; build
metadata (``+incompatible``, ``+dirty``) does not count. The comparison itself is the
semver library's; only the Go-specific spellings are translated here.
"""

from __future__ import annotations

import re

import semver

_GO_RELEASE = re.compile(r"^go(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(beta|rc)(\d+))?$")
_SHORT = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?((?:[-+].*)?)$")


def parse_semver(text: str) -> semver.Version | None:
    """``1.2.3``, ``v1.2.3``, ``v1.2`` (Go's shorthand), a pseudo-version; None when it is
    not SemVer (``(devel)``, "", a branch name). Build metadata is dropped."""
    text = text.strip().removeprefix("v")
    match = _SHORT.match(text)
    if match is None:
        return None
    major, minor, patch, rest = match.groups()
    full = f"{major}.{minor or 0}.{patch or 0}{rest}"
    try:
        version = semver.Version.parse(full)
    except ValueError:
        return None
    return version.replace(build=None)


def go_to_semver(go_version: str) -> semver.Version | None:
    """A Go release as the database names it: ``go1.21rc2`` → 1.21.0-rc.2, ``go1.16.4`` →
    1.16.4; trailing words (``go1.22.1 X:boringcrypto``) are ignored. None for a development
    build (``devel go1.24-abc…``) or anything else that is not a release."""
    words = go_version.split()
    if not words:
        return None
    match = _GO_RELEASE.match(words[0].split("-")[0])
    if match is None:
        return None
    major, minor, patch, kind, number = match.groups()
    text = f"{major}.{minor or 0}.{patch or 0}" + (f"-{kind}.{number}" if kind else "")
    return semver.Version.parse(text)


def semver_to_go(version: str) -> str:
    """The database's ``1.21.0-rc.2`` as Go names the release: ``go1.21rc2``; ``1.16.5`` →
    ``go1.16.5``; ``1.21.0`` → ``go1.21.0`` (Go's own name since 1.21; older x.y.0 releases
    were called ``go1.x``)."""
    parsed = parse_semver(version)
    if parsed is None:
        return f"go{version}"
    if parsed.prerelease:
        kind, _, number = parsed.prerelease.partition(".")
        return f"go{parsed.major}.{parsed.minor}{kind}{number}"
    if parsed.patch == 0 and (parsed.major, parsed.minor) < (1, 21):
        return f"go{parsed.major}.{parsed.minor}"
    return f"go{parsed.major}.{parsed.minor}.{parsed.patch}"


def semver_to_module(version: str) -> str:
    """The database's ``0.0.0-2020…`` as a module version Go accepts: ``v0.0.0-2020…``."""
    return version if version.startswith("v") else f"v{version}"


def event_version(text: str) -> semver.Version | None:
    """An OSV event's version: ``"0"`` (from the start) is 0.0.0-0, below every release and
    prerelease; anything else as parse_semver reads it."""
    if text.strip() == "0":
        return semver.Version(0, 0, 0, "0")
    return parse_semver(text)
