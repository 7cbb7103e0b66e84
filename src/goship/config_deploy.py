"""The deploy settings: goship.toml's ``[deploy]`` table, and ``[environments.NAME.deploy]``
laid over it key by key, checked into one DeploySettings per environment.

config.py stays the only reader of goship.toml: it calls ``deploy_config`` when the file
has a ``[deploy]`` table or an environment with a ``deploy`` sub-table, and keeps the result
in ``Config.deploy``. Commands call ``deploy_settings(config, environment)``. Every mistake
is a ConfigError naming the file, the line and the key, with a hint; an environment that
goship.toml does not name is a UsageError (exit code 2, as `goship promote --to` has it)
listing the ones it does.

::

    [deploy]
    port = 8080
    replicas = 2
    timeout = "5m"
    config = { LOG_LEVEL = "info" }
    secrets = { DB_PASSWORD = { from-env = "DB_PASSWORD" } }

    [environments.prod.deploy]
    namespace = "shop"
    replicas = 4
    autoscale = { min-replicas = 4, max-replicas = 20 }
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from goship import config_deploy_tables as tables
from goship.config import _default_name
from goship.config_tables import ConfigTable
from goship.deploy.settings import DeploySettings, Strategy
from goship.errors import UsageError

if TYPE_CHECKING:
    from goship.config import Config


@dataclass(frozen=True)
class DeployConfig:
    """Every environment's settings, checked: ``""`` is ``[deploy]`` alone."""

    settings: Mapping[str, DeploySettings] = field(default_factory=dict)
    source: str = ""


@dataclass(frozen=True)
class _ImageDefaults:
    """What [[images]] says that [deploy] defaults to: the first image's name and port."""

    names: tuple[str, ...] = ()
    ports: Mapping[str, int] = field(default_factory=dict)


def _image_defaults(images: Any, module_dir: Path) -> _ImageDefaults:
    names: list[str] = []
    ports: dict[str, int] = {}
    for table in images if isinstance(images, list) else ():
        if not isinstance(table, dict) or "package" not in table:
            continue
        name = str(table.get("name") or _default_name(str(table["package"]), module_dir))
        names.append(name)
        if table.get("ports"):
            ports[name] = int(table["ports"][0])
    return _ImageDefaults(tuple(names), ports)


def _settings(table: ConfigTable, environment: str, images: _ImageDefaults) -> DeploySettings:
    data = table.data
    image = data.get("image", "")
    if image and images.names and image not in images.names:
        raise table.error("image", f"'{table.name('image')}' is '{image}', which no [[images]] "
                          f"entry is called", f"use one of: {', '.join(images.names)}")
    image = image or (images.names[0] if images.names else "")
    name = data.get("name") or kubernetes_name(image or _default_name(".", table.path.parent))
    if not tables.NAME.match(name):
        raise table.error("name", f"the app name '{name}' is not a Kubernetes name",
                          "set [deploy] name to lowercase letters, digits and '-', starting with a "
                          "letter")
    instance = f"{name}-{environment}" if environment else name
    if len(instance) > 63 or len(name) > 40:
        raise table.error("name", f"the app name '{name}' is too long for Kubernetes names and "
                          "labels (with the environment)", "use at most 40 characters, and keep "
                          "name-environment within 63")
    namespace = data.get("namespace", "default")
    if not tables.NAMESPACE.match(namespace) or len(namespace) > 63:
        raise table.error("namespace", f"'{table.name('namespace')}' is '{namespace}', not a "
                          "namespace name", "use lowercase letters, digits and '-'")
    strategy = table.choice("strategy", ("rolling", "blue-green", "canary"), "rolling",
                            hint="write \"rolling\", \"blue-green\" or \"canary\"")
    version = data.get("kubernetes-version", DeploySettings.kubernetes_version)
    if not tables.KUBERNETES_VERSION.match(version):
        raise table.error("kubernetes-version", f"'{table.name('kubernetes-version')}' is "
                          f"'{version}'", "write a Kubernetes minor version like \"1.30\"")
    scan_fail_on = data.get("scan-fail-on", "")
    if scan_fail_on:
        from goship.supply.scan.interface import FAIL_ON

        gates = [item for item in FAIL_ON if item != "never"]
        table.choice("scan-fail-on", gates, "",
                     hint=f"write one of {', '.join(gates)} (or remove it for no scan gate)")
    autoscale = tables.autoscale(table)
    resources = tables.resources(table.child("resources"))
    if autoscale is not None and not resources.cpu_request:
        raise table.error("autoscale", f"'{table.name('autoscale')}' scales on CPU use, but "
                          "there is no CPU request to measure it against",
                          "set resources.cpu-request, e.g. \"100m\"")
    secrets = tables.secrets(table.child("secrets"))
    return DeploySettings(
        name=name,
        image=image,
        environment=environment,
        namespace=namespace,
        context=data.get("context", ""),
        port=tables.port_number(table, "port", images.ports.get(image, DeploySettings.port)),
        service_port=tables.port_number(table, "service-port", DeploySettings.service_port),
        replicas=table.count("replicas", DeploySettings.replicas, minimum=0),
        strategy=cast(Strategy, strategy),
        timeout=tables.seconds(table, "timeout", DeploySettings.timeout),
        kubernetes_version=version.removeprefix("v"),
        resources=resources,
        probes=tables.probes(table.child("probes")),
        config=tables.config_values(table.child("config"), secrets),
        secrets=secrets,
        autoscale=autoscale,
        min_available=tables.min_available(table),
        canary=tables.canary(table.child("canary")),
        blue_green=tables.blue_green(table.child("blue-green")),
        systemd=tables.systemd(table.child("systemd")),
        labels=tables.labels(table.child("labels")),
        require_signature=tuple(table.resolve(key) for key in data.get("require-signature", ())),
        scan_fail_on=scan_fail_on,
        source=str(table.path),
    )


def kubernetes_name(text: str) -> str:
    """An image or directory name as a Kubernetes name: lower case, '-' for what is not a
    letter or digit, starting with a letter ("app" when nothing is left)."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    cleaned = re.sub(r"^[0-9-]+", "", cleaned)[:40].rstrip("-")
    return cleaned or "app"


def has_deploy_tables(data: Mapping[str, Any]) -> bool:
    environments = data.get("environments")
    return "deploy" in data or (isinstance(environments, dict) and any(
        isinstance(table, dict) and "deploy" in table for table in environments.values()))


def deploy_config(root: ConfigTable) -> DeployConfig:
    """Every environment's deploy settings from a parsed goship.toml (config.py's reader calls
    this with the file's top level, before the environments go to the release settings)."""
    root = replace(root, docs="docs/deploy.md")
    base = root.table("deploy", hint="write [deploy] above the deploy keys")
    tables.check_raw(base)
    images = _image_defaults(root.data.get("images"), root.path.parent)
    settings = {"": _settings(base, "", images)}
    environments = root.child("environments")
    for name in environments.data:
        table_name = f"environments.{name}.deploy"
        own = environments.child(name).table("deploy", hint=f"write [{table_name}]")
        tables.check_raw(own)
        merged = ConfigTable.merged(tables.merge(base.data, own.data), (own, base))
        settings[name] = _settings(merged, name, images)
    return DeployConfig(settings, str(root.path))


def known_environments(config: Config) -> list[str]:
    """The environments goship.toml names, in its order."""
    return list(dict.fromkeys([*config.release.environments, *(
        name for name in config.deploy.settings if name)]))


def deploy_settings(config_or_path: Config | Path, environment: str | None) -> DeploySettings:
    """The settings of ``environment`` (None or "": [deploy] alone). ``config_or_path`` is a
    loaded Config, or a goship.toml (or the directory holding it)."""
    from goship.config import CONFIG_FILE, Config, Options, load_config

    if isinstance(config_or_path, Config):
        config = config_or_path
    else:
        directory = config_or_path.parent if config_or_path.name == CONFIG_FILE else config_or_path
        config = load_config(directory, Options(), {})
    name = environment or ""
    found = config.deploy.settings.get(name)
    if found is not None:
        return found
    known = known_environments(config)
    if name and name not in known:
        where = str(config.config_file) if config.config_file else "goship.toml (none found)"
        raise UsageError(f"unknown environment '{name}' (configured in {where}: "
                         f"{', '.join(known) or 'none'})",
                         f"use one of those with --env, or add [environments.{name}] to goship.toml")
    # goship.toml has no deploy tables: the defaults, named after the first image.
    first = config.images[0] if config.images else None
    defaults = DeploySettings(name="app")
    settings = replace(defaults, name=kubernetes_name(first.name if first else config.module_dir.name),
                       image=first.name if first else "", environment=name,
                       port=first.ports[0] if first and first.ports else defaults.port,
                       source=str(config.config_file or ""))
    return settings
