"""Building every image a Config names: compile in parallel, resolve bases, assemble."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from goship.config import STATIC_BASE, Config, ImageSpec
from goship.errors import BuildError, GoshipError
from goship.gobuild.build import Binary, BuildRequest, check_module, check_packages, compile_package
from goship.gobuild.ldflags import DEFAULT_LDFLAGS, render
from goship.gobuild.toolchain import GoToolchain, find_toolchain
from goship.gobuild.vcs import SourceFacts, read_source_facts
from goship.oci.platform import Platform
from goship.progress import Reporter
from goship.timestamps import rfc3339

if TYPE_CHECKING:
    from goship.config import ToolchainSettings
    from goship.image.base import RegistryReader
    from goship.image.cache import LayerCache
    from goship.oci.image import Artifact, Image
    from goship.oci.layer import LayerTap
    from goship.toolchain.ensure import ReleaseSource
    from goship.toolchain.versions import GoVersion

# The image, registry and layer modules are imported inside build_images, after Go has
# been started: their import time then overlaps the compilation instead of preceding it.


@dataclass(frozen=True)
class BuiltImage:
    spec: ImageSpec
    artifact: Artifact
    binaries: tuple[Binary, ...]
    version: str

    @property
    def platforms(self) -> tuple[Platform, ...]:
        from goship.oci.image import images_of

        return tuple(image.platform for image in images_of(self.artifact))


@dataclass(frozen=True)
class BuildPlan:
    toolchain: GoToolchain
    source: SourceFacts
    version: str
    epoch: int


def _might_pin(config: Config) -> bool:
    """Whether anything could pin a Go version: GOSHIP_GO_VERSION, a .go-version file here
    or above, or a toolchain line in go.mod."""
    if config.env.get("GOSHIP_GO_VERSION"):
        return True
    directory = config.module_dir.resolve()
    if any((folder / ".go-version").is_file() for folder in (directory, *directory.parents)):
        return True
    try:
        gomod = (directory / "go.mod").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(line.strip().startswith("toolchain ") for line in gomod.splitlines())


def _pinned_go(config: Config, reporter: Reporter) -> str | None:
    """The Go version the project pins (installed now if missing), when goship.toml and
    GOSHIP_GO name none."""
    if not _might_pin(config):
        return None  # the usual case, decided without loading the version manager
    from goship.config import load_toolchain_settings
    from goship.toolchain.ensure import ensure_pinned
    from goship.toolchain.layout import ToolchainHome

    settings = load_toolchain_settings(config.env)
    pin = ensure_pinned(config.module_dir, ToolchainHome.for_goship_home(config.home),
                        env_version=settings.version_override,
                        source=_release_source(config, settings), reporter=reporter)
    return pin.version.number if pin is not None else None


def _release_source(config: Config, settings: ToolchainSettings) -> ReleaseSource:
    """Where `goship build` takes a Go version it has to install."""
    from goship.toolchain.ensure import ReleaseSource

    return ReleaseSource(offline=config.offline, index_location=settings.index_location,
                         mirrors=settings.mirrors, cache_dir=settings.cache_dir, proxy=settings.proxy,
                         no_proxy=settings.no_proxy, http_proxy=settings.http_proxy)


def _toolchain(config: Config, setting: str | None, reporter: Reporter) -> GoToolchain:
    """The Go that builds: ``setting`` when given; else the Go on PATH, unless go.mod's go line
    asks for a newer one, which is then taken from (or installed into) goship's versions."""
    def find(wanted: str | None) -> GoToolchain:
        return find_toolchain(wanted, search_path=config.env.get("PATH", ""),
                              managed_root=config.home / "go" / "versions", cache_dir=config.cache_dir)

    if setting:
        return find(setting)
    on_path: GoToolchain | None = None
    try:
        on_path = find(None)
    except BuildError as missing:
        not_on_path = missing
    wanted = go_line_minimum(config.module_dir)
    if wanted is None:
        if on_path is None:
            raise not_on_path
        return on_path
    gomod, minimum = wanted
    from goship.toolchain.versions import GoVersion

    if on_path is not None:
        try:
            if GoVersion.from_name(on_path.version.split(" ")[0].split("-")[0]) >= minimum:
                return on_path
        except GoshipError:
            return on_path  # a development build of Go: trust it, as Go does
    from goship.config import load_toolchain_settings
    from goship.toolchain.ensure import ensure_minimum
    from goship.toolchain.layout import ToolchainHome

    version, _ = ensure_minimum(gomod, minimum, ToolchainHome.for_goship_home(config.home),
                                source=_release_source(config, load_toolchain_settings(config.env)),
                                reporter=reporter)
    if on_path is not None:
        reporter.step(f"using Go {version.number}: {gomod} needs {minimum.number} or newer, "
                      f"and the Go on PATH is {on_path.version}")
    return find(version.number)


def go_line_minimum(module_dir: Path) -> tuple[Path, GoVersion] | None:
    """go.mod's path and the oldest release its go line allows, when it has one."""
    gomod = module_dir / "go.mod"
    try:
        text = gomod.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    from goship.toolchain.gotoolchain import parse_gomod

    try:
        minimum = parse_gomod(text, gomod).minimum()
    except GoshipError:
        return None  # Go itself reports a malformed go.mod, with its own words
    return (gomod, minimum) if minimum is not None else None


def plan_build(config: Config, reporter: Reporter | None = None) -> BuildPlan:
    from goship.progress import SilentReporter

    check_module(config.module_dir)
    check_packages([spec.package for spec in config.images], config.module_dir)
    reporter = reporter or SilentReporter()
    setting = config.go or _pinned_go(config, reporter)
    toolchain = _toolchain(config, setting, reporter)
    source = read_source_facts(config.module_dir, config.env, config.release)
    version = config.version or source.version()
    epoch = config.source_date_epoch
    if epoch is None:
        epoch = source.commit_time or 0
    return BuildPlan(toolchain, source, version, epoch)


def _ldflags(config: Config, plan: BuildPlan, spec: ImageSpec, platform: Platform) -> str:
    values = {
        "Version": plan.version,
        "Commit": plan.source.commit or "none",
        "ShortCommit": plan.source.short_commit or "none",
        "Date": rfc3339(plan.epoch),
        "Timestamp": str(plan.epoch),
        "Name": spec.name,
        "Os": platform.os,
        "Arch": platform.architecture,
    }
    templates = config.ldflags or DEFAULT_LDFLAGS
    rendered = [render(item, values, config.env) for item in templates]
    return " ".join(["-s", "-w", *rendered])


class _BaseResolver:
    """Resolves each (base, platform) once per run, shared by the worker threads."""

    def __init__(self, config: Config, cache: LayerCache, registry: Callable[[], RegistryReader]):
        self._config = config
        self.cache = cache
        self._registry = registry
        self._lock = threading.Lock()
        self._bases: dict[tuple[str, Platform], Image] = {}

    def base_for(self, platform: Platform) -> Image:
        from goship.image.base import resolve_base, static_base
        from goship.oci.reference import Reference

        name = self._config.windows_base if platform.is_windows else self._config.base
        with self._lock:
            if (name, platform) in self._bases:
                return self._bases[(name, platform)]
            if name == STATIC_BASE and not platform.is_windows:
                image = static_base(platform, cache=self.cache, compression=self._config.compression,
                                    timezones=self._config.timezones)
            else:
                resolved = resolve_base(Reference.parse(name), platform, self._registry())
                image = resolved.image
            self._bases[(name, platform)] = image
            return image


def _lower_this_thread_priority() -> None:
    """Lower the calling thread's scheduling priority (Linux: priority is per thread)."""
    import contextlib
    import os
    import sys
    import threading

    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):  # only an optimisation
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


def prepare_work_directory(module_dir: Path) -> Path:
    """Create .goship/ with a .gitignore of "*" in it.

    Without it the directory shows up in `git status`, Go stamps the binary as built from a
    modified tree (vcs.modified=true), and the second build differs from the first.
    """
    work = module_dir / ".goship"
    ignore = work / ".gitignore"
    if not ignore.exists():
        try:
            work.mkdir(parents=True, exist_ok=True)
            ignore.write_text("# written by goship: nothing here belongs in git\n*\n")
        except OSError as exc:
            raise BuildError(f"cannot create {work}: {exc.strerror}",
                             "check the module directory is writable") from exc
    return work


def build_images(
    config: Config,
    *,
    registry: Callable[[], RegistryReader],
    reporter: Reporter,
    plan: BuildPlan | None = None,
    prepare: Callable[[], None] | None = None,
    layer_tap: Callable[[ImageSpec], LayerTap | None] | None = None,
) -> list[BuiltImage]:
    """Compile and assemble every configured image for every configured platform.

    Go starts first. While it compiles, this thread loads the image modules, runs
    ``prepare`` (the CLI warms the registry connection there) and resolves the bases, so
    little of that time adds to the build.
    """
    plan = plan or plan_build(config, reporter)
    output_dir = prepare_work_directory(config.module_dir) / "build"
    jobs = [(spec, platform) for spec in config.images for platform in config.platforms]

    finished: list[Binary] = []
    finished_lock = threading.Lock()

    def compile_job(job: tuple[ImageSpec, Platform]) -> Binary:
        spec, platform = job
        reporter.step(f"compiling {spec.package} for {platform}")
        binary = compile_package(
            BuildRequest(
                name=spec.name,
                package=spec.package,
                platform=platform,
                ldflags=_ldflags(config, plan, spec, platform),
                flags=config.go_flags,
                tags=config.go_tags,
                env=config.go_env,
            ),
            toolchain=plan.toolchain,
            module_dir=config.module_dir,
            output_dir=output_dir / spec.name,
            base_env=config.env,
        )
        reporter.debug(f"{spec.name} {platform}: {binary.size} bytes, {binary.digest}")
        with finished_lock:
            finished.append(binary)
            reporter.count("compiling", len(finished), len(jobs))
        return binary

    def get_ready() -> _BaseResolver:
        # Runs beside Go on a thread of lower priority: on a machine with few cores, Go
        # should not wait for this work, which only has to be done before Go is.
        _lower_this_thread_priority()
        from goship.image.cache import LayerCache

        bases = _BaseResolver(config, LayerCache(config.cache_dir), registry)
        if prepare is not None:
            prepare()
        for platform in config.platforms:
            bases.base_for(platform)
        return bases

    with ThreadPoolExecutor(max_workers=config.jobs) as pool:
        reporter.count("compiling", 0, len(jobs))
        compiled = [pool.submit(compile_job, job) for job in jobs]
        try:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="goship-prepare") as side:
                bases = side.submit(get_ready).result()
            from goship.image.builder import ImageFacts, assemble
        except BaseException:
            for future in compiled:
                future.cancel()
            raise
        cache = bases.cache

        def assemble_job(index: int) -> tuple[Image, Binary]:
            spec, platform = jobs[index]
            binary = compiled[index].result()
            facts = ImageFacts(
                title=spec.name,
                version=plan.version,
                revision=plan.source.commit,
                created_epoch=plan.epoch,
                source_url=config.source_url or plan.source.remote_url,
                maintainer=config.maintainer,
                labels=config.labels + spec.labels,
                go_version=plan.toolchain.version,
            )
            data_dir = (config.module_dir / spec.data_dir) if spec.data_dir else None
            taps = (lambda: layer_tap(spec)) if layer_tap is not None else None
            image = assemble(bases.base_for(platform), binary, facts=facts, cache=cache,
                             compression=config.compression, env=dict(spec.env), args=spec.args,
                             ports=spec.ports, data_dir=data_dir, new_layer_tap=taps)
            return image, binary

        # Compiles were queued first, so an assemble job only waits on a compile that runs.
        assembled = [pool.submit(assemble_job, index) for index in range(len(jobs))]
        results: list[tuple[Image, Binary]] = []
        failure: GoshipError | None = None
        for outcome in assembled:
            try:
                results.append(outcome.result())
            except GoshipError as exc:
                failure = failure or exc
        if failure is not None:
            raise failure

    from goship.oci.image import ImageIndex

    built: list[BuiltImage] = []
    for spec in config.images:
        pairs = [(image, binary) for (image, binary), (job_spec, _) in zip(results, jobs, strict=True)
                 if job_spec is spec]
        images = tuple(image for image, _ in pairs)
        artifact: Artifact
        if len(images) == 1:
            artifact = images[0]
        else:
            annotations = {key: value for key, value in images[0].annotations
                           if not key.startswith("org.opencontainers.image.base.")}
            artifact = ImageIndex(images, tuple(sorted(annotations.items())))
        built.append(BuiltImage(spec, artifact, tuple(b for _, b in pairs), plan.version))
    return built


def module_root(start: Path) -> Path:
    """The directory holding go.mod at or above ``start`` (``start`` itself if none)."""
    for directory in (start, *start.parents):
        if (directory / "go.mod").is_file():
            return directory
    return start
