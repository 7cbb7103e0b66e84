"""`goship build`: wire the options to the build and publish pipeline and print results."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from goship.config import DEFAULT_LAYOUT, Config, Options, host_platform, load_config
from goship.errors import UsageError
from goship.image.project import build_images, module_root
from goship.oci.reference import Reference, is_valid_tag

if TYPE_CHECKING:
    from collections.abc import Callable

    from goship.image.project import BuiltImage
    from goship.publish.interface import Published, Publisher
    from goship.registry.client import RegistryClient


def registry_client(config: Config) -> RegistryClient:
    from goship.registry.client import RegistryClient
    from goship.registry.keychain import DockerConfigKeychain, Keychain, MultiKeychain, StaticKeychain
    from goship.registry.options import RegistryOptions

    env = config.env
    keychains: list[Keychain] = []
    if config.registry_username and config.registry_password and config.repository:
        # Explicit credentials go only to the registry pushed to, never to a base's registry.
        host = Reference.parse(config.repository, default_tag="").api_host
        keychains.append(StaticKeychain.from_username_password(
            config.registry_username, config.registry_password, (host,)))
    keychains.append(DockerConfigKeychain.from_environment(env, Path(env.get("HOME", str(Path.home())))))
    options = RegistryOptions(insecure=config.insecure_registries, ca_file=config.ca_file,
                              proxy=config.proxy, no_proxy=config.no_proxy)
    return RegistryClient(options, MultiKeychain(*keychains))


def _tags(args: argparse.Namespace, config: Config) -> list[str]:
    tags: list[str] = list(args.tags or [])
    if not tags and config.repository:
        pushed = Reference.parse(config.repository, default_tag="")
        if pushed.tag:
            tags = [pushed.tag]
    tags = tags or list(config.image_tags)
    for tag in tags:
        if not is_valid_tag(tag):
            raise UsageError(f"'{tag}' is not a valid tag",
                             "tags are up to 128 letters, digits, '_', '.', '-', "
                             "not starting with '.' or '-'")
    return tags


def _publishers(config: Config, tags: list[str],
                client_factory: Callable[[], RegistryClient]) -> list[Publisher]:
    from goship.publish.layout import LayoutPublisher

    publishers: list[Publisher] = []
    specs = config.images
    names = {spec.name: [f"{spec.name}:{tag}" for tag in tags] for spec in specs}
    if config.repository:
        from goship.publish.registry import RegistryPublisher, repository_for

        targets = {}
        for spec in specs:
            target = spec.repository or config.repository
            targets[spec.name] = repository_for(target, spec.name, 1 if spec.repository else len(specs))
            names[spec.name] = [f"{targets[spec.name].name}:{tag}" for tag in tags]
        registry = RegistryPublisher(client_factory(), targets, {spec.name: tags for spec in specs})
        publishers.append(registry)
    if config.oci_layout or not (config.repository or config.tarball):
        publishers.append(LayoutPublisher(config.oci_layout or config.module_dir / DEFAULT_LAYOUT, tags))
    if config.tarball:
        from goship.publish.tarball import TarballPublisher

        publishers.append(TarballPublisher(config.tarball, names, host_platform()))
    return publishers


def run_build(args: argparse.Namespace) -> int:
    from goship.cli.output import ConsoleReporter

    env = dict(os.environ)
    module_dir = module_root(Path.cwd())
    options = Options(
        packages=tuple(args.packages),
        platforms=args.platforms,
        push=args.push or None,
        tarball=args.tarball,
        oci_layout=args.oci_layout,
        base=args.base,
        version=args.version,
        jobs=args.jobs,
        insecure_registries=tuple(args.insecure),
        ca_file=args.ca_file,
    )
    config = load_config(module_dir, options, env)
    if args.push == "" and not config.repository:
        raise UsageError("--push was given without a repository and goship.toml names none",
                         "use --push REGISTRY/REPO[:TAG] or set repository in goship.toml")
    if config.repository:
        Reference.parse(config.repository, default_tag="")
    tags = _tags(args, config)
    reporter = ConsoleReporter(verbose=args.verbose, quiet=args.quiet or args.json)
    clients: list[RegistryClient] = []

    def client() -> RegistryClient:
        if not clients:
            clients.append(registry_client(config))
        return clients[0]

    publishers: list[Publisher] = []

    def prepare() -> None:
        """Runs while Go compiles: load the publishers and open the registry connection."""
        publishers.extend(_publishers(config, tags, client))
        for publisher in publishers:
            publisher.prepare()

    try:
        built = build_images(config, registry=client, reporter=reporter, prepare=prepare)
        published: list[Published] = []
        for publisher in publishers:
            published.extend(publisher.publish(built, reporter))
    finally:
        reporter.close()
        for opened in clients:
            opened.close()
    _print(built, published, as_json=args.json)
    return 0


def _print(built: list[BuiltImage], published: list[Published], *, as_json: bool) -> None:
    from goship.cli.output import human_size

    if as_json:
        document = {
            "images": [
                {
                    "name": item.spec.name,
                    "package": item.spec.package,
                    "version": item.version,
                    "platforms": [str(p) for p in item.platforms],
                    "digest": str(item.artifact.digest),
                    "size": item.artifact.compressed_size,
                    "published": [
                        {"destination": p.destination, "reference": p.reference,
                         "digest": str(p.digest), "uploaded_bytes": p.bytes_uploaded}
                        for p in published if p.image == item.spec.name
                    ],
                }
                for item in built
            ]
        }
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    width = max(len(item.spec.name) for item in built)
    for item in built:
        platforms = ",".join(str(p) for p in item.platforms)
        print(f"{item.spec.name:<{width}}  {platforms}  {item.artifact.digest}  "
              f"{human_size(item.artifact.compressed_size)}")
        for result in published:
            if result.image == item.spec.name and result.destination == "registry":
                print(result.reference)
    sys.stdout.flush()

