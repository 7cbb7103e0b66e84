"""The Go release index: every release, its files, their sizes and SHA-256 sums.

The format is the JSON list go.dev serves at ``/dl/?mode=json&include=all``::

    [{"version": "go1.22.10", "stable": true,
      "files": [{"filename": "go1.22.10.linux-amd64.tar.gz", "os": "linux", "arch": "amd64",
                 "version": "go1.22.10", "sha256": "...", "size": 68986640, "kind": "archive"},
                ...]},
     ...]

It is the only source of checksums: an archive is trusted because the index names its
SHA-256, never because a mirror says so. A URL is fetched (through the proxy the caller
passes) and cached under the cache directory for ``max_age`` seconds; when it cannot be
fetched, a cached copy of any age is used and the index says it is stale. A file path (a
copy for machines without internet) is read as it is, never cached.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from goship.progress import Reporter, SilentReporter
from goship.toolchain.errors import (
    IndexUnavailableError,
    NoArchiveError,
    ReleaseIndexError,
    UnknownVersionError,
    VersionSyntaxError,
)
from goship.toolchain.layout import TEMP_PREFIX
from goship.toolchain.network import DownloadOptions, RequestError, get, is_url
from goship.toolchain.versions import GoVersion, SpecKind, VersionSpec

DEFAULT_INDEX_URL = "https://go.dev/dl/?mode=json&include=all"
DEFAULT_MAX_AGE = 24 * 3600.0
ARCHIVE = "archive"
_INDEX_HINT = (
    "check the network (and the proxy setting), or point GOSHIP_GO_INDEX at a copy of "
    f"{DEFAULT_INDEX_URL} saved as a file"
)
# The index names 32-bit ARM builds after the ARM version they target, Go calls them arm.
_ARCH_ALIASES = {"arm": "armv6l"}


@dataclass(frozen=True)
class ReleaseFile:
    filename: str
    os: str
    arch: str
    version: str
    sha256: str
    size: int
    kind: str  # "archive", "installer" or "source"

    @property
    def go_version(self) -> GoVersion:
        return GoVersion.from_name(self.version)

    @property
    def platform(self) -> str:
        return f"{self.os}/{self.arch}"


@dataclass(frozen=True)
class Release:
    version: GoVersion
    stable: bool
    files: tuple[ReleaseFile, ...]

    def archives(self) -> list[ReleaseFile]:
        """The binary archives (.tar.gz, .zip) of this release, one per platform."""
        return [file for file in self.files if file.kind == ARCHIVE and file.os and file.arch]

    def archive_for(self, os_name: str, arch: str) -> ReleaseFile:
        """The archive to install on ``os_name``/``arch``: .zip on Windows, .tar.gz elsewhere."""
        wanted_arch = _ARCH_ALIASES.get(arch, arch)
        extension = ".zip" if os_name == "windows" else ".tar.gz"
        for file in self.archives():
            if file.os == os_name and file.arch == wanted_arch and file.filename.endswith(extension):
                return file
        available = sorted({file.platform for file in self.archives()})
        raise NoArchiveError(
            f"{self.version} has no {extension} archive for {os_name}/{arch}",
            f"archives exist for: {', '.join(available)}" if available
            else "this release has no binary archives; pick another version",
        )


@dataclass(frozen=True)
class ReleaseIndex:
    releases: tuple[Release, ...]  # newest first
    source: str
    from_cache: bool = False
    # Set when the index could not be fetched and an older cached copy is used instead.
    stale_reason: str = ""

    def __iter__(self) -> Iterator[Release]:
        return iter(self.releases)

    def stable_only(self) -> ReleaseIndex:
        return replace(self, releases=tuple(release for release in self.releases if release.stable))

    def get(self, version: GoVersion) -> Release | None:
        return next((release for release in self.releases if release.version.same_release(version)), None)

    def find(self, spec: VersionSpec, *, include_unstable: bool = False) -> Release:
        """The newest release ``spec`` selects; unstable ones only when named exactly or asked for."""
        allowed = {
            release.version.sort_key: release for release in self.releases
            if release.stable or include_unstable or spec.kind is SpecKind.EXACT
        }
        chosen = spec.pick((release.version for release in allowed.values()),
                           include_unstable=include_unstable)
        if chosen is not None:
            return allowed[chosen.sort_key]
        stable = [release.version for release in self.releases if release.stable]
        hint = f"the newest stable release is {max(stable).number}" if stable else "the index is empty"
        if spec.version is not None:
            same_line = [release.version.number for release in self.releases
                         if release.version.line == spec.version.line]
            if same_line:
                line = f"{spec.version.major}.{spec.version.minor}"
                hint = f"releases of Go {line}: " + ", ".join(same_line[:12])
        raise UnknownVersionError(
            f"no Go release matches {spec} in the release index ({self.source})",
            hint + "; refresh the index if the release is newer than the cached copy",
        )


def parse_index(raw: bytes, source: str) -> ReleaseIndex:
    """Read the JSON list; releases whose name is not a Go version are skipped."""
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ReleaseIndexError(f"release index {source} is not JSON: {exc}",
                                f"{source} must serve the list {DEFAULT_INDEX_URL} serves") from exc
    if not isinstance(data, list):
        raise ReleaseIndexError(f"release index {source} is not a JSON list of releases",
                                f"{source} must serve the list {DEFAULT_INDEX_URL} serves")
    releases = []
    for position, entry in enumerate(data):
        release = _release(entry, position, source)
        if release is not None:
            releases.append(release)
    releases.sort(key=lambda release: release.version.sort_key, reverse=True)
    return ReleaseIndex(tuple(releases), source)


def _release(entry: Any, position: int, source: str) -> Release | None:
    where = f"release index {source}, entry {position}"
    if not isinstance(entry, dict) or not isinstance(entry.get("version"), str):
        raise ReleaseIndexError(f"{where} has no version", "the index must be go.dev/dl's JSON format")
    try:
        version = GoVersion.from_name(entry["version"])
    except VersionSyntaxError:
        return None
    files = entry.get("files", [])
    if not isinstance(files, list):
        raise ReleaseIndexError(f"{where} ({entry['version']}): files is not a list",
                                "the index must be go.dev/dl's JSON format")
    return Release(version, bool(entry.get("stable", False)),
                   tuple(_file(item, f"{where} ({entry['version']})") for item in files))


def _file(item: Any, where: str) -> ReleaseFile:
    fields = {"filename": str, "os": str, "arch": str, "version": str, "sha256": str,
              "size": int, "kind": str}
    if not isinstance(item, dict):
        raise ReleaseIndexError(f"{where}: a file is not an object",
                                "the index must be go.dev/dl's JSON format")
    values: dict[str, Any] = {}
    for name, kind in fields.items():
        value = item.get(name, "" if kind is str else None)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ReleaseIndexError(f"{where}: file {item.get('filename', '?')} has no valid {name}",
                                    "the index must be go.dev/dl's JSON format")
        values[name] = value
    return ReleaseFile(**values)


def load_index(
    location: str | None,
    *,
    cache_dir: Path,
    max_age: float = DEFAULT_MAX_AGE,
    refresh: bool = False,
    options: DownloadOptions | None = None,
    reporter: Reporter | None = None,
    now: float | None = None,
) -> ReleaseIndex:
    """The release index from ``location`` (a URL or a file path; None: go.dev).

    A URL is answered from the cache when the copy is younger than ``max_age`` seconds and
    ``refresh`` is false; otherwise it is fetched, and the cache is used (marked stale) only
    when fetching fails.
    """
    location = location or DEFAULT_INDEX_URL
    reporter = reporter or SilentReporter()
    if location.startswith("file://"):
        location = location.removeprefix("file://")
    if not is_url(location):
        return _read_file(Path(location).expanduser())
    cache_file = cache_dir / "go-releases" / (hashlib.sha256(location.encode()).hexdigest()[:24] + ".json")
    current = time.time() if now is None else now
    age = _age(cache_file, current)
    if age is not None and age <= max_age and not refresh:
        reporter.debug(f"Go release index from cache {cache_file} ({age:.0f}s old)")
        try:
            return replace(parse_index(cache_file.read_bytes(), location), from_cache=True)
        except (OSError, ReleaseIndexError):
            reporter.debug(f"cached Go release index {cache_file} is unreadable; fetching it again")
    try:
        raw = _fetch(location, options or DownloadOptions(), reporter)
        index = parse_index(raw, location)
    except (IndexUnavailableError, ReleaseIndexError) as exc:
        if age is None:
            raise
        try:
            cached = parse_index(cache_file.read_bytes(), location)
        except (OSError, ReleaseIndexError):
            raise exc from None
        reporter.debug(f"using the cached Go release index: {exc}")
        return replace(cached, from_cache=True,
                       stale_reason=f"{exc.message}; using a copy cached {_describe_age(age)} ago")
    try:
        _write_cache(cache_file, raw)
    except OSError as exc:  # a cache that cannot be written only costs a fetch next time
        reporter.debug(f"cannot cache the Go release index in {cache_file}: {exc}")
    return index


def _write_cache(path: Path, raw: bytes) -> None:
    """Replace the cached copy through a temporary file, without an fsync: a copy a crash
    leaves empty or torn does not parse, and is fetched again."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX, suffix=".json")
    temp = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(raw)
        temp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def _read_file(path: Path) -> ReleaseIndex:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise IndexUnavailableError(
            f"cannot read the Go release index {path}: {exc.strerror or exc}",
            f"GOSHIP_GO_INDEX must name a readable file (a saved copy of {DEFAULT_INDEX_URL}) or a URL",
        ) from exc
    return parse_index(raw, str(path))


def _fetch(url: str, options: DownloadOptions, reporter: Reporter) -> bytes:
    reporter.step(f"fetching the Go release index {url}")
    try:
        with get(url, options) as response:
            if response.status != 200:
                raise IndexUnavailableError(
                    f"cannot fetch the Go release index {url}: the server answered {response.status}",
                    _INDEX_HINT)
            return response.read()
    except RequestError as exc:
        raise IndexUnavailableError(f"cannot fetch the Go release index {url}: {exc.reason}",
                                    _INDEX_HINT) from exc


def _age(path: Path, now: float) -> float | None:
    try:
        return max(0.0, now - path.stat().st_mtime)
    except OSError:
        return None


def _describe_age(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} hours"
    return f"{seconds / 86400:.0f} days"
