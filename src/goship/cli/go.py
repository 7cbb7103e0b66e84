"""`goship go …`: install, list, switch and explain Go versions (goship.toolchain does the work)."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from goship.config import ToolchainSettings, load_toolchain_settings
from goship.errors import GoshipError
from goship.toolchain.layout import ToolchainHome


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    go = commands.add_parser("go", parents=[common], help="install, switch and pin Go versions",
                             description="A Go version manager: versions live side by side under "
                                         "goship's home; `goship build` uses the one a project pins.")
    actions = go.add_subparsers(dest="go_command", metavar="ACTION", required=True)

    remote = actions.add_parser("list-remote", help="Go releases from the official index, newest first")
    remote.add_argument("--all", action="store_true", help="include betas and release candidates")
    remote.add_argument("--refresh", action="store_true", help="read the index again now")
    remote.add_argument("--json", action="store_true")

    install = actions.add_parser("install", help="download, verify and install a version")
    install.add_argument("version", help="1.22.10, go1.22.10, 1.22 (newest 1.22.x) or latest")
    install.add_argument("--refresh", action="store_true", help="read the release index again now")

    uninstall = actions.add_parser("uninstall", help="remove an installed version")
    uninstall.add_argument("version")
    uninstall.add_argument("--force", action="store_true", help="also when it is the global version")

    listing = actions.add_parser("list", help="installed versions; * marks the global one")
    listing.add_argument("--json", action="store_true")

    prune = actions.add_parser("prune", help="remove older patch releases of each minor version")
    prune.add_argument("--keep", type=int, default=1, help="how many of each minor to keep")
    prune.add_argument("--dry-run", action="store_true")

    use = actions.add_parser("use", help="switch versions globally, for this shell, or pin the project")
    use.add_argument("version")
    where = use.add_mutually_exclusive_group()
    where.add_argument("--global", dest="scope", action="store_const", const="global",
                       help="switch the one `current` link (default)")
    where.add_argument("--shell", dest="shell", nargs="?", const="bash", default=None,
                       metavar="SHELL", help="print environment lines for bash, zsh, fish, pwsh or cmd")
    where.add_argument("--project", dest="scope", action="store_const", const="project",
                       help="write .go-version here")

    env = actions.add_parser("env", help="show or set GOROOT, GOPATH, GOPROXY, GOSUMDB, GOPRIVATE, "
                                         "GOTOOLCHAIN for the Go that runs here")
    env.add_argument("--shell", nargs="?", const="bash", default=None, metavar="SHELL",
                     help="print environment lines for this shell instead")
    env.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="write a setting with `go env -w` (e.g. GOPROXY=https://mirror,direct)")
    env.add_argument("--gopath", choices=["per-version", "shared"], default=None,
                     help="give every managed version its own GOPATH (<home>/gopath/goX.Y.Z), or "
                          "go back to one shared GOPATH")
    env.add_argument("--json", action="store_true")

    which = actions.add_parser("which", help="the Go version that runs in this directory")
    which.add_argument("--json", action="store_true")
    actions.add_parser("explain", help="the Go version that runs here, and why")


def run_go(args: argparse.Namespace) -> int:
    settings = load_toolchain_settings(args.environ)
    home = ToolchainHome.for_goship_home(settings.home)
    handlers = {
        "list-remote": _list_remote, "install": _install, "uninstall": _uninstall,
        "list": _list, "prune": _prune, "use": _use, "which": _which, "explain": _which,
        "env": _env,
    }
    return handlers[args.go_command](args, settings, home)


def _reporter(args: argparse.Namespace) -> Any:
    from goship.cli.output import ConsoleReporter

    return ConsoleReporter(verbose=args.verbose, quiet=getattr(args, "json", False))


def _options(settings: ToolchainSettings) -> Any:
    from goship.toolchain.network import DownloadOptions

    return DownloadOptions(proxy=settings.proxy, no_proxy=settings.no_proxy,
                           http_proxy=settings.http_proxy)


def _index(settings: ToolchainSettings, *, refresh: bool, reporter: Any) -> Any:
    from goship.toolchain.index import load_index

    index = load_index(settings.index_location, cache_dir=settings.cache_dir, refresh=refresh,
                       options=_options(settings), reporter=reporter)
    if index.stale_reason:
        print(f"goship: warning: using a cached release index ({index.stale_reason})", file=sys.stderr)
    return index


def _list_remote(args: argparse.Namespace, settings: ToolchainSettings, home: ToolchainHome) -> int:
    from goship.toolchain.host import host_platform

    index = _index(settings, refresh=args.refresh, reporter=_reporter(args))
    releases = list(index) if args.all else list(index.stable_only())
    goos, goarch = host_platform()
    rows = []
    for release in releases:
        archive = release.archive_for(goos, goarch) if release.archives() else None
        rows.append({"version": release.version.name, "stable": release.stable,
                     "archive": archive.filename if archive else None,
                     "size": archive.size if archive else None})
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    for row in rows:
        note = "" if row["archive"] else f"  (no build for {goos}/{goarch})"
        print(f"{row['version']}{'' if row['stable'] else '  (unstable)'}{note}")
    return 0


def _install(args: argparse.Namespace, settings: ToolchainSettings, home: ToolchainHome) -> int:
    from goship.toolchain.download import DEFAULT_MIRRORS
    from goship.toolchain.host import host_platform
    from goship.toolchain.install import install
    from goship.toolchain.versions import VersionSpec

    reporter = _reporter(args)
    try:
        index = _index(settings, refresh=args.refresh, reporter=reporter)
        release = index.find(VersionSpec.parse(args.version))
        archive = release.archive_for(*host_platform())
        result = install(archive, home, mirrors=settings.mirrors or DEFAULT_MIRRORS,
                         options=_options(settings), reporter=reporter)
    finally:
        reporter.close()
    for failure in result.failures:
        print(f"goship: warning: {failure.mirror}: {failure.reason}", file=sys.stderr)
    state = "already installed" if result.already_installed else "installed"
    print(f"{result.installed.version.name} {state} in {result.installed.path}")
    return 0


def _uninstall(args: argparse.Namespace, settings: ToolchainSettings, home: ToolchainHome) -> int:
    from goship.toolchain.install import uninstall
    from goship.toolchain.versions import GoVersion

    removed = uninstall(GoVersion.from_name(args.version), home, force=args.force)
    print(f"removed {removed}")
    return 0


def _list(args: argparse.Namespace, settings: ToolchainSettings, home: ToolchainHome) -> int:
    from goship.toolchain.current import read_global
    from goship.toolchain.installed import list_installed

    current = read_global(home)
    installed = list_installed(home)
    if args.json:
        json.dump([{"version": item.version.name, "path": str(item.path),
                    "global": item.version == current} for item in installed], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if not installed:
        print("no Go versions installed; `goship go install latest` installs one", file=sys.stderr)
    for item in installed:
        print(f"{'*' if item.version == current else ' '} {item.version.name}  {item.path}")
    return 0


def _prune(args: argparse.Namespace, settings: ToolchainSettings, home: ToolchainHome) -> int:
    from goship.toolchain.install import prune
    from goship.toolchain.select import select_version

    protect = []
    with contextlib.suppress(GoshipError):  # nothing pinned here: nothing more to protect
        selection = select_version(Path.cwd(), home, env_version=settings.version_override)
        if selection.version is not None:
            protect.append(selection.version)   # the version this project pins is kept
    result = prune(home, keep_per_minor=args.keep, protect=protect, dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    for version in result.removed:
        print(f"{verb} {version.name}")
    if not result.removed:
        print("nothing to prune", file=sys.stderr)
    return 0


def _use(args: argparse.Namespace, settings: ToolchainSettings, home: ToolchainHome) -> int:
    from goship.toolchain.installed import installed_version
    from goship.toolchain.select import use_global, write_project
    from goship.toolchain.shell import shell_lines
    from goship.toolchain.versions import VersionSpec

    spec = VersionSpec.parse(args.version)
    if args.scope == "project":
        path = write_project(Path.cwd(), spec)
        print(f"wrote {path}")
        return 0
    from goship.toolchain.installed import list_installed

    version = spec.pick([item.version for item in list_installed(home)])
    if version is None:
        from goship.toolchain.errors import NotInstalledError

        raise NotInstalledError(f"Go {args.version} is not installed",
                                f"install it first: goship go install {args.version}")
    installed = installed_version(version, home)
    assert installed is not None
    if args.shell is not None:
        for line in shell_lines(installed.path, args.shell, extra_path=[home.bin_dir],
                                gopath=_gopath(home, version)):
            print(line)
        return 0
    switch = use_global(version, home)
    print(f"{version.name} is now the global Go version")
    if switch.note:
        print(f"goship: {switch.note}", file=sys.stderr)
    else:
        print(f"hint: put {switch.bin_dir} and {home.bin_dir} on PATH once", file=sys.stderr)
    return 0


def _install_argument(spec: Any) -> str:
    """What to pass to `goship go install` for a spec (a go.mod minimum: its minor line)."""
    from goship.toolchain.versions import SpecKind

    if spec.kind is SpecKind.MINIMUM and spec.version is not None:
        return f"{spec.version.major}.{spec.version.minor}"
    return str(spec)


def _which(args: argparse.Namespace, settings: ToolchainSettings, home: ToolchainHome) -> int:
    from goship.toolchain.select import select_version

    selection = select_version(Path.cwd(), home, env_version=settings.version_override,
                               gotoolchain=settings.gotoolchain)
    found = selection.version.name if selection.version is not None else None
    if getattr(args, "json", False):
        json.dump({"version": found, "wanted": str(selection.spec), "source": selection.source.value,
                   "origin": str(selection.origin) if selection.origin else None,
                   "warning": selection.warning}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if args.go_command == "which":
        if found is None:
            print(f"goship: error: Go {selection.spec} is wanted here but not installed", file=sys.stderr)
            print(f"hint: goship go install {_install_argument(selection.spec)}", file=sys.stderr)
            return 4
        print(found)
    else:
        origin = f" ({selection.origin})" if selection.origin else ""
        print(f"wanted: {selection.spec}, from the {selection.source.value}{origin}")
        missing = f"nothing: not installed (goship go install {_install_argument(selection.spec)})"
        print(f"runs:   {found or missing}")
    if selection.warning:
        print(f"goship: warning: {selection.warning}", file=sys.stderr)
    return 0


def _gopath(home: ToolchainHome, version: Any) -> Path | None:
    from goship.toolchain.gopath import gopath_for, per_version

    return gopath_for(home, version) if per_version(home) else None


def _set_gopath_mode(args: argparse.Namespace, home: ToolchainHome) -> None:
    from goship.toolchain.gopath import PER_VERSION, reads_go_env, set_mode
    from goship.toolchain.installed import list_installed

    versions = [item.version for item in list_installed(home)]
    set_mode(home, args.gopath, versions)
    if args.gopath == PER_VERSION:
        print(f"each Go version now has its own GOPATH under {home.root / 'gopath'}", file=sys.stderr)
        old = [version.name for version in versions if not reads_go_env(version)]
        if old:
            print(f"goship: note: {', '.join(old)} predate go.env: they use their GOPATH only "
                  "through `goship go use VERSION --shell`", file=sys.stderr)
        if args.environ.get("GOPATH"):
            print("goship: warning: GOPATH is set in this environment and wins over the per-version "
                  "one; unset it", file=sys.stderr)
    else:
        print("the Go versions share one GOPATH again (GOPATH from go env -w, or ~/go)", file=sys.stderr)


ENV_KEYS = ("GOROOT", "GOPATH", "GOPROXY", "GOSUMDB", "GOPRIVATE", "GOTOOLCHAIN")


def _env(args: argparse.Namespace, settings: ToolchainSettings, home: ToolchainHome) -> int:
    import subprocess

    from goship.errors import BuildError, UsageError
    from goship.toolchain.errors import NoVersionSelectedError
    from goship.toolchain.select import select_version
    from goship.toolchain.shell import shell_lines

    if args.gopath is not None:  # a setting of the home: it needs no version selected here
        _set_gopath_mode(args, home)
    try:
        selection = select_version(Path.cwd(), home, env_version=settings.version_override,
                                   gotoolchain=settings.gotoolchain)
    except NoVersionSelectedError:
        if args.gopath is not None and not (args.set or args.shell or args.json):
            return 0
        raise
    if selection.version is None:
        raise BuildError(f"Go {selection.spec} is wanted here but not installed",
                         f"goship go install {_install_argument(selection.spec)}")
    from goship.toolchain.installed import installed_version

    installed = installed_version(selection.version, home)
    assert installed is not None
    go = installed.path / "bin" / ("go.exe" if sys.platform == "win32" else "go")
    if args.shell is not None:
        for line in shell_lines(installed.path, args.shell, extra_path=[home.bin_dir],
                                gopath=_gopath(home, installed.version)):
            print(line)
        return 0
    environment = {**args.environ, "GOTOOLCHAIN": args.environ.get("GOTOOLCHAIN", "local")}
    for item in args.set:
        key, equals, value = item.partition("=")
        if not equals or key not in ENV_KEYS or key == "GOROOT":
            raise UsageError(f"cannot set '{item}'",
                             f"give KEY=VALUE with KEY one of {', '.join(ENV_KEYS[1:])}")
        done = subprocess.run([str(go), "env", "-w", f"{key}={value}"], env=environment,
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BuildError(f"go env -w {key} failed: {done.stderr.strip()}",
                             "check the value; `go help environment` describes each setting")
    shown = subprocess.run([str(go), "env", "-json", *ENV_KEYS], env=environment,
                           capture_output=True, text=True, check=False)
    if shown.returncode != 0:
        raise BuildError(f"{go} env failed: {shown.stderr.strip()}", "check the Go installation")
    values = json.loads(shown.stdout)
    wanted = _gopath(home, installed.version)
    if wanted is not None and values.get("GOPATH") != str(wanted) and "GOPATH" not in dict(
            item.partition("=")[::2] for item in args.set):
        print(f"goship: warning: GOPATH is {values.get('GOPATH')}, not the per-version {wanted}: "
              "the environment or `go env -w` set it (`go env -u GOPATH` removes the latter)",
              file=sys.stderr)
    if args.json:
        json.dump({"version": selection.version.name, **values}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    print(f"# {selection.version.name}, from the {selection.source.value}")
    for key in ENV_KEYS:
        print(f"{key}={values.get(key, '')}")
    return 0
