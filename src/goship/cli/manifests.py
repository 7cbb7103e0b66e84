"""`goship manifests`: Kubernetes objects (or a systemd service) for an environment, from
goship.toml's [deploy] tables.

The image is --image, else the environment's moving tag in its repository
(goship.deploy.pinning); a tag is pinned to the digest it names now, by asking the registry,
and stderr says so. Every object is checked against the Kubernetes schemas and the image
standard before anything is printed or written.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goship.cli.registry_options import add_registry_options, parse_reference
from goship.errors import ExitCode, GoshipError, UsageError

if TYPE_CHECKING:
    from goship.config import Config
    from goship.deploy.pinning import PinnedImage
    from goship.deploy.settings import DeploySettings
    from goship.oci.reference import Reference

_KUBERNETES_VERSION = re.compile(r"^v?1\.\d{1,3}(\.\d+)?$")


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    manifests = commands.add_parser(
        "manifests", parents=[common], help="render Kubernetes manifests or a systemd unit from goship.toml",
        description="Render the Kubernetes objects of an environment from [deploy] and "
                    "[environments.ENV.deploy] in goship.toml: ConfigMap, Service, Deployment "
                    "(by digest, with probes, resources and a locked-down securityContext) and, "
                    "when configured, HorizontalPodAutoscaler, PodDisruptionBudget and Istio "
                    "routing. YAML goes to stdout unless an output directory is given.",
        epilog="Exit code 2: an unknown environment or a tag without --allow-tag that cannot be "
               "pinned; 3: goship.toml is wrong or an object fails the Kubernetes schema; 8: the "
               "output directory cannot be written; see docs/deploy.md.")
    manifests.add_argument("--env", dest="environment", default=None, metavar="ENV",
                           help="the environment ([environments.ENV] in goship.toml); default: "
                                "[deploy] alone")
    manifests.add_argument("--image", default=None, metavar="REF",
                           help="the image (REGISTRY/REPO@sha256:...; a tag is pinned through the "
                                "registry). Default: the environment's moving tag in its repository")
    manifests.add_argument("--allow-tag", action="store_true",
                           help="render a tag as it is when it cannot or should not be pinned (the "
                                "pod may then run another image than the one rendered)")
    manifests.add_argument("--app-version", default=None, metavar="VERSION",
                           help="the version for the app.kubernetes.io/version label (default: the "
                                "image's version label, else its tag)")
    manifests.add_argument("--kubernetes-version", default=None, metavar="1.N",
                           help="validate against this Kubernetes version (default: "
                                "kubernetes-version in [deploy], else 1.30)")
    output = manifests.add_mutually_exclusive_group()
    output.add_argument("--out", default=None, metavar="DIR",
                        help="write one file per object into DIR (for Argo CD or Flux)")
    output.add_argument("--kustomize", default=None, metavar="DIR",
                        help="write a kustomize base and an overlay per environment into DIR")
    output.add_argument("--helm", default=None, metavar="DIR",
                        help="write a Helm chart into DIR/NAME (chart version = app version)")
    output.add_argument("--systemd", default=None, metavar="DIR",
                        help="write a hardened systemd unit, an install script and sysctl settings "
                             "into DIR (no Kubernetes)")
    add_registry_options(manifests)


@dataclass(frozen=True)
class _Environment:
    settings: DeploySettings
    image: PinnedImage
    allow_tag: bool

    @property
    def version(self) -> str:
        return self.image.version


def _settings(config: Config, name: str | None, kubernetes_version: str | None) -> DeploySettings:
    from goship.config_deploy import deploy_settings

    settings = deploy_settings(config, name)
    if kubernetes_version is not None:
        if not _KUBERNETES_VERSION.match(kubernetes_version):
            raise UsageError(f"--kubernetes-version {kubernetes_version} is not a Kubernetes version",
                             "write a minor version like 1.30")
        settings = replace(settings, kubernetes_version=kubernetes_version.removeprefix("v"))
    return settings


class _Pinner:
    """Pins each reference once, reaching registries as `goship build` does (goship.toml's
    insecure_registries and ca_file, --insecure-registry and --ca-file, the credentials)."""

    def __init__(self, args: argparse.Namespace, config: Config) -> None:
        self._args = args
        self._config = config
        self._done: dict[str, PinnedImage] = {}

    def __call__(self, reference: Reference) -> PinnedImage:
        from goship.deploy.pinning import PinnedImage, pin
        from goship.deploy.render.labels import version_from

        key = str(reference)
        if key in self._done:
            return self._done[key]
        if reference.digest is not None:
            pinned = PinnedImage(key, version_from(reference))
        elif self._args.allow_tag:
            print(f"goship: warning: {key} is rendered by tag (--allow-tag): the pods may run "
                  "another image than the one this rendering names", file=sys.stderr)
            pinned = PinnedImage(key, version_from(reference))
        else:
            try:
                from goship.policy.image_source import RegistryAccess

                access = RegistryAccess.from_config(self._config, str(reference))
                with access.client() as client:
                    pinned = pin(client, reference)
            except GoshipError as exc:
                error = GoshipError(f"pinning {key} to a digest: {exc.message}",
                                    (f"{exc.hint}; or " if exc.hint else "") + "give the digest with "
                                    "--image REPO@sha256:..., or render the tag as it is with --allow-tag")
                error.exit_code = exc.exit_code
                raise error from exc
            pinned = replace(pinned, version=pinned.version or version_from(reference))
            print(f"goship: {key} is {pinned.reference} (pinned by digest through the registry)",
                  file=sys.stderr)
        if self._args.app_version:
            pinned = replace(pinned, version=self._args.app_version)
        self._done[key] = pinned
        return pinned


def _environment(config: Config, name: str | None, args: argparse.Namespace,
                 pinner: _Pinner) -> _Environment:
    from goship.deploy.pinning import environment_reference

    settings = _settings(config, name, args.kubernetes_version)
    reference = parse_reference(args.image, "--image", default_tag="latest") if args.image \
        else environment_reference(config, settings)
    pinned = pinner(reference)
    return _Environment(settings, pinned, allow_tag="@" not in pinned.reference)


def _objects(environment: _Environment) -> list[dict[str, Any]]:
    from goship.deploy.render import render_objects
    from goship.deploy.validate import check_standard, validate_objects

    objects = render_objects(environment.settings, environment.image.reference,
                             version=environment.version, allow_tag=environment.allow_tag)
    report = validate_objects(objects, environment.settings.kubernetes_version)
    check_standard(objects, allow_tag=environment.allow_tag)
    for note in report.notes():
        print(f"goship: note: {note}", file=sys.stderr)
    return objects


def _all_environments(config: Config, args: argparse.Namespace,
                      pinner: _Pinner) -> tuple[_Environment, dict[str, _Environment]]:
    """The base ([deploy] alone) and every environment, for --kustomize and --helm. The base
    carries the first environment's image; without environments, its own."""
    from goship.config_deploy import known_environments

    environments = {name: _environment(config, name, args, pinner) for name in known_environments(config)}
    base_settings = _settings(config, None, args.kubernetes_version)
    if environments:
        first = next(iter(environments.values()))
        base = _Environment(base_settings, first.image, first.allow_tag)
    else:
        base = _environment(config, None, args, pinner)
    return base, environments


def run_manifests(args: argparse.Namespace) -> int:
    from goship.config import Options, load_config
    from goship.image.project import module_root

    options = Options(insecure_registries=tuple(args.insecure), ca_file=args.ca_file)
    config = load_config(module_root(Path.cwd()), options, args.environ)
    if args.systemd:
        return _write_systemd(config, args)
    pinner = _Pinner(args, config)
    if args.kustomize or args.helm:
        if args.environment:
            raise UsageError("--kustomize and --helm write every environment; --env does not go with them",
                             "leave out --env")
        base, environments = _all_environments(config, args, pinner)
        return _write_kustomize(base, environments, Path(args.kustomize)) if args.kustomize \
            else _write_helm(base, environments, Path(args.helm))
    environment = _environment(config, args.environment, args, pinner)
    objects = _objects(environment)
    if args.out:
        from goship.deploy.output.gitops import write_objects

        result = write_objects(Path(args.out), objects)
        print(f"goship: {result.summary()}", file=sys.stderr)
        return ExitCode.OK
    from goship.deploy.output.documents import dump_documents

    sys.stdout.write(dump_documents(objects))
    sys.stdout.flush()
    return ExitCode.OK


def _write_systemd(config: Config, args: argparse.Namespace) -> int:
    from goship.deploy.output.files import write_tree
    from goship.deploy.systemd import systemd_files

    settings = _settings(config, args.environment, None)
    result = write_tree(Path(args.systemd), systemd_files(settings))
    print(f"goship: {result.summary()}; install with: sudo {Path(args.systemd) / 'install.sh'} "
          f"PATH/TO/{settings.name}", file=sys.stderr)
    return ExitCode.OK


def _write_kustomize(base: _Environment, environments: dict[str, _Environment], directory: Path) -> int:
    from goship.deploy.output.files import write_tree
    from goship.deploy.output.kustomize import Rendering, kustomize_files

    for environment in (base, *environments.values()):
        _objects(environment)  # every environment validates before anything is written

    def rendering(environment: _Environment) -> Rendering:
        return Rendering(environment.settings, environment.image.reference, environment.version,
                         environment.allow_tag)

    files = kustomize_files(rendering(base), {name: rendering(item) for name, item in environments.items()})
    result = write_tree(directory, files)
    print(f"goship: {result.summary()}; build one with: kubectl kustomize {directory / 'overlays'}/ENV",
          file=sys.stderr)
    return ExitCode.OK


def _write_helm(base: _Environment, environments: dict[str, _Environment], directory: Path) -> int:
    from goship.deploy.output.files import write_tree
    from goship.deploy.output.helm import helm_files

    for environment in (base, *environments.values()):
        if environment.allow_tag:
            raise UsageError(f"the Helm chart pins images by digest, and {environment.image.reference} "
                             "has none", "give --image REPO@sha256:..., or leave out --allow-tag")
        _objects(environment)
    files = helm_files(base.settings, base.image.reference, base.version,
                       {name: (item.settings, item.image.reference, item.version)
                        for name, item in environments.items()})
    result = write_tree(directory, files)
    print(f"goship: {result.summary()}; install with: helm install {base.settings.name} "
          f"{directory / base.settings.name} [-f values-ENV.yaml]", file=sys.stderr)
    return ExitCode.OK
