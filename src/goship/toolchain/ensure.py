"""The Go version a project pins, installed when missing: what `goship build` runs first.

A project pins a version with GOSHIP_GO_VERSION, a `.go-version` file or a go.mod
`toolchain` line. A go.mod `go` line is a minimum, not a pin: the Go on PATH serves it when
new enough; when it is older (or there is none), the newest installed release of the go line's
minor version that meets it is used, or the newest such release is installed, as Go's own
GOTOOLCHAIN=auto would do, but verified against the release index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from goship.errors import GoshipError
from goship.progress import Reporter
from goship.toolchain.errors import NotInstalledError, NoVersionSelectedError
from goship.toolchain.layout import ToolchainHome
from goship.toolchain.select import Selection, SelectionSource, select_version
from goship.toolchain.versions import GoVersion, SpecKind, VersionSpec

PINNING_SOURCES = (SelectionSource.ENVIRONMENT, SelectionSource.GO_VERSION_FILE,
                   SelectionSource.GOMOD_TOOLCHAIN)


@dataclass(frozen=True)
class Pin:
    selection: Selection
    version: GoVersion
    installed_now: bool


def pinned_selection(directory: Path, home: ToolchainHome, env_version: str | None) -> Selection | None:
    """The project's pin, or None when nothing pins a version (the go line is no pin)."""
    try:
        selection = select_version(directory, home, env_version=env_version)
    except NoVersionSelectedError:
        return None
    return selection if selection.source in PINNING_SOURCES else None


@dataclass(frozen=True)
class ReleaseSource:
    """Where a missing version comes from, and whether it may be downloaded at all."""

    offline: bool
    index_location: str | None  # GOSHIP_GO_INDEX; None: the official index
    mirrors: Sequence[str]  # empty: the official ones
    cache_dir: Path
    proxy: str | None = None  # for https://
    no_proxy: tuple[str, ...] = ()
    http_proxy: str | None = None  # for http://


def ensure_pinned(directory: Path, home: ToolchainHome, *, env_version: str | None,
                  source: ReleaseSource, reporter: Reporter) -> Pin | None:
    """The pinned version, installing it unless offline; None when nothing pins one."""
    selection = pinned_selection(directory, home, env_version)
    if selection is None:
        return None
    if selection.version is not None:
        return Pin(selection, selection.version, installed_now=False)
    where = str(selection.origin or selection.source.value)
    version, installed_now = _install(selection.spec, f"pinned by {where}", source, home, reporter)
    return Pin(selection, version, installed_now)


def ensure_minimum(gomod: Path, minimum: GoVersion, home: ToolchainHome, *, source: ReleaseSource,
                   reporter: Reporter) -> tuple[GoVersion, bool]:
    """A release meeting ``gomod``'s go line (``minimum``): the newest installed one of its
    minor line, else the newest in the index, installed now unless offline. Returns the
    version and whether it was installed now."""
    from goship.toolchain.installed import list_installed

    spec = VersionSpec.at_least(minimum)
    present = spec.pick(item.version for item in list_installed(home))
    if present is not None:
        return present, False
    return _install(spec, f"required by the go line of {gomod}", source, home, reporter)


def _install(spec: VersionSpec, why: str, source: ReleaseSource, home: ToolchainHome,
             reporter: Reporter) -> tuple[GoVersion, bool]:
    if source.offline:
        raise NotInstalledError(
            f"Go {spec} is {why} but not installed, and --offline was given",
            f"install it first: goship go install {_argument(spec)}",
        )
    from goship.toolchain.download import DEFAULT_MIRRORS
    from goship.toolchain.host import host_platform
    from goship.toolchain.index import load_index
    from goship.toolchain.install import install
    from goship.toolchain.network import DownloadOptions

    options = DownloadOptions(proxy=source.proxy, no_proxy=source.no_proxy, http_proxy=source.http_proxy)
    reporter.step(f"installing Go {spec} ({why})")
    try:
        index = load_index(source.index_location, cache_dir=source.cache_dir, options=options,
                           reporter=reporter)
        archive = index.find(spec).archive_for(*host_platform())
        result = install(archive, home, mirrors=source.mirrors or DEFAULT_MIRRORS, options=options,
                         reporter=reporter)
    except GoshipError as exc:
        raise type(exc)(f"installing Go {spec}, {why}: {exc.message}", exc.hint) from exc
    return result.installed.version, not result.already_installed


def _argument(spec: VersionSpec) -> str:
    """What to type after `goship go install` for ``spec``."""
    if spec.version is None:
        return "latest"
    if spec.kind is SpecKind.MINIMUM:
        return f"{spec.version.major}.{spec.version.minor}"
    return spec.version.number
