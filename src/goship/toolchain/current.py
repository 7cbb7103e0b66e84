"""The global Go version: one ``current`` link in the toolchain home.

With ``<root>/current/bin`` on PATH once, switching versions is replacing one link. On Unix
it is a relative symlink, replaced atomically (a new link renamed over the old one). On
Windows, where symlinks need Developer Mode or an administrator, it is a directory junction
(made with ``_winapi.CreateJunction``); junctions only live on, and point into, local
NTFS/ReFS volumes, so on a network path, a mapped network drive or a FAT disk no link is
made: the version is written to ``current.version`` and the caller is told to put the
version's bin directory on PATH instead. ``plan_global_link`` is that decision, as a pure
function of the paths and what is known about the volume.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path, PurePath, PureWindowsPath

from goship.oci.filelock import exclusive_lock, write_atomic
from goship.toolchain.errors import InstallError, NotInstalledError, VersionSyntaxError
from goship.toolchain.installed import installed_version, list_installed
from goship.toolchain.layout import ToolchainHome
from goship.toolchain.oserrors import write_failure
from goship.toolchain.versions import GoVersion

_JUNCTION_FILESYSTEMS = frozenset({"NTFS", "REFS"})


class LinkKind(Enum):
    SYMLINK = "symlink"
    JUNCTION = "junction"
    PATH = "path"  # no link: the caller puts the version's bin directory on PATH


@dataclass(frozen=True)
class LinkPlan:
    kind: LinkKind
    reason: str = ""  # why no link can be made (PATH only)


@dataclass(frozen=True)
class GlobalSwitch:
    version: GoVersion
    kind: LinkKind
    link: Path | None  # <root>/current, when a link was made
    bin_dir: Path  # the directory that must be on PATH for `go` to be this version
    note: str = ""  # for PATH: why no link was made


def _is_network_path(path: PureWindowsPath) -> bool:
    return path.drive.startswith(("\\\\", "//"))


def plan_global_link(root: PurePath, target: PurePath, *, windows: bool, remote_drive: bool = False,
                     filesystem: str | None = None) -> LinkPlan:
    """How ``<root>/current`` can point at ``target`` (a version directory).

    ``remote_drive``: the drive of ``root`` is a mapped network drive; ``filesystem``: the
    file system of ``root``'s volume (``NTFS``, ``FAT32``...), None when unknown.
    """
    if not windows:
        return LinkPlan(LinkKind.SYMLINK)
    root_path, target_path = PureWindowsPath(root), PureWindowsPath(target)
    if _is_network_path(root_path) or _is_network_path(target_path):
        return LinkPlan(LinkKind.PATH, f"{root_path} is on a network path, where junctions cannot be made")
    if remote_drive:
        return LinkPlan(LinkKind.PATH,
                        f"drive {root_path.drive} is a network drive, where junctions cannot be made")
    if filesystem is not None and filesystem.upper() not in _JUNCTION_FILESYSTEMS:
        return LinkPlan(LinkKind.PATH,
                        f"drive {root_path.drive} is {filesystem}, which cannot hold junctions")
    return LinkPlan(LinkKind.JUNCTION)


def read_global(home: ToolchainHome) -> GoVersion | None:
    """The global version: the ``current`` link's target, else ``current.version``."""
    with contextlib.suppress(OSError, VersionSyntaxError):
        target = str(home.current_link.readlink())
        return GoVersion.from_name(PureWindowsPath(target).name if "\\" in target else PurePath(target).name)
    with contextlib.suppress(OSError, VersionSyntaxError):
        return GoVersion.from_name(home.current_file.read_text(encoding="utf-8"))
    return None


def use_global(version: GoVersion, home: ToolchainHome) -> GlobalSwitch:
    """Make ``version`` (installed) the global version."""
    # Under the version's lock, so an uninstall cannot remove it between check and switch.
    try:
        lock = exclusive_lock(home.lock_file(version))
        home.versions_dir.mkdir(parents=True, exist_ok=True)
        with lock:
            return _use_global(version, home)
    except OSError as exc:
        raise write_failure(f"making Go {version.number} the global version", home.versions_dir, exc,
                            "the global version did not change") from exc


def _use_global(version: GoVersion, home: ToolchainHome) -> GlobalSwitch:
    if installed_version(version, home) is None:
        names = ", ".join(item.version.number for item in list_installed(home)) or "none"
        raise NotInstalledError(f"Go {version.number} is not installed (installed: {names})",
                                f"install it first (`goship go install {version.number}`)")
    target = home.version_dir(version)
    windows = sys.platform == "win32"
    plan = plan_global_link(home.root, target, windows=windows, remote_drive=_is_remote_drive(home.root),
                            filesystem=_filesystem(home.root))
    operation = f"making Go {version.number} the global version"
    try:
        if plan.kind is LinkKind.SYMLINK:
            _replace_symlink(home.current_link, f"versions/{version.name}")
        elif plan.kind is LinkKind.JUNCTION:
            try:
                _replace_junction(home.current_link, target)
            except OSError as exc:
                plan = LinkPlan(LinkKind.PATH, f"a junction could not be made ({exc.strerror or exc})")
        if plan.kind is LinkKind.PATH:
            _remove_link(home.current_link)
            write_atomic(home.current_file, version.name.encode() + b"\n")
            return GlobalSwitch(version, plan.kind, None, target / "bin",
                                f"{plan.reason}; put {target / 'bin'} on PATH to use Go {version.number}")
        with contextlib.suppress(FileNotFoundError):
            home.current_file.unlink()
    except OSError as exc:
        raise write_failure(operation, home.current_link, exc, "the global version did not change") from exc
    return GlobalSwitch(version, plan.kind, home.current_link, home.current_link / "bin")


def clear_global(home: ToolchainHome) -> None:
    """Forget the global version (after its version was removed)."""
    try:
        _remove_link(home.current_link)
        with contextlib.suppress(FileNotFoundError):
            home.current_file.unlink()
    except OSError as exc:
        raise write_failure("clearing the global Go version", home.current_link, exc,
                            "the global version is unchanged") from exc


def _replace_symlink(link: Path, target: str) -> None:
    _refuse_real_directory(link)
    temp = link.with_name(f".tmp-current-{os.urandom(16).hex()}")
    temp.symlink_to(target, target_is_directory=True)
    try:
        temp.replace(link)
    except OSError:
        temp.unlink()
        raise


def _replace_junction(link: Path, target: Path) -> None:
    # A junction cannot be renamed over another one, so the old one goes just before the
    # new one, made under a temporary name, takes its place.
    _refuse_real_directory(link)
    temp = link.with_name(f".tmp-current-{os.urandom(16).hex()}")
    _create_junction(target, temp)
    try:
        _remove_link(link)
        temp.rename(link)
    except OSError:
        with contextlib.suppress(OSError):
            temp.rmdir()
        raise


def _refuse_real_directory(link: Path) -> None:
    if link.is_dir() and not _is_link(link):
        raise InstallError(f"{link} is a directory, not the link goship keeps there",
                           f"move {link} out of the way; goship keeps a link to the global version there")


def _is_link(path: Path) -> bool:
    try:
        path.readlink()
    except OSError:
        return False
    return True


def _remove_link(link: Path) -> None:
    if not _is_link(link):
        return
    try:
        link.unlink()
    except (IsADirectoryError, PermissionError):
        link.rmdir()  # a junction on some Windows versions


def _create_junction(target: Path, link: Path) -> None:
    if sys.platform == "win32":
        import _winapi

        _winapi.CreateJunction(str(target), str(link))
    else:
        raise OSError("directory junctions exist only on Windows")


def _is_remote_drive(path: Path) -> bool:
    if sys.platform == "win32":
        import ctypes

        drive = PureWindowsPath(path.resolve()).drive
        if not drive or drive.startswith("\\\\"):
            return False
        drive_remote = 4
        return bool(ctypes.windll.kernel32.GetDriveTypeW(drive + "\\") == drive_remote)
    return False


def _filesystem(path: Path) -> str | None:
    if sys.platform == "win32":
        import ctypes

        drive = PureWindowsPath(path.resolve()).anchor
        name = ctypes.create_unicode_buffer(64)
        if ctypes.windll.kernel32.GetVolumeInformationW(drive, None, 0, None, None, None, name, len(name)):
            return name.value or None
    return None
