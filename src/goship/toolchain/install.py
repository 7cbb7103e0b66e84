"""Installing, removing and pruning Go versions in the toolchain home.

An install holds the version's lock file for its whole length, so two installs of one
version (two terminals, two CI jobs on one runner) end with one installation: the second
waits, then finds the marker and reports the version as already installed. Inside the lock:
leftovers of an interrupted install are removed, the archive is downloaded, verified and
extracted into a temporary directory in ``versions/`` (a .tar.gz as it arrives), the marker
written last into its ``go/`` tree, and the tree renamed to ``versions/goX.Y.Z``. Any failure
or interruption removes what this install made; nothing half-installed is ever taken for an
installation.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from goship.errors import UsageError
from goship.oci.filelock import exclusive_lock
from goship.progress import Reporter, SilentReporter
from goship.toolchain.download import DEFAULT_MIRRORS, check_entry, downloaded_archive, stream_archive
from goship.toolchain.errors import (
    ActiveVersionError,
    DownloadError,
    InstallError,
    MirrorFailure,
    NotInstalledError,
)
from goship.toolchain.extract import StreamingExtraction, extract_go_archive
from goship.toolchain.gopath import per_version as per_version_gopath
from goship.toolchain.gopath import write_go_env
from goship.toolchain.index import ReleaseFile
from goship.toolchain.installed import (
    InstalledVersion,
    installed_version,
    list_installed,
    marker_text,
    remove_tree,
)
from goship.toolchain.launchers import sync_launchers
from goship.toolchain.layout import MARKER, TEMP_PREFIX, ToolchainHome
from goship.toolchain.network import DownloadOptions
from goship.toolchain.oserrors import write_failure
from goship.toolchain.versions import GoVersion

__all__ = [  # list_installed and installed_version live in installed.py, offered here too
    "InstallResult", "InstalledVersion", "PruneResult", "install", "install_from_file",
    "installed_version", "list_installed", "prune", "uninstall",
]

# An extracted Go tree is about 3.5 times its .tar.gz; the archive itself is there too.
SPACE_FACTOR = 5


@dataclass(frozen=True)
class InstallResult:
    installed: InstalledVersion
    already_installed: bool
    failures: tuple[MirrorFailure, ...] = ()  # mirrors that failed before one delivered
    removed_leftovers: tuple[Path, ...] = ()  # remains of interrupted installs cleaned up


@dataclass(frozen=True)
class PruneResult:
    removed: tuple[GoVersion, ...]
    kept: tuple[GoVersion, ...]


def install(
    archive: ReleaseFile,
    home: ToolchainHome,
    *,
    mirrors: Sequence[str] = DEFAULT_MIRRORS,
    options: DownloadOptions | None = None,
    reporter: Reporter | None = None,
    check_space: bool = True,
) -> InstallResult:
    """Install the release ``archive`` (an index entry) from the first mirror that delivers it."""
    reporter = reporter or SilentReporter()
    check_entry(archive)
    version = archive.go_version
    with _version_lock(home, version, reporter):
        existing = installed_version(version, home)
        if existing is not None:
            reporter.step(f"Go {version.number} is already installed in {existing.path}")
            return InstallResult(existing, already_installed=True)
        leftovers = _remove_leftovers(home, version, reporter)
        if check_space:
            _check_space(home, archive)
        if archive.filename.endswith(".tar.gz"):  # unpacked while it downloads
            installed, failures = _install_streaming(archive, mirrors, home, options, reporter)
        else:  # a .zip is read from its end, so it is downloaded first
            with downloaded_archive(archive, mirrors, home.versions_dir, options=options,
                                    reporter=reporter) as downloaded:
                installed = _install_verified(downloaded.path, archive, home, downloaded.source, reporter)
            failures = downloaded.failures
    _refresh_launchers(home, reporter)
    return InstallResult(installed, False, failures, leftovers)


def install_from_file(path: Path, archive: ReleaseFile, home: ToolchainHome, *,
                      reporter: Reporter | None = None) -> InstallResult:
    """Install from an archive already on disk (a machine without internet); its size and
    SHA-256 must still be the ones ``archive`` (the index entry) names."""
    reporter = reporter or SilentReporter()
    check_entry(archive)
    version = archive.go_version
    _verify_file(path, archive)
    with _version_lock(home, version, reporter):
        existing = installed_version(version, home)
        if existing is not None:
            return InstallResult(existing, already_installed=True)
        leftovers = _remove_leftovers(home, version, reporter)
        installed = _install_verified(path, archive, home, str(path), reporter)
    _refresh_launchers(home, reporter)
    return InstallResult(installed, False, (), leftovers)


def uninstall(version: GoVersion, home: ToolchainHome, *, force: bool = False,
              reporter: Reporter | None = None) -> Path:
    """Remove an installed version; the global one only with ``force`` (which also clears the
    global link). Returns the directory that was removed."""
    from goship.toolchain.current import clear_global, read_global  # not needed to install

    reporter = reporter or SilentReporter()
    with _version_lock(home, version, reporter):
        existing = installed_version(version, home)
        if existing is None:
            names = ", ".join(item.version.number for item in list_installed(home)) or "none"
            raise NotInstalledError(f"Go {version.number} is not installed (installed: {names})",
                                    "nothing to remove; list the installed versions to pick one")
        active = read_global(home)
        is_active = active is not None and active.same_release(version)
        if is_active and not force:
            raise ActiveVersionError(
                f"Go {version.number} is the global version and is not removed",
                "switch the global version to another one first, or force the removal",
            )
        _remove_version_dir(existing.path, f"removing Go {version.number}", reporter)
        if is_active:
            clear_global(home)
    _refresh_launchers(home, reporter)
    return existing.path


def prune(home: ToolchainHome, *, keep_per_minor: int = 1, protect: Collection[GoVersion] = (),
          dry_run: bool = False, reporter: Reporter | None = None) -> PruneResult:
    """Remove all but the ``keep_per_minor`` newest installed releases of each minor line.

    Never removes a version in ``protect`` (pinned by a project, say) nor the global one.
    """
    if keep_per_minor < 1:
        raise UsageError(f"cannot keep {keep_per_minor} versions per minor line",
                         "keep at least 1; remove single versions with uninstall")
    from goship.toolchain.current import read_global  # not needed to install

    reporter = reporter or SilentReporter()
    protected = {version.sort_key for version in protect}
    active = read_global(home)
    if active is not None:
        protected.add(active.sort_key)
    seen_per_line: dict[tuple[int, int], int] = {}
    removed: list[GoVersion] = []
    kept: list[GoVersion] = []
    for item in list_installed(home):  # newest first
        version = item.version
        rank = seen_per_line.get(version.line, 0)
        seen_per_line[version.line] = rank + 1
        if rank < keep_per_minor or version.sort_key in protected:
            kept.append(version)
            continue
        removed.append(version)
        if not dry_run:
            reporter.step(f"removing Go {version.number}")
            with _version_lock(home, version, reporter):
                if installed_version(version, home) is not None:
                    _remove_version_dir(item.path, f"pruning Go {version.number}", reporter)
    if removed and not dry_run:
        _refresh_launchers(home, reporter)
    return PruneResult(tuple(removed), tuple(kept))


@contextlib.contextmanager
def _version_lock(home: ToolchainHome, version: GoVersion, reporter: Reporter) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        try:
            home.versions_dir.mkdir(parents=True, exist_ok=True)
            reporter.debug(f"waiting for the lock on {home.lock_file(version)}")
            stack.enter_context(exclusive_lock(home.lock_file(version)))
        except OSError as exc:
            raise write_failure(f"locking Go {version.number}", home.versions_dir, exc) from exc
        yield


def _remove_leftovers(home: ToolchainHome, version: GoVersion, reporter: Reporter) -> tuple[Path, ...]:
    """Remains of interrupted installs of ``version``: an unmarked version directory, and
    temporary directories and downloads named after it (safe: its lock is held)."""
    found = []
    final = home.version_dir(version)
    if final.exists() and installed_version(version, home) is None:  # no marker, or a torn one
        found.append(final)
    for entry in home.versions_dir.iterdir():
        if entry.name.startswith(TEMP_PREFIX) and (
            entry.name.startswith(f"{TEMP_PREFIX}{version.name}-")
            or entry.name.startswith(f"{TEMP_PREFIX}remove-{version.name}-")
            or (entry.name.startswith(f"{TEMP_PREFIX}download-") and f"-{version.name}." in entry.name)
        ):
            found.append(entry)
    for path in found:
        reporter.step(f"removing {path}, left by an interrupted install")
        try:
            if path.is_dir() and not path.is_symlink():
                remove_tree(path)
            else:
                path.unlink()
        except OSError as exc:
            raise write_failure(f"removing {path}", path, exc) from exc
    return tuple(found)


def _check_space(home: ToolchainHome, archive: ReleaseFile) -> None:
    try:
        free = shutil.disk_usage(home.versions_dir).free
    except OSError:
        return
    needed = archive.size * SPACE_FACTOR
    if free < needed:
        raise InstallError(
            f"installing Go {archive.go_version.number}: {free // 2**20} MiB free in {home.versions_dir}, "
            f"about {needed // 2**20} MiB needed",
            "free some space (prune older patch releases), or set GOSHIP_HOME to a directory on a "
            "disk with room; nothing was installed",
        )


def _verify_file(path: Path, archive: ReleaseFile) -> None:
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as source:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise DownloadError(f"cannot read {path}: {exc.strerror or exc}", "pass a readable archive") from exc
    if size != archive.size or digest.hexdigest() != archive.sha256.lower():
        raise DownloadError(
            f"{path} is not {archive.filename} as the release index lists it "
            f"({size} bytes, SHA-256 {digest.hexdigest()}; expected {archive.size} bytes, {archive.sha256})",
            "download the archive again from an official mirror",
        )


def _install_verified(path: Path, archive: ReleaseFile, home: ToolchainHome, source: str,
                      reporter: Reporter) -> InstalledVersion:
    work = _work_dir(home, archive)
    try:
        reporter.step(f"extracting {archive.filename}")
        tree = extract_go_archive(path, work, label=archive.filename, reporter=reporter)
        return _move_into_place(tree, archive, home, source, reporter)
    finally:
        with contextlib.suppress(OSError):
            remove_tree(work)


def _install_streaming(archive: ReleaseFile, mirrors: Sequence[str], home: ToolchainHome,
                       options: DownloadOptions | None,
                       reporter: Reporter) -> tuple[InstalledVersion, tuple[MirrorFailure, ...]]:
    """Download and unpack at once, each attempt into its own temporary directory; only the
    attempt whose bytes matched the index is moved into place."""
    works: list[Path] = []

    def open_sink() -> StreamingExtraction:
        works.append(_work_dir(home, archive))
        return StreamingExtraction(works[-1], label=archive.filename, size=archive.size, reporter=reporter)

    try:
        streamed = stream_archive(archive, mirrors, open_sink, home.versions_dir, options=options,
                                  reporter=reporter)
        sink = streamed.sink
        assert isinstance(sink, StreamingExtraction)
        tree = sink.finish()
        return _move_into_place(tree, archive, home, streamed.source, reporter), streamed.failures
    finally:
        for work in works:
            with contextlib.suppress(OSError):
                remove_tree(work)


def _work_dir(home: ToolchainHome, archive: ReleaseFile) -> Path:
    version = archive.go_version
    try:
        return Path(tempfile.mkdtemp(dir=home.versions_dir, prefix=f"{TEMP_PREFIX}{version.name}-"))
    except OSError as exc:
        raise write_failure(f"installing Go {version.number}", home.versions_dir, exc) from exc


def _move_into_place(tree: Path, archive: ReleaseFile, home: ToolchainHome, source: str,
                     reporter: Reporter) -> InstalledVersion:
    """Write the marker into the verified, unpacked ``tree``, last, and rename the tree to
    versions/goX.Y.Z: the version appears complete in one step, or not at all.

    Nothing is fsynced: a crash of the machine can lose the tree's data as well as the
    marker's, and a marker that does not read back makes the directory a leftover that the
    next install of the version replaces."""
    version = archive.go_version
    final = home.version_dir(version)
    if per_version_gopath(home):  # the version appears with its GOPATH
        write_go_env(tree, home, version, enabled=True)
    try:
        marker = marker_text(version, archive.sha256.lower(), source, archive.filename)
        (tree / MARKER).write_bytes(marker)
        tree.rename(final)
    except OSError as exc:
        raise write_failure(f"installing Go {version.number}", final, exc) from exc
    reporter.step(f"installed Go {version.number} in {final}")
    installed = installed_version(version, home)
    assert installed is not None  # the marker was just written
    return installed


def _remove_version_dir(path: Path, operation: str, reporter: Reporter) -> None:
    # Renamed away first, so the version disappears at once even if deleting takes long
    # or fails halfway (a leftover .tmp- directory is cleaned up by a later install).
    doomed = path.with_name(f"{TEMP_PREFIX}remove-{path.name}-{os.urandom(6).hex()}")
    try:
        path.rename(doomed)
    except OSError as exc:
        raise write_failure(operation, path, exc, f"{path.name} is still installed; close programs "
                            "using it and retry") from exc
    try:
        remove_tree(doomed)
    except OSError as exc:
        reporter.step(f"could not delete all of {doomed}: {exc}; the next install of {path.name} removes it")


def _refresh_launchers(home: ToolchainHome, reporter: Reporter) -> None:
    # One lock for the whole launcher directory: installs of two versions at once must not
    # each remove the other's new launcher as stale.
    try:
        with exclusive_lock(home.launchers_lock):
            sync_launchers(home, [item.version for item in list_installed(home)])
    except OSError as exc:  # the versions are installed; only GOTOOLCHAIN's PATH lookup suffers
        reporter.step(f"could not update the go1.X.Y launchers in {home.bin_dir}: {exc}")
