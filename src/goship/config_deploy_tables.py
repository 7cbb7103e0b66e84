"""The tables of ``[deploy]`` (goship.config_deploy reads goship.toml's deploy settings with
these): the schema of every table, where a key was written (for errors that name the file and
line), the check of one raw table, the overlay of an environment's table on ``[deploy]``, and
the parsers of the values and sub-tables.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from goship.config import is_bool, is_str_list, is_str_table, line_of
from goship.deploy.settings import (
    Autoscale,
    BlueGreen,
    Canary,
    Probes,
    Resources,
    SecretValue,
    Systemd,
)
from goship.errors import ConfigError

_Schema = dict[str, tuple[str, Callable[[Any], bool]]]

# Kubernetes names: a DNS-1035 label for what becomes a Service, DNS-1123 for a namespace.
NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")  # what Kubernetes accepts as a variable
_QUANTITY = re.compile(r"^(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$")
_LABEL_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")
_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,30}$")
KUBERNETES_VERSION = re.compile(r"^v?1\.\d{1,3}(\.\d+)?$")
_PERCENT = re.compile(r"^(\d{1,3})%$")
_RESERVED_LABELS = ("app.kubernetes.io/", "goship.dev/")
_NEVER_VALUES = "never put secret values in goship.toml"


def _header(text: str, table: str) -> bool:
    pattern = re.compile(r"^\s*\[\[?\s*" + re.escape(table) + r"\s*\]\]?\s*(#.*)?$", re.MULTILINE)
    return pattern.search(text) is not None


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_duration(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool))


def _is_table(value: Any) -> bool:
    return isinstance(value, dict)


def _is_table_or_false(value: Any) -> bool:
    return isinstance(value, dict) or value is False


def _is_int_list(value: Any) -> bool:
    return isinstance(value, list) and all(_is_int(item) for item in value)


def _is_min_available(value: Any) -> bool:
    return _is_int(value) or isinstance(value, str) or value is False


_DEPLOY: _Schema = {
    "name": ("a string: the app's name in Kubernetes", _is_str),
    "image": ("a string: the name of an [[images]] entry", _is_str),
    "namespace": ("a string", _is_str),
    "context": ("a string: a kubeconfig context", _is_str),
    "port": ("a port number", _is_int),
    "service-port": ("a port number", _is_int),
    "replicas": ("a whole number", _is_int),
    "strategy": ("\"rolling\", \"blue-green\" or \"canary\"", _is_str),
    "timeout": ("a duration like \"5m\" (or seconds)", _is_duration),
    "kubernetes-version": ("a string like \"1.30\"", _is_str),
    "resources": ("a table: cpu-request, memory-request, cpu-limit, memory-limit", _is_table),
    "probes": ("a table: path, readiness-path, period, ...", _is_table),
    "config": ("a table of strings (plain configuration, put into a ConfigMap)", is_str_table),
    "secrets": ("a table: VARIABLE = { from-env = \"NAME\" } (or from-file, or secret and key)",
                _is_table),
    "autoscale": ("a table: min-replicas, max-replicas, cpu-utilization (or false)",
                  _is_table_or_false),
    "min-available": ("a whole number, a percentage like \"50%\", or false", _is_min_available),
    "canary": ("a table: steps, pause, istio", _is_table),
    "blue-green": ("a table: keep-old, smoke-paths", _is_table),
    "systemd": ("a table: user, dynamic-user, limit-nofile, sysctl, install-dir", _is_table),
    "labels": ("a table of strings", is_str_table),
    "require-signature": ("a list of public key files", is_str_list),
    "scan-fail-on": ("a severity: \"critical\", \"high\", ... or \"any\"", _is_str),
}
_RESOURCES: _Schema = {
    "cpu-request": ("a CPU quantity like \"100m\"", _is_str),
    "memory-request": ("a memory quantity like \"64Mi\"", _is_str),
    "cpu-limit": ("a CPU quantity like \"500m\" (\"\" for none)", _is_str),
    "memory-limit": ("a memory quantity like \"256Mi\"", _is_str),
}
_PROBES: _Schema = {
    "path": ("an HTTP path like \"/healthz\"", _is_str),
    "readiness-path": ("an HTTP path like \"/readyz\"", _is_str),
    "initial-delay": ("a duration like \"5s\" (or seconds)", _is_duration),
    "period": ("a duration like \"10s\" (or seconds)", _is_duration),
    "timeout": ("a duration like \"1s\" (or seconds)", _is_duration),
    "failure-threshold": ("a whole number", _is_int),
    "startup-failure-threshold": ("a whole number", _is_int),
}
_AUTOSCALE: _Schema = {
    "min-replicas": ("a whole number", _is_int),
    "max-replicas": ("a whole number", _is_int),
    "cpu-utilization": ("a percentage of the CPU request, like 80", _is_int),
}
_CANARY: _Schema = {
    "steps": ("a list of traffic weights in percent, like [10, 50, 100]", _is_int_list),
    "pause": ("a duration like \"1m\" (or seconds)", _is_duration),
    "istio": ("true or false", is_bool),
}
_BLUE_GREEN: _Schema = {
    "keep-old": ("a duration like \"10m\" (or seconds)", _is_duration),
    "smoke-paths": ("a list of HTTP paths like [\"/healthz\"]", is_str_list),
}
_SYSTEMD: _Schema = {
    "user": ("a string: a system user name", _is_str),
    "dynamic-user": ("true or false", is_bool),
    "limit-nofile": ("a whole number", _is_int),
    "sysctl": ("true or false", is_bool),
    "install-dir": ("an absolute directory like \"/opt\"", _is_str),
}
_SECRET: _Schema = {
    "from-env": ("a string: the deploying process's environment variable", _is_str),
    "from-file": ("a string: a file read at deploy time", _is_str),
    "secret": ("a string: an existing Secret's name", _is_str),
    "key": ("a string: the key in that Secret", _is_str),
}
_SUB_TABLES: dict[str, _Schema] = {
    "resources": _RESOURCES, "probes": _PROBES, "autoscale": _AUTOSCALE, "canary": _CANARY,
    "blue-green": _BLUE_GREEN, "systemd": _SYSTEMD,
}
_MERGED_MAPS = ("config", "labels", "secrets")  # an environment adds to these, key by key


class Where:
    """Where a key of the merged settings was written: the environment's table when it sets
    the key, else [deploy]."""

    def __init__(self, path: Path, text: str, tables: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        self.path = path
        self.text = text
        self.tables = tables  # most specific first

    def table_of(self, *keys: str) -> str:
        for name, data in self.tables:
            node: Any = data
            for key in keys[:-1]:
                node = node.get(key) if isinstance(node, dict) else None
            if isinstance(node, dict) and keys[-1] in node:
                return name
        return self.tables[-1][0]

    def line(self, table: str, *keys: str) -> str:
        found = 0
        if len(keys) > 1 and _header(self.text, ".".join((table, *keys[:-1]))):
            found = line_of(self.text, keys[-1], ".".join((table, *keys[:-1])))
        elif _header(self.text, table):
            # a key of the table, or a sub-table written inline: resources = { ... }
            found = line_of(self.text, keys[0], table)
        elif table.count(".") == 2 and _header(self.text, table.rpartition(".")[0]):
            # [environments.prod] with deploy = { ... } or deploy.replicas = 3
            parent, _, child = table.rpartition(".")
            found = line_of(self.text, child, parent) or line_of(self.text, f"{child}.{keys[0]}", parent)
        return f"{self.path}:{found}" if found else str(self.path)

    def error(self, keys: Sequence[str], message: str, hint: str) -> ConfigError:
        table = self.table_of(*keys)
        return ConfigError(f"{self.line(table, *keys)}: {message}", hint)

    def name(self, keys: Sequence[str]) -> str:
        return ".".join((self.table_of(*keys), *keys))


def _check_keys(data: Mapping[str, Any], schema: _Schema, *, table: str, path: Path,
                where: Callable[[str], str]) -> None:
    for key in data:
        if key not in schema:
            close = difflib.get_close_matches(key.replace("_", "-"), list(schema), n=1)
            hint = (f"did you mean '{close[0]}'? " if close else "") + \
                f"keys of [{table}]: {', '.join(schema)}; see docs/deploy.md"
            raise ConfigError(f"{where(key)}: unknown key '{table}.{key}'", hint)
    for key, value in data.items():
        description, check = schema[key]
        if not check(value):
            raise ConfigError(f"{where(key)}: '{table}.{key}' must be {description}",
                              f"fix '{table}.{key}' in {path.name}")


def check_raw(data: Mapping[str, Any], table: str, *, path: Path, text: str) -> None:
    """Unknown keys and wrong types of one [deploy] table, before any merging."""
    position = Where(path, text, [(table, data)])

    def at(*prefix: str) -> Callable[[str], str]:
        return lambda key: position.line(table, *prefix, key)

    _check_keys(data, _DEPLOY, table=table, path=path, where=at())
    for key, schema in _SUB_TABLES.items():
        sub = data.get(key)
        if isinstance(sub, dict):
            _check_keys(sub, schema, table=f"{table}.{key}", path=path, where=at(key))
    secrets = data.get("secrets", {})
    for variable, source in secrets.items():
        where = position.line(table, "secrets", variable)
        if not isinstance(source, dict):
            raise ConfigError(
                f"{where}: '{table}.secrets.{variable}' holds a value: {_NEVER_VALUES}",
                f"name where the value comes from at deploy time: {variable} = {{ from-env = "
                f"\"{variable}\" }}, {{ from-file = \"path\" }}, or an existing Secret: "
                "{ secret = \"name\", key = \"key\" }")
        if "value" in source:
            raise ConfigError(f"{where}: '{table}.secrets.{variable}.value': {_NEVER_VALUES}",
                              "use from-env or from-file instead of value")
        _check_keys(source, _SECRET, table=f"{table}.secrets.{variable}", path=path,
                    where=_always(where))


def _always(line: str) -> Callable[[str], str]:
    return lambda _key: line


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        earlier = merged.get(key)
        if isinstance(value, dict) and isinstance(earlier, dict) and \
                (key in _SUB_TABLES or key in _MERGED_MAPS):
            merged[key] = {**earlier, **value}
        else:
            merged[key] = value
    return merged


def seconds(value: Any, keys: Sequence[str], where: Where, *, allow_zero: bool = False) -> float:
    from goship.config_release import parse_duration

    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        text = value.strip()
        try:
            seconds = 0.0 if allow_zero and text in ("0", "0s") else parse_duration(text)
        except ValueError:
            raise where.error(keys, f"'{where.name(keys)}' is '{value}', not a duration",
                              "write a number and a unit: \"30s\", \"5m\", \"1h\" (or a number of "
                              "seconds)") from None
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise where.error(keys, f"'{where.name(keys)}' is {value}", "give a positive duration")
    return seconds


def positive(value: int, keys: Sequence[str], where: Where, minimum: int = 1) -> int:
    if value < minimum:
        raise where.error(keys, f"'{where.name(keys)}' is {value}", f"write {minimum} or more")
    return value


def _quantity(value: str, keys: Sequence[str], where: Where, *, optional: bool = False) -> str:
    if optional and value == "":
        return value
    if not _QUANTITY.match(value):
        raise where.error(keys, f"'{where.name(keys)}' is '{value}', not a Kubernetes quantity",
                          "write e.g. \"250m\" or \"0.5\" for CPU, \"128Mi\" or \"1Gi\" for memory")
    return value


def _http_path(value: str, keys: Sequence[str], where: Where) -> str:
    if not value.startswith("/") or any(char.isspace() for char in value):
        raise where.error(keys, f"'{where.name(keys)}' is '{value}', not an HTTP path",
                          "write a path starting with '/', e.g. \"/healthz\"")
    return value


def port_number(value: int, keys: Sequence[str], where: Where) -> int:
    if not 0 < value < 65536:
        raise where.error(keys, f"'{where.name(keys)}' is {value}, not a port", "write 1 to 65535")
    return value


def resources(data: Mapping[str, Any], where: Where) -> Resources:
    default = Resources()
    return Resources(
        cpu_request=_quantity(data.get("cpu-request", default.cpu_request), ("resources", "cpu-request"),
                              where, optional=True),
        memory_request=_quantity(data.get("memory-request", default.memory_request),
                                 ("resources", "memory-request"), where, optional=True),
        cpu_limit=_quantity(data.get("cpu-limit", default.cpu_limit), ("resources", "cpu-limit"), where,
                            optional=True),
        memory_limit=_quantity(data.get("memory-limit", default.memory_limit),
                               ("resources", "memory-limit"), where, optional=True),
    )


def probes(data: Mapping[str, Any], where: Where) -> Probes:
    default = Probes()
    keys = ("probes",)
    readiness = data.get("readiness-path", "")
    return Probes(
        path=_http_path(data.get("path", default.path), (*keys, "path"), where),
        readiness_path=_http_path(readiness, (*keys, "readiness-path"), where) if readiness else "",
        initial_delay=seconds(data.get("initial-delay", default.initial_delay), (*keys, "initial-delay"),
                               where, allow_zero=True),
        period=seconds(data.get("period", default.period), (*keys, "period"), where),
        timeout=seconds(data.get("timeout", default.timeout), (*keys, "timeout"), where),
        failure_threshold=positive(data.get("failure-threshold", default.failure_threshold),
                                    (*keys, "failure-threshold"), where),
        startup_failure_threshold=positive(
            data.get("startup-failure-threshold", default.startup_failure_threshold),
            (*keys, "startup-failure-threshold"), where),
    )


def secrets(data: Mapping[str, Any], where: Where, base_dir: Path) -> tuple[SecretValue, ...]:
    values: list[SecretValue] = []
    for variable in sorted(data):
        source = data[variable]
        keys = ("secrets", variable)
        if not _ENV_NAME.match(variable):
            raise where.error(keys, f"'{where.name(keys)}': '{variable}' is not an environment "
                              "variable name", "use letters, digits, '_', '-' and '.', not starting "
                              "with a digit")
        given = [key for key in ("from-env", "from-file", "secret") if source.get(key)]
        if len(given) != 1:
            raise where.error(keys, f"'{where.name(keys)}' must name exactly one source "
                              f"(it names {', '.join(given) or 'none'})",
                              f"write {variable} = {{ from-env = \"{variable}\" }}, "
                              "{ from-file = \"path\" } or { secret = \"name\", key = \"key\" }")
        if given[0] == "secret":
            if not source.get("key"):
                raise where.error(keys, f"'{where.name(keys)}' names Secret '{source['secret']}' "
                                  "but no key", "add key = \"the key in that Secret\"")
            if not NAMESPACE.match(source["secret"]):
                raise where.error(keys, f"'{where.name(keys)}.secret' is '{source['secret']}', not "
                                  "a Secret name", "use lowercase letters, digits and '-'")
        elif source.get("key"):
            raise where.error(keys, f"'{where.name(keys)}.key' goes only with 'secret'",
                              "remove key: goship stores the value under the variable's name")
        from_file = source.get("from-file", "")
        if from_file:
            candidate = Path(from_file).expanduser()
            from_file = str(candidate if candidate.is_absolute() else base_dir / candidate)
        values.append(SecretValue(variable=variable, from_env=source.get("from-env", ""),
                                  from_file=from_file, secret=source.get("secret", ""),
                                  key=source.get("key", "")))
    return tuple(values)


def config_values(data: Mapping[str, str], secrets: Sequence[SecretValue], where: Where) -> dict[str, str]:
    secret_names = {secret.variable for secret in secrets}
    for key in data:
        keys = ("config", key)
        if not _ENV_NAME.match(key):
            raise where.error(keys, f"'{where.name(keys)}': '{key}' is not an environment variable "
                              "name", "use letters, digits, '_', '-' and '.', not starting with a digit")
        if key in secret_names:
            raise where.error(keys, f"'{key}' is both in config and in secrets",
                              "keep it in one place: secrets for what must stay secret")
    return {key: data[key] for key in sorted(data)}


def labels(data: Mapping[str, str], where: Where) -> dict[str, str]:
    for key, value in data.items():
        keys = ("labels", key)
        prefix, slash, name = key.rpartition("/")
        if not _LABEL_NAME.match(name) or (slash and (not _LABEL_PREFIX.match(prefix) or len(prefix) > 253)):
            raise where.error(keys, f"'{where.name(keys)}': '{key}' is not a label key",
                              "write [prefix/]name: up to 63 letters, digits, '-', '_', '.'")
        if key.startswith(_RESERVED_LABELS) or key == "env":
            raise where.error(keys, f"'{where.name(keys)}': goship sets the '{key}' label itself",
                              "use a key of your own, e.g. team or example.com/owner")
        if not _LABEL_VALUE.match(value):
            raise where.error(keys, f"'{where.name(keys)}' is '{value}', not a label value",
                              "up to 63 letters, digits, '-', '_', '.', starting and ending with a "
                              "letter or digit")
    return {key: data[key] for key in sorted(data)}


def autoscale(data: Any, where: Where) -> Autoscale | None:
    if data is False or data is None:
        return None
    default = Autoscale()
    keys = ("autoscale",)
    minimum = positive(data.get("min-replicas", default.min_replicas), (*keys, "min-replicas"), where)
    maximum = positive(data.get("max-replicas", max(default.max_replicas, minimum)),
                        (*keys, "max-replicas"), where)
    if maximum < minimum:
        raise where.error((*keys, "max-replicas"), f"'{where.name((*keys, 'max-replicas'))}' is "
                          f"{maximum}, below min-replicas {minimum}", "raise max-replicas")
    utilization = data.get("cpu-utilization", default.cpu_utilization)
    if not 0 < utilization <= 1000:
        raise where.error((*keys, "cpu-utilization"), f"'{where.name((*keys, 'cpu-utilization'))}' is "
                          f"{utilization}", "write a percentage of the CPU request, e.g. 80")
    return Autoscale(min_replicas=minimum, max_replicas=maximum, cpu_utilization=utilization)


def min_available(value: Any, where: Where) -> int | str | None:
    keys = ("min-available",)
    if value is None or value is False:
        return None
    if isinstance(value, int):
        return positive(value, keys, where, minimum=0)
    match = _PERCENT.match(value.strip())
    if match is None or int(match.group(1)) > 100:
        raise where.error(keys, f"'{where.name(keys)}' is '{value}'",
                          "write a number of pods (1) or a percentage (\"50%\")")
    return f"{int(match.group(1))}%"


def canary(data: Mapping[str, Any], where: Where) -> Canary:
    default = Canary()
    keys = ("canary", "steps")
    steps = tuple(data.get("steps", default.steps))
    if not steps or steps[-1] != 100 or any(not 0 < step <= 100 for step in steps) or \
            any(later <= earlier for earlier, later in itertools.pairwise(steps)):
        raise where.error(keys, f"'{where.name(keys)}' is {list(steps)}",
                          "list rising weights in percent that end at 100, e.g. [10, 50, 100]")
    return Canary(steps=steps,
                  pause=seconds(data.get("pause", default.pause), ("canary", "pause"), where,
                                 allow_zero=True),
                  istio=bool(data.get("istio", default.istio)))


def blue_green(data: Mapping[str, Any], where: Where) -> BlueGreen:
    default = BlueGreen()
    paths = tuple(_http_path(item, ("blue-green", "smoke-paths"), where)
                  for item in data.get("smoke-paths", default.smoke_paths))
    return BlueGreen(keep_old=seconds(data.get("keep-old", default.keep_old), ("blue-green", "keep-old"),
                                       where, allow_zero=True),
                     smoke_paths=paths)


def systemd(data: Mapping[str, Any], where: Where) -> Systemd:
    default = Systemd()
    user = data.get("user", default.user)
    if user and not _USER.match(user):
        raise where.error(("systemd", "user"), f"'{where.name(('systemd', 'user'))}' is '{user}', not "
                          "a system user name", "use lowercase letters, digits, '_' and '-'")
    install_dir = data.get("install-dir", default.install_dir)
    if not install_dir.startswith("/") or any(char.isspace() for char in install_dir):
        raise where.error(("systemd", "install-dir"), f"'{where.name(('systemd', 'install-dir'))}' is "
                          f"'{install_dir}'", "write an absolute directory without spaces, e.g. \"/opt\"")
    return Systemd(user=user, dynamic_user=bool(data.get("dynamic-user", default.dynamic_user)),
                   limit_nofile=positive(data.get("limit-nofile", default.limit_nofile),
                                          ("systemd", "limit-nofile"), where),
                   sysctl=bool(data.get("sysctl", default.sysctl)),
                   install_dir=install_dir.rstrip("/") or "/")
