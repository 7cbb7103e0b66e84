"""Where built images go, as the Config says: registry targets, tags, publishers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from goship.config import DEFAULT_LAYOUT, Config, host_platform
from goship.errors import UsageError
from goship.oci.reference import Reference, is_valid_tag
from goship.publish.interface import Publisher

if TYPE_CHECKING:
    from goship.registry.client import RegistryClient


def registry_client(config: Config) -> RegistryClient:
    """A registry client with the config's TLS, proxy and credential settings."""
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


def image_tags(config: Config, given: Sequence[str]) -> list[str]:
    """The tags to publish: given ones, else the tag in the push reference, else the config's."""
    tags: list[str] = list(given)
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


def publishers_for(config: Config, tags: list[str],
                   client_factory: Callable[[], RegistryClient]) -> list[Publisher]:
    """Every destination the config names; the OCI layout when it names none."""
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
