"""What a CI file is made from, read from the project: the images of goship.toml (each must
be a main package), its environments and [pipeline] stages, the Go version the project pins,
the repository (its root, its default branch, whether the signing key is committed), and
from these the ``CIPipeline`` (model.py) every system's file is written from.

Only the project's files count, never this shell's GOSHIP_* variables: CI machines do not
have them. The CLI loads the Config accordingly.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from goship.config import CONFIG_FILE, Config
from goship.errors import BuildError, ConfigError, UsageError
from goship.pipeline.ci.model import (
    KUBECONFIG,
    REGISTRY_PASSWORD,
    REGISTRY_USERNAME,
    SIGNING_PASSWORD,
    VERIFY_UNTIL,
    CIPipeline,
    GoPin,
    Job,
    Secret,
    Service,
    Trigger,
    signing_key,
)

if TYPE_CHECKING:
    from goship.toolchain.versions import VersionSpec

_PACKAGE_MAIN = re.compile(r"^\s*package\s+main\b", re.MULTILINE)
_FUNC_MAIN = re.compile(r"^func\s+main\s*\(\s*\)", re.MULTILINE)
_STAGING_NAMES = ("staging",)
_PRODUCTION_NAMES = ("production", "prod")


@dataclass(frozen=True)
class Choices:
    """What the command line may decide instead of goship.toml and git."""

    default_branch: str | None = None
    staging: str | None = None
    production: str | None = None


@dataclass(frozen=True)
class Repository:
    root: Path  # the git work tree's root (the module directory outside git)
    default_branch: str
    in_git: bool


def describe_pipeline(config: Config, *, goship_version: str, choices: Choices,
                      env: Mapping[str, str]) -> CIPipeline:
    """The pipeline for ``config``'s project; ``env`` is what git runs with."""
    if not (config.module_dir / CONFIG_FILE).is_file():
        raise ConfigError(f"no goship.toml in {config.module_dir}",
                          "run `goship init` to write one (it lists the main packages as [[images]]), "
                          "then `goship ci init` again")
    repository = read_repository(config.module_dir, env, choices.default_branch)
    notes: list[str] = []
    if not repository.in_git:
        notes.append(f"{config.module_dir} is not in a git work tree: the CI file is written there, "
                     f"and the default branch is taken to be '{repository.default_branch}'")
    services = tuple(Service(spec.name, spec.package) for spec in config.images)
    for service in services:
        check_main_package(config.module_dir, service)
    staging, production, publish = choose_environments(config, repository.default_branch, choices)
    jobs = _jobs(config, repository, staging=staging, production=production, publish=publish,
                 env=env, notes=notes)
    notes += _stage_notes(config, staging=staging, production=production)
    workdir = os.path.relpath(config.module_dir.resolve(), repository.root.resolve()).replace(os.sep, "/")
    key_file = "go.sum" if (config.module_dir / "go.sum").is_file() else "go.mod"
    return CIPipeline(
        goship_version=goship_version,
        go=go_pin(config, repository.root),
        services=services,
        jobs=jobs,
        default_branch=repository.default_branch,
        tag_prefix=config.release.tag_prefix,
        workdir=workdir,
        key_files=(key_file if workdir == "." else f"{workdir}/{key_file}",),
        notes=tuple(notes),
    )


# ---------------------------------------------------------------------------------------
# the repository

def _git(directory: Path, args: list[str], env: Mapping[str, str]) -> tuple[int, str]:
    from goship.versioning.git import git

    result = git(directory, args, env)
    return result.code, result.stdout


def read_repository(module_dir: Path, env: Mapping[str, str], default_branch: str | None) -> Repository:
    code, top = _git(module_dir, ["rev-parse", "--show-toplevel"], env)
    if code != 0 or not top:
        return Repository(module_dir, default_branch or "main", in_git=False)
    root = Path(top)
    return Repository(root, default_branch or _default_branch(root, env), in_git=True)


def _default_branch(root: Path, env: Mapping[str, str]) -> str:
    """origin's HEAD; else main or master, whichever exists; else the checked-out branch."""
    code, remote_head = _git(root, ["symbolic-ref", "--short", "-q", "refs/remotes/origin/HEAD"], env)
    if code == 0 and "/" in remote_head:
        return remote_head.split("/", 1)[1]
    for name in ("main", "master"):
        if _git(root, ["rev-parse", "-q", "--verify", f"refs/heads/{name}"], env)[0] == 0:
            return name
    code, current = _git(root, ["symbolic-ref", "--short", "-q", "HEAD"], env)
    return current if code == 0 and current else "main"


def _tracked(root: Path, path: Path, env: Mapping[str, str]) -> bool:
    return _git(root, ["ls-files", "--error-unmatch", "--", str(path)], env)[0] == 0


def _ignored(root: Path, path: Path, env: Mapping[str, str]) -> bool:
    return _git(root, ["check-ignore", "-q", "--", str(path)], env)[0] == 0


# ---------------------------------------------------------------------------------------
# the images and the Go version

def check_main_package(module_dir: Path, service: Service) -> None:
    """A BuildError unless ``service``'s package is a directory of the module holding a
    main package (import paths outside the module are left to Go)."""
    from goship.gobuild.build import module_path

    package = service.package.rstrip("/") or "."
    if not package.startswith("."):
        module = module_path(module_dir)
        if package != module and not package.startswith(module + "/"):
            return
        package = "." + package[len(module):]
    directory = (module_dir / package).resolve()
    where = f"image '{service.name}' (package {service.package})"
    if not directory.is_dir():
        raise BuildError(f"{where}: there is no directory {directory}",
                         "fix `package` in its [[images]] table of goship.toml (`goship init --stdout` "
                         "lists the main packages it finds)")
    texts = [path.read_text(encoding="utf-8", errors="replace") for path in sorted(directory.glob("*.go"))
             if not path.name.endswith("_test.go")]
    if not any(_PACKAGE_MAIN.search(text) for text in texts) or not any(_FUNC_MAIN.search(text)
                                                                      for text in texts):
        raise BuildError(f"{where}: {directory} holds no main package (package main with func main)",
                         "name the directory of a program in `package` of its [[images]] table "
                         "(`goship init --stdout` lists the main packages it finds)")


def go_pin(config: Config, root: Path) -> GoPin:
    """The version CI installs: goship.toml's `go` when it is a version, else the project's
    pin (.go-version, the go.mod toolchain line) or the go line's minor release."""
    from goship.toolchain.errors import NoVersionSelectedError, VersionSyntaxError
    from goship.toolchain.layout import ToolchainHome
    from goship.toolchain.select import SelectionSource, select_version
    from goship.toolchain.versions import VersionSpec

    if config.go:
        try:
            spec = VersionSpec.parse(config.go)
        except VersionSyntaxError:
            raise ConfigError(f"goship.toml sets go = \"{config.go}\", a path on this machine: a CI "
                              "machine has no such Go",
                              "set go to a version such as \"1.22.10\", or remove it and pin the version "
                              "with `goship go use VERSION --project` (.go-version)") from None
        return GoPin(_install_argument(spec), "`go` in goship.toml")
    hint = ("pin one: `goship go use VERSION --project` writes .go-version, or give go.mod a "
            "go line (`go mod edit -go=1.22`)")
    try:
        selection = select_version(config.module_dir, ToolchainHome.for_goship_home(config.home))
    except NoVersionSelectedError:
        raise ConfigError(f"no Go version is pinned for {config.module_dir}", hint) from None
    if selection.source is SelectionSource.GLOBAL:
        raise ConfigError(f"no Go version is pinned for {config.module_dir} (only this machine's "
                          "global version, which a CI machine does not have)", hint)
    origin = selection.origin
    if origin is not None and not origin.resolve().is_relative_to(root.resolve()):
        raise ConfigError(f"the Go version comes from {origin}, outside the repository: CI does not "
                          "see that file", "pin the version inside the repository: `goship go use VERSION "
                          "--project` writes .go-version")
    where = {SelectionSource.GO_VERSION_FILE: ".go-version",
             SelectionSource.GOMOD_TOOLCHAIN: "the toolchain line of go.mod",
             SelectionSource.GOMOD_GO: "the go line of go.mod"}.get(selection.source, selection.source.value)
    return GoPin(_install_argument(selection.spec), where)


def _install_argument(spec: VersionSpec) -> str:
    """What to give `goship go install`: the version, or a go line's minor release (the
    newest patch release of it is installed)."""
    from goship.toolchain.versions import SpecKind

    if spec.version is None:
        return "latest"
    if spec.kind in (SpecKind.MINIMUM, SpecKind.MINOR):
        return f"{spec.version.major}.{spec.version.minor}"
    return spec.version.number


# ---------------------------------------------------------------------------------------
# environments and jobs

def choose_environments(config: Config, default_branch: str,
                        choices: Choices) -> tuple[str | None, str | None, str | None]:
    """(staging, production, publish): the environment the default branch deploys to, the
    one release tags deploy to, and the one the default branch pushes to (staging, else the
    first whose branches match the default branch)."""
    environments = config.release.environments

    def named(flag: str, wanted: str | None, defaults: tuple[str, ...]) -> str | None:
        if wanted is not None:
            if wanted not in environments:
                listed = ", ".join(environments) or "none"
                raise UsageError(f"{flag} {wanted}: goship.toml has no [environments.{wanted}] "
                                 f"(configured: {listed})",
                                 f"add [environments.{wanted}] to goship.toml, or name a configured one")
            return wanted
        return next((name for name in defaults if name in environments), None)

    production = named("--production", choices.production, _PRODUCTION_NAMES)
    staging = named("--staging", choices.staging, _STAGING_NAMES)
    by_branch = next((name for name, environment in environments.items()
                      if any(fnmatch.fnmatchcase(default_branch, glob) for glob in environment.branches)),
                     None)
    if staging is None and by_branch is not None and by_branch != production:
        staging = by_branch
    if staging is not None and staging == production:
        raise UsageError(f"staging and production are both '{staging}'",
                         "name two different environments with --staging and --production")
    return staging, production, staging or by_branch


def _jobs(config: Config, repository: Repository, *, staging: str | None, production: str | None,
          publish: str | None, env: Mapping[str, str], notes: list[str]) -> tuple[Job, ...]:
    stages = config.pipeline.stages
    pushing: tuple[Secret, ...] = (REGISTRY_USERNAME, REGISTRY_PASSWORD)
    if "sign" in stages:
        pushing += _signing_secrets(config, repository, env, notes)
    deploying = "deploy" in stages
    jobs = [Job("verify", Trigger.CHANGE, VERIFY_UNTIL)]
    if staging is not None and deploying:
        jobs.append(Job("staging", Trigger.DEFAULT_BRANCH, "deploy", staging, deploys=True,
                        secrets=pushing + _deploy_secrets(config, staging)))
    else:
        jobs.append(Job("publish", Trigger.DEFAULT_BRANCH, "push", publish, secrets=pushing))
    jobs.append(Job("release", Trigger.RELEASE_TAG, "push", production or publish, secrets=pushing))
    if production is not None and deploying:
        jobs.append(Job("production", Trigger.FINAL_TAG, "deploy", production, deploys=True, manual=True,
                        secrets=pushing + _deploy_secrets(config, production), after="release"))
    return tuple(jobs)


def _signing_secrets(config: Config, repository: Repository, env: Mapping[str, str],
                     notes: list[str]) -> tuple[Secret, ...]:
    key = config.pipeline.sign.key
    if key is None:
        return (SIGNING_PASSWORD,)  # the pipeline itself says that [pipeline.sign] key is missing
    path = Path(key)
    if not path.resolve().is_relative_to(repository.root.resolve()):
        notes.append(f"[pipeline.sign] key is {path}, outside the repository: the CI jobs cannot write "
                     "it; name a path inside the repository (and in .gitignore)")
        return (SIGNING_PASSWORD,)
    relative = path.resolve().relative_to(repository.root.resolve()).as_posix()
    if repository.in_git and _tracked(repository.root, path, env):
        return (SIGNING_PASSWORD,)  # committed (encrypted, as cosign writes it): only the password is secret
    if repository.in_git and not _ignored(repository.root, path, env):
        notes.append(f"add {relative} to .gitignore: the CI jobs write it from the COSIGN_KEY secret, "
                     "and an untracked file marks every build modified")
    return (signing_key(relative), SIGNING_PASSWORD)


def _deploy_secrets(config: Config, environment: str) -> tuple[Secret, ...]:
    """The kubeconfig, and every variable [deploy] secrets read from the environment."""
    every = config.deploy.settings
    settings = every.get(environment) or every.get("")
    found = [KUBECONFIG]
    for value in settings.secrets if settings is not None else ():
        if value.from_env and all(secret.name != value.from_env for secret in found):
            found.append(Secret(value.from_env, value.from_env,
                                f"{value.variable} of the deployment (from-env in [deploy] secrets)"))
    return tuple(found)


def _stage_notes(config: Config, *, staging: str | None, production: str | None) -> list[str]:
    stages = config.pipeline.stages
    notes = []
    missing = [stage for stage in ("push", "sign", "deploy") if stage not in stages]
    if missing:
        notes.append(f"[pipeline] stages has no {', '.join(missing)}: the jobs stop before "
                     f"{'them' if len(missing) > 1 else 'it'} (add them to [pipeline] stages and run "
                     "`goship ci init --force` again)")
    if "deploy" in stages and staging is None:
        notes.append("no staging environment (none is named staging or matches the default branch): "
                     "the default branch is pushed, not deployed (--staging ENV names one)")
    if "deploy" in stages and production is None:
        notes.append("no production environment (none is named production or prod): release tags are "
                     "pushed, not deployed (--production ENV names one)")
    repositories = [config.repository, *(spec.repository for spec in config.images),
                    *(environment.repository for environment in config.release.environments.values())]
    if "push" in stages and not any(repositories):
        notes.append("goship.toml names no repository: the push stage will stop; set `repository` "
                     "(or a REGISTRY/REPO in GOSHIP_REPOSITORY among the CI variables)")
    return notes
