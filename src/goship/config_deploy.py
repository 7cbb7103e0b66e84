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
from goship.config import _default_name, line_of
from goship.deploy.settings import DeploySettings, Strategy
from goship.errors import ConfigError, UsageError

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


def _settings(data: Mapping[str, Any], environment: str, where: tables.Where, images: _ImageDefaults,
              path: Path) -> DeploySettings:
    image = data.get("image", "")
    if image and images.names and image not in images.names:
        raise where.error(("image",), f"'{where.name(('image',))}' is '{image}', which no [[images]] "
                          f"entry is called", f"use one of: {', '.join(images.names)}")
    image = image or (images.names[0] if images.names else "")
    name = data.get("name") or kubernetes_name(image or _default_name(".", path.parent))
    if not tables.NAME.match(name):
        raise where.error(("name",), f"the app name '{name}' is not a Kubernetes name",
                          "set [deploy] name to lowercase letters, digits and '-', starting with a "
                          "letter")
    instance = f"{name}-{environment}" if environment else name
    if len(instance) > 63 or len(name) > 40:
        raise where.error(("name",), f"the app name '{name}' is too long for Kubernetes names and "
                          "labels (with the environment)", "use at most 40 characters, and keep "
                          "name-environment within 63")
    namespace = data.get("namespace", "default")
    if not tables.NAMESPACE.match(namespace) or len(namespace) > 63:
        raise where.error(("namespace",), f"'{where.name(('namespace',))}' is '{namespace}', not a "
                          "namespace name", "use lowercase letters, digits and '-'")
    strategy = data.get("strategy", "rolling")
    if strategy not in ("rolling", "blue-green", "canary"):
        raise where.error(("strategy",), f"'{where.name(('strategy',))}' is '{strategy}'",
                          "write \"rolling\", \"blue-green\" or \"canary\"")
    version = data.get("kubernetes-version", DeploySettings.kubernetes_version)
    if not tables.KUBERNETES_VERSION.match(version):
        raise where.error(("kubernetes-version",), f"'{where.name(('kubernetes-version',))}' is "
                          f"'{version}'", "write a Kubernetes minor version like \"1.30\"")
    scan_fail_on = data.get("scan-fail-on", "")
    if scan_fail_on:
        from goship.supply.scan.interface import FAIL_ON

        if scan_fail_on not in FAIL_ON or scan_fail_on == "never":
            gates = ", ".join(item for item in FAIL_ON if item != "never")
            raise where.error(("scan-fail-on",), f"'{where.name(('scan-fail-on',))}' is "
                              f"'{scan_fail_on}'", f"write one of {gates} (or remove it for no scan gate)")
    autoscale = tables.autoscale(data.get("autoscale"), where)
    resources = tables.resources(data.get("resources", {}), where)
    if autoscale is not None and not resources.cpu_request:
        raise where.error(("autoscale",), f"'{where.name(('autoscale',))}' scales on CPU use, but "
                          "there is no CPU request to measure it against",
                          "set resources.cpu-request, e.g. \"100m\"")
    keys = [Path(item).expanduser() for item in data.get("require-signature", ())]
    secrets = tables.secrets(data.get("secrets", {}), where, path.parent)
    return DeploySettings(
        name=name,
        image=image,
        environment=environment,
        namespace=namespace,
        context=data.get("context", ""),
        port=tables.port_number(data.get("port", images.ports.get(image, DeploySettings.port)), ("port",),
                                where),
        service_port=tables.port_number(data.get("service-port", DeploySettings.service_port),
                                        ("service-port",), where),
        replicas=tables.positive(data.get("replicas", DeploySettings.replicas), ("replicas",), where,
                                 minimum=0),
        strategy=cast(Strategy, strategy),
        timeout=tables.seconds(data.get("timeout", DeploySettings.timeout), ("timeout",), where),
        kubernetes_version=version.removeprefix("v"),
        resources=resources,
        probes=tables.probes(data.get("probes", {}), where),
        config=tables.config_values(data.get("config", {}), secrets, where),
        secrets=secrets,
        autoscale=autoscale,
        min_available=tables.min_available(data.get("min-available"), where),
        canary=tables.canary(data.get("canary", {}), where),
        blue_green=tables.blue_green(data.get("blue-green", {}), where),
        systemd=tables.systemd(data.get("systemd", {}), where),
        labels=tables.labels(data.get("labels", {}), where),
        require_signature=tuple(str(key if key.is_absolute() else path.parent / key) for key in keys),
        scan_fail_on=scan_fail_on,
        source=str(path),
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


def deploy_config(data: Mapping[str, Any], *, path: Path, text: str) -> DeployConfig:
    """Every environment's deploy settings from a parsed goship.toml (config.py's reader calls
    this before the environments go to the release settings)."""
    base = data.get("deploy", {})
    if not isinstance(base, dict):
        raise ConfigError(f"{path}:{line_of(text, 'deploy', None)}: 'deploy' must be a table",
                          "write [deploy] above the deploy keys")
    tables.check_raw(base, "deploy", path=path, text=text)
    images = _image_defaults(data.get("images"), path.parent)
    settings = {"": _settings(base, "", tables.Where(path, text, [("deploy", base)]), images, path)}
    environments = data.get("environments", {})
    for name, table in (environments.items() if isinstance(environments, dict) else ()):
        own = table.get("deploy", {}) if isinstance(table, dict) else {}
        table_name = f"environments.{name}.deploy"
        if not isinstance(own, dict):
            raise ConfigError(f"{path}:{line_of(text, 'deploy', f'environments.{name}')}: "
                              f"'{table_name}' must be a table", f"write [{table_name}]")
        tables.check_raw(own, table_name, path=path, text=text)
        where = tables.Where(path, text, [(table_name, own), ("deploy", base)])
        settings[name] = _settings(tables.merge(base, own), name, where, images, path)
    return DeployConfig(settings, str(path))


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
