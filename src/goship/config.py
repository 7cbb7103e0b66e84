"""The one place that reads goship.toml, GOSHIP_* variables and command-line options.

Everything is resolved once into a frozen ``Config``: flags win over the environment, the
environment over goship.toml, goship.toml over defaults. Unknown keys and wrong types are
errors that name the file, the line and the key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goship.config_tables import (
    STRING,
    STRING_LIST,
    STRING_TABLE,
    TRUE_OR_FALSE,
    WHOLE_NUMBER,
    ConfigTable,
    is_int,
    is_str,
    is_str_list,
)
from goship.errors import ConfigError, UsageError
from goship.paths import cache_dir, home_dir

if TYPE_CHECKING:
    # Imported where used: `goship go` reads its settings here and needs none of them.
    from goship.config_deploy import DeployConfig
    from goship.oci.compress import Compression
    from goship.oci.platform import Platform
    from goship.pipeline.settings import PipelineSettings
    from goship.policy.interface import PolicySettings
    from goship.release.settings import ReleaseSettings
    from goship.supply.scan.interface import ScanSettings

CONFIG_FILE = "goship.toml"
STATIC_BASE = "static"
DEFAULT_WINDOWS_BASE = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
DEFAULT_LAYOUT = Path(".goship") / "oci"
_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")


def _default_compression() -> Compression:
    from goship.oci.compress import Compression

    return Compression()


def _default_policy() -> PolicySettings:
    from goship.policy.interface import PolicySettings

    return PolicySettings()


def _default_release() -> ReleaseSettings:
    from goship.release.settings import ReleaseSettings

    return ReleaseSettings()


def _default_deploy() -> DeployConfig:
    from goship.config_deploy import DeployConfig

    return DeployConfig()


def _default_scan() -> ScanSettings:
    from goship.supply.scan.interface import ScanSettings

    return ScanSettings()


def _default_pipeline() -> PipelineSettings:
    from goship.pipeline.settings import PipelineSettings

    return PipelineSettings()


@dataclass(frozen=True)
class ImageSpec:
    """One image to build: a main package and how its image looks."""

    name: str
    package: str
    repository: str = ""
    data_dir: str = ""
    ports: tuple[int, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    args: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Options:
    """What the command line says; None means "not given"."""

    packages: tuple[str, ...] = ()
    platforms: str | None = None
    push: str | None = None
    tarball: str | None = None
    oci_layout: str | None = None
    base: str | None = None
    version: str | None = None
    jobs: int | None = None
    insecure_registries: tuple[str, ...] = ()
    ca_file: str | None = None
    offline: bool = False
    sbom: bool | None = None  # --sbom / --no-sbom; None: [build] sbom decides
    scan: str | None = None  # --scan[=FAIL_ON]: "" for [scan] fail-on
    no_scan: bool = False  # --no-scan: no gate, whatever [build] scan says
    sign_key: str | None = None  # --sign KEY
    no_sign: bool = False  # --no-sign: no signature, whatever [build] sign-key says


@dataclass(frozen=True)
class Config:
    module_dir: Path
    config_file: Path | None
    images: tuple[ImageSpec, ...]
    platforms: tuple[Platform, ...]
    base: str = STATIC_BASE
    windows_base: str = DEFAULT_WINDOWS_BASE
    go: str | None = None
    ldflags: tuple[str, ...] = ()
    go_flags: tuple[str, ...] = ()
    go_tags: tuple[str, ...] = ()
    go_env: tuple[tuple[str, str], ...] = ()
    version: str | None = None
    maintainer: str = ""
    source_url: str = ""
    labels: tuple[tuple[str, str], ...] = ()
    image_tags: tuple[str, ...] = ("latest",)
    source_date_epoch: int | None = None
    compression: Compression = field(default_factory=_default_compression)
    timezones: bool = False
    repository: str | None = None
    tarball: Path | None = None
    oci_layout: Path | None = None
    insecure_registries: tuple[str, ...] = ()
    ca_file: Path | None = None
    registry_username: str | None = None
    registry_password: str | None = None
    proxy: str | None = None
    no_proxy: tuple[str, ...] = ()
    cache_dir: Path = Path()
    home: Path = Path()
    jobs: int = 1
    offline: bool = False
    environment: tuple[tuple[str, str], ...] = ()
    policy: PolicySettings = field(default_factory=_default_policy)  # goship.toml [policy]
    # goship.toml [release], [environments.*] and [[retention]] (goship.config_release)
    release: ReleaseSettings = field(default_factory=_default_release)
    scan: ScanSettings = field(default_factory=_default_scan)  # goship.toml [scan] (goship.config_scan)
    # goship.toml [deploy] and [environments.*.deploy] (goship.config_deploy)
    deploy: DeployConfig = field(default_factory=_default_deploy)
    # goship.toml [pipeline] and [pipeline.*] (goship.config_pipeline)
    pipeline: PipelineSettings = field(default_factory=_default_pipeline)
    # The supply-chain steps of build and release ([build] sbom, scan, sign-key; goship.supply.build_steps)
    sbom: bool = False
    scan_gate: bool = False  # scan before publishing, and publish nothing on a finding at scan.fail_on
    sign_key: Path | None = None

    @property
    def env(self) -> dict[str, str]:
        return dict(self.environment)


# ---------------------------------------------------------------------------------------
# goship.toml schema: key -> (type description, checker)

def _is_port_list(value: Any) -> bool:
    return isinstance(value, list) and all(is_int(p) and 0 < p < 65536 for p in value)


_TOP = {
    "go": ("a string (path, GOROOT or version)", is_str),
    "repository": ("a string like registry/repo", is_str),
    "platforms": ("a list of strings like \"linux/amd64\"", is_str_list),
    "base": ("a string: \"static\" or an image reference", is_str),
    "windows_base": ("a string: an image reference", is_str),
    "version": STRING,
    "maintainer": STRING,
    "source": ("a string (URL)", is_str),
    "labels": STRING_TABLE,
    "tags": STRING_LIST,
    "compression": ("a string like \"zlib-ng:5\"", is_str),
    "timezones": TRUE_OR_FALSE,
    "oci_layout": ("a string (directory)", is_str),
    "tarball": ("a string (file)", is_str),
    "insecure_registries": ("a list of strings (host[:port])", is_str_list),
    "ca_file": ("a string (PEM file)", is_str),
    "jobs": WHOLE_NUMBER,
}
_BUILD = {
    "ldflags": STRING_LIST,
    "flags": STRING_LIST,
    "tags": STRING_LIST,
    "env": STRING_TABLE,
    "sbom": TRUE_OR_FALSE,
    "scan": TRUE_OR_FALSE,
    "sign-key": ("a string (a cosign private key file)", is_str),
}
_IMAGE = {
    "name": STRING,
    "package": ("a string like ./cmd/api", is_str),
    "repository": ("a string like registry/repo", is_str),
    "data": ("a string (directory)", is_str),
    "ports": ("a list of port numbers", _is_port_list),
    "env": STRING_TABLE,
    "args": STRING_LIST,
    "labels": STRING_TABLE,
}


def load_toml(path: Path) -> tuple[dict[str, Any], str]:
    """The parsed TOML file and its text (for line numbers in later errors)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}",
                          "check the file exists and is readable") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text", f"save {path.name} as UTF-8") from exc
    import tomllib
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = getattr(exc, "lineno", None) or (found.group(1) if found else None)
        location = f"{path}:{line}" if line else str(path)
        message = str(exc).split(" (at ")[0]
        raise ConfigError(f"{location}: malformed TOML: {message}",
                          "fix the syntax; see docs/configuration.md") from exc
    return data, text


def nearest_file(start: Path, name: str) -> Path | None:
    """``name`` in ``start`` or the nearest parent holding it, up to and including the git
    work tree's root (the first directory holding .git): a file above the repository belongs
    to another project."""
    for directory in (start, *start.parents):
        if (directory / name).is_file():
            return directory / name
        if (directory / ".git").exists():
            return None
    return None


def read_config_file(path: Path) -> dict[str, Any]:
    """goship.toml, checked; its [policy] table is replaced by the PolicySettings it means,
    and its [release], [environments.*] and [[retention]] tables by one ReleaseSettings
    under "release"."""
    data, text = load_toml(path)
    root = ConfigTable(dict(data), path, text)  # as read: the settings below replace tables in data
    root.check(_TOP, sub_tables=("build", "images", "policy", "release", "environments", "retention",
                                 "scan", "pipeline", "deploy"))
    root.table("build", hint="write [build]").check(_BUILD)
    images = root.array("images", "write each image as [[images]] with name and package")
    for number, image in enumerate(images):
        image.check(_IMAGE)
        if "package" not in image.data:
            raise image.error("", f"image {number + 1} has no 'package'",
                              "add package = \"./cmd/NAME\" to the [[images]] table")
    # The readers of the other tables are imported here: `goship go` reads its settings here too.
    if "policy" in data:
        from goship.config_policy import settings_from_config as policy_settings

        data["policy"] = policy_settings(root)
    deploy = None
    if "deploy" in data or "environments" in data:
        from goship.config_deploy import deploy_config, has_deploy_tables

        # Read before the release settings take the environments: their deploy tables are here.
        deploy = deploy_config(root) if has_deploy_tables(data) else None
        data.pop("deploy", None)
    if any(key in data for key in ("release", "environments", "retention")):
        from goship.config_release import RELEASE_TABLES
        from goship.config_release import settings_from_config as release_settings

        release = release_settings(root)
        for key in RELEASE_TABLES:
            data.pop(key, None)
        data["release"] = release  # environments and retention are inside it now
    if "scan" in data:
        from goship.config_scan import settings_from_config as scan_settings

        data["scan"] = scan_settings(root)
    if "pipeline" in data:
        from goship.config_pipeline import settings_from_config as pipeline_settings

        data["pipeline"] = pipeline_settings(root)
    if deploy is not None:
        data["deploy"] = deploy
    return data


# ---------------------------------------------------------------------------------------


def _default_name(package: str, module_dir: Path) -> str:
    stem = package.rstrip("/").split("/")[-1]
    if stem in ("", "."):
        stem = module_dir.resolve().name
    return re.sub(r"[^a-z0-9._-]+", "-", stem.lower()).strip("-._") or "app"


def _image_from_table(table: Mapping[str, Any], module_dir: Path) -> ImageSpec:
    package = str(table["package"])
    name = str(table.get("name") or _default_name(package, module_dir))
    if not _NAME.match(name):
        raise ConfigError(f"image name '{name}' is not valid",
                          "use lowercase letters, digits, '.', '_' or '-'")
    return ImageSpec(
        name=name,
        package=package,
        repository=str(table.get("repository", "")),
        data_dir=str(table.get("data", "")),
        ports=tuple(table.get("ports", ())),
        env=tuple(sorted(table.get("env", {}).items())),
        args=tuple(table.get("args", ())),
        labels=tuple(sorted(table.get("labels", {}).items())),
    )


def _platforms(text: str | Sequence[str]) -> tuple[Platform, ...]:
    from goship.oci.platform import Platform

    items = text.split(",") if isinstance(text, str) else list(text)
    platforms = tuple(dict.fromkeys(Platform.parse(item) for item in items if item.strip()))
    if not platforms:
        raise UsageError("no platform given", "use e.g. --platform linux/amd64,linux/arm64")
    return platforms


def host_platform() -> Platform:
    from goship.oci.platform import Platform

    if hasattr(os, "uname"):
        machine = os.uname().machine.lower()
    else:  # Windows
        import platform as stdlib_platform

        machine = stdlib_platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64",
            "armv7l": "arm", "armv6l": "arm", "i386": "386", "i686": "386",
            "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}.get(machine, "amd64")
    variant = "v6" if machine == "armv6l" else ""
    return Platform("linux", arch, variant or ("v7" if arch == "arm" else ""))


def source_date_epoch(env: Mapping[str, str]) -> int | None:
    """SOURCE_DATE_EPOCH as seconds, None when unset; a ConfigError when not a number."""
    value = env.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ConfigError(f"SOURCE_DATE_EPOCH '{value}' is not a whole number of seconds",
                          "set it to a Unix time, e.g. $(git log -1 --format=%ct)")
    return int(value)


def _proxy(env: Mapping[str, str]) -> str | None:
    """The proxy for https:// URLs (registries, go.dev): HTTPS_PROXY, else ALL_PROXY."""
    return (env.get("HTTPS_PROXY") or env.get("https_proxy") or env.get("ALL_PROXY")
            or env.get("all_proxy") or None)


def _http_proxy(env: Mapping[str, str]) -> str | None:
    """The proxy for plain http:// URLs (an internal mirror): HTTP_PROXY, else ALL_PROXY.
    Lower case only for http_proxy would be curl's rule; both cases are read, as Go does."""
    return (env.get("HTTP_PROXY") or env.get("http_proxy") or env.get("ALL_PROXY")
            or env.get("all_proxy") or None)


def registry_access_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """What a registry reader outside a build needs from the environment (``goship lint
    --image``): the proxy, NO_PROXY and goship's registry credentials."""
    return {"proxy": _proxy(env), "no_proxy": _no_proxy(env),
            "username": env.get("GOSHIP_REGISTRY_USERNAME") or None,
            "password": env.get("GOSHIP_REGISTRY_PASSWORD") or None}


def _no_proxy(env: Mapping[str, str]) -> tuple[str, ...]:
    text = env.get("NO_PROXY") or env.get("no_proxy") or ""
    return tuple(item for item in text.split(",") if item.strip())


def load_config(module_dir: Path, options: Options, env: Mapping[str, str]) -> Config:
    """Resolve flags, GOSHIP_* variables and goship.toml into one Config."""
    config_path = module_dir / CONFIG_FILE
    data: dict[str, Any] = read_config_file(config_path) if config_path.is_file() else {}
    build: dict[str, Any] = data.get("build", {})

    if options.packages:
        images = tuple(ImageSpec(_default_name(p, module_dir), p) for p in options.packages)
        configured = {spec.package.rstrip("/"): spec for spec in
                      (_image_from_table(t, module_dir) for t in data.get("images", []))}
        images = tuple(configured.get(spec.package.rstrip("/"), spec) for spec in images)
    elif data.get("images"):
        images = tuple(_image_from_table(table, module_dir) for table in data["images"])
    else:
        images = (ImageSpec(_default_name(".", module_dir), "."),)
    names = [spec.name for spec in images]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigError(f"two images are named '{duplicates[0]}'",
                          "give each [[images]] table its own name")

    platform_text = options.platforms or env.get("GOSHIP_PLATFORMS") or data.get("platforms")
    platforms = _platforms(platform_text) if platform_text else (host_platform(),)

    from goship.oci.compress import Compression

    try:
        compression = Compression.parse(env.get("GOSHIP_COMPRESSION") or data.get("compression", "zlib-ng:5"))
    except ConfigError as exc:
        raise ConfigError(f"{config_path.name}: {exc.message}", exc.hint) from exc

    def path_option(flag: str | None, key: str) -> Path | None:
        value = flag or data.get(key)
        if not value:
            return None
        path = Path(value).expanduser()
        return path if path.is_absolute() else (Path.cwd() / path if flag else module_dir / path)

    jobs = options.jobs or data.get("jobs") or min(len(images) * len(platforms), os.cpu_count() or 1)
    if jobs < 1:
        raise UsageError(f"jobs must be at least 1, not {jobs}", "use --jobs N with N >= 1")
    insecure = tuple(options.insecure_registries) + tuple(data.get("insecure_registries", ())) + tuple(
        item for item in env.get("GOSHIP_INSECURE_REGISTRIES", "").split(",") if item
    )
    ca_file = path_option(options.ca_file, "ca_file") or (
        Path(env["GOSHIP_CA_FILE"]) if env.get("GOSHIP_CA_FILE") else None
    )
    if ca_file is not None and not ca_file.is_file():
        raise UsageError(f"CA file {ca_file} does not exist", "give a PEM file with the registry's CA")

    return Config(
        module_dir=module_dir,
        config_file=config_path if data else None,
        images=images,
        platforms=platforms,
        base=options.base or env.get("GOSHIP_BASE") or data.get("base", STATIC_BASE),
        windows_base=env.get("GOSHIP_WINDOWS_BASE") or data.get("windows_base", DEFAULT_WINDOWS_BASE),
        go=env.get("GOSHIP_GO") if not data.get("go") else data["go"],
        ldflags=tuple(build.get("ldflags", ())),
        go_flags=tuple(build.get("flags", ())),
        go_tags=tuple(build.get("tags", ())),
        go_env=tuple(sorted(build.get("env", {}).items())),
        version=options.version or env.get("GOSHIP_VERSION") or data.get("version"),
        maintainer=data.get("maintainer", ""),
        source_url=env.get("GOSHIP_SOURCE") or data.get("source", ""),
        labels=tuple(sorted(data.get("labels", {}).items())),
        image_tags=tuple(data.get("tags", ("latest",))),
        source_date_epoch=source_date_epoch(env),
        compression=compression,
        timezones=bool(data.get("timezones", False)),
        repository=options.push or env.get("GOSHIP_REPOSITORY") or data.get("repository"),
        tarball=path_option(options.tarball, "tarball"),
        oci_layout=path_option(options.oci_layout, "oci_layout"),
        insecure_registries=insecure,
        ca_file=ca_file,
        registry_username=env.get("GOSHIP_REGISTRY_USERNAME"),
        registry_password=env.get("GOSHIP_REGISTRY_PASSWORD"),
        proxy=_proxy(env),
        no_proxy=_no_proxy(env),
        cache_dir=cache_dir(env),
        home=home_dir(env),
        jobs=int(jobs),
        offline=options.offline or env.get("GOSHIP_OFFLINE", "") not in ("", "0"),
        environment=tuple(sorted(env.items())),
        policy=data["policy"] if "policy" in data else _default_policy(),
        release=data["release"] if "release" in data else _default_release(),
        pipeline=data["pipeline"] if "pipeline" in data else _default_pipeline(),
        deploy=data["deploy"] if "deploy" in data else _default_deploy(),
        scan=_scan_settings(data, options, env),
        sbom=bool(build.get("sbom", False)) if options.sbom is None else options.sbom,
        scan_gate=not options.no_scan and (options.scan is not None or bool(build.get("scan", False))),
        sign_key=None if options.no_sign else _sign_key(options.sign_key, build.get("sign-key"), module_dir),
    )


def _scan_settings(data: Mapping[str, Any], options: Options, env: Mapping[str, str]) -> ScanSettings:
    """[scan] as the build's gate uses it: --scan's threshold, GOSHIP_VULNDB and --offline /
    GOSHIP_OFFLINE over the file, as `goship scan` puts its flags over it."""
    import dataclasses

    from goship.supply.scan.interface import FAIL_ON

    settings: ScanSettings = data["scan"] if "scan" in data else _default_scan()
    if options.scan and options.scan not in FAIL_ON:
        raise UsageError(f"--scan={options.scan} is not one of {', '.join(FAIL_ON)}",
                         "write e.g. --scan=high, or --scan alone for fail-on in [scan]")
    return dataclasses.replace(
        settings, fail_on=options.scan or settings.fail_on,
        database=env.get("GOSHIP_VULNDB") or settings.database,
        offline=options.offline or env.get("GOSHIP_OFFLINE", "") not in ("", "0"))


def _sign_key(flag: str | None, configured: str | None, module_dir: Path) -> Path | None:
    """--sign KEY (relative to the current directory), else [build] sign-key (relative to
    goship.toml)."""
    value = flag or configured
    if not value:
        return None
    path = Path(value).expanduser()
    return path if path.is_absolute() else (Path.cwd() if flag else module_dir) / path


@dataclass(frozen=True)
class ToolchainSettings:
    """What `goship go` needs: where versions live, where releases come from."""

    home: Path
    cache_dir: Path
    index_location: str | None          # GOSHIP_GO_INDEX: a URL or a file; None: go.dev
    mirrors: tuple[str, ...]            # GOSHIP_GO_MIRRORS; empty: the official ones
    version_override: str | None        # GOSHIP_GO_VERSION
    gotoolchain: str | None             # GOTOOLCHAIN as the user's environment has it
    proxy: str | None
    no_proxy: tuple[str, ...]
    http_proxy: str | None = None


def load_toolchain_settings(env: Mapping[str, str]) -> ToolchainSettings:
    mirrors = tuple(item.strip() for item in env.get("GOSHIP_GO_MIRRORS", "").split(",") if item.strip())
    return ToolchainSettings(
        home=home_dir(env),
        cache_dir=cache_dir(env),
        index_location=env.get("GOSHIP_GO_INDEX") or None,
        mirrors=mirrors,
        version_override=env.get("GOSHIP_GO_VERSION") or None,
        gotoolchain=env.get("GOTOOLCHAIN") or None,
        proxy=_proxy(env),
        no_proxy=_no_proxy(env),
        http_proxy=_http_proxy(env),
    )
