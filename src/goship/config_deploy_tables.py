"""The tables of ``[deploy]`` (goship.config_deploy reads goship.toml's deploy settings with
these): the schema of every table, the check of one raw table, the overlay of an
environment's table on ``[deploy]``, and the parsers of the values and sub-tables. They read
through ConfigTable: a merged table points each error at the table that sets the key.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from typing import Any

from goship.config_tables import (
    STRING,
    STRING_TABLE,
    TRUE_OR_FALSE,
    WHOLE_NUMBER,
    ConfigTable,
    Schema,
    is_int,
    is_str,
    is_str_list,
    is_str_table,
    is_table,
)
from goship.deploy.settings import (
    Autoscale,
    BlueGreen,
    Canary,
    Probes,
    Resources,
    SecretValue,
    Systemd,
)

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
_DURATION_HINT = "write a number and a unit: \"30s\", \"5m\", \"1h\" (or a number of seconds)"


def _is_duration(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool))


def _is_table_or_false(value: Any) -> bool:
    return isinstance(value, dict) or value is False


def _is_int_list(value: Any) -> bool:
    return isinstance(value, list) and all(is_int(item) for item in value)


def _is_min_available(value: Any) -> bool:
    return is_int(value) or isinstance(value, str) or value is False


_DEPLOY: Schema = {
    "name": ("a string: the app's name in Kubernetes", is_str),
    "image": ("a string: the name of an [[images]] entry", is_str),
    "namespace": STRING,
    "context": ("a string: a kubeconfig context", is_str),
    "port": ("a port number", is_int),
    "service-port": ("a port number", is_int),
    "replicas": WHOLE_NUMBER,
    "strategy": ("\"rolling\", \"blue-green\" or \"canary\"", is_str),
    "timeout": ("a duration like \"5m\" (or seconds)", _is_duration),
    "kubernetes-version": ("a string like \"1.30\"", is_str),
    "resources": ("a table: cpu-request, memory-request, cpu-limit, memory-limit", is_table),
    "probes": ("a table: path, readiness-path, period, ...", is_table),
    "config": ("a table of strings (plain configuration, put into a ConfigMap)", is_str_table),
    "secrets": ("a table: VARIABLE = { from-env = \"NAME\" } (or from-file, or secret and key)",
                is_table),
    "autoscale": ("a table: min-replicas, max-replicas, cpu-utilization (or false)",
                  _is_table_or_false),
    "min-available": ("a whole number, a percentage like \"50%\", or false", _is_min_available),
    "canary": ("a table: steps, pause, istio", is_table),
    "blue-green": ("a table: keep-old, smoke-paths", is_table),
    "systemd": ("a table: user, dynamic-user, limit-nofile, sysctl, install-dir", is_table),
    "labels": STRING_TABLE,
    "require-signature": ("a list of public key files", is_str_list),
    "scan-fail-on": ("a severity: \"critical\", \"high\", ... or \"any\"", is_str),
}
_RESOURCES: Schema = {
    "cpu-request": ("a CPU quantity like \"100m\"", is_str),
    "memory-request": ("a memory quantity like \"64Mi\"", is_str),
    "cpu-limit": ("a CPU quantity like \"500m\" (\"\" for none)", is_str),
    "memory-limit": ("a memory quantity like \"256Mi\"", is_str),
}
_PROBES: Schema = {
    "path": ("an HTTP path like \"/healthz\"", is_str),
    "readiness-path": ("an HTTP path like \"/readyz\"", is_str),
    "initial-delay": ("a duration like \"5s\" (or seconds)", _is_duration),
    "period": ("a duration like \"10s\" (or seconds)", _is_duration),
    "timeout": ("a duration like \"1s\" (or seconds)", _is_duration),
    "failure-threshold": WHOLE_NUMBER,
    "startup-failure-threshold": WHOLE_NUMBER,
}
_AUTOSCALE: Schema = {
    "min-replicas": WHOLE_NUMBER,
    "max-replicas": WHOLE_NUMBER,
    "cpu-utilization": ("a percentage of the CPU request, like 80", is_int),
}
_CANARY: Schema = {
    "steps": ("a list of traffic weights in percent, like [10, 50, 100]", _is_int_list),
    "pause": ("a duration like \"1m\" (or seconds)", _is_duration),
    "istio": TRUE_OR_FALSE,
}
_BLUE_GREEN: Schema = {
    "keep-old": ("a duration like \"10m\" (or seconds)", _is_duration),
    "smoke-paths": ("a list of HTTP paths like [\"/healthz\"]", is_str_list),
}
_SYSTEMD: Schema = {
    "user": ("a string: a system user name", is_str),
    "dynamic-user": TRUE_OR_FALSE,
    "limit-nofile": WHOLE_NUMBER,
    "sysctl": TRUE_OR_FALSE,
    "install-dir": ("an absolute directory like \"/opt\"", is_str),
}
_SECRET: Schema = {
    "from-env": ("a string: the deploying process's environment variable", is_str),
    "from-file": ("a string: a file read at deploy time", is_str),
    "secret": ("a string: an existing Secret's name", is_str),
    "key": ("a string: the key in that Secret", is_str),
}
_SUB_TABLES: dict[str, Schema] = {
    "resources": _RESOURCES, "probes": _PROBES, "autoscale": _AUTOSCALE, "canary": _CANARY,
    "blue-green": _BLUE_GREEN, "systemd": _SYSTEMD,
}
_MERGED_MAPS = ("config", "labels", "secrets")  # an environment adds to these, key by key


def check_raw(table: ConfigTable) -> None:
    """Unknown keys and wrong types of one [deploy] table, before any merging."""
    table.check(_DEPLOY)
    for key, schema in _SUB_TABLES.items():
        if isinstance(table.data.get(key), dict):
            table.child(key).check(schema)
    secrets = table.child("secrets")
    for variable, source in secrets.data.items():
        if not isinstance(source, dict):
            raise secrets.error(
                variable, f"'{secrets.name(variable)}' holds a value: {_NEVER_VALUES}",
                f"name where the value comes from at deploy time: {variable} = {{ from-env = "
                f"\"{variable}\" }}, {{ from-file = \"path\" }}, or an existing Secret: "
                "{ secret = \"name\", key = \"key\" }")
        if "value" in source:
            raise secrets.error(variable, f"'{secrets.name(variable)}.value': {_NEVER_VALUES}",
                                "use from-env or from-file instead of value")
        secrets.child(variable).check(_SECRET)


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


def seconds(table: ConfigTable, key: str, default: float, *, allow_zero: bool = False) -> float:
    return table.duration(key, default, allow_zero=allow_zero, hint=_DURATION_HINT)


def _quantity(table: ConfigTable, key: str, default: str) -> str:
    value: str = table.data.get(key, default)
    if value and not _QUANTITY.match(value):  # "" sets no request or limit
        raise table.error(key, f"'{table.name(key)}' is '{value}', not a Kubernetes quantity",
                          "write e.g. \"250m\" or \"0.5\" for CPU, \"128Mi\" or \"1Gi\" for memory")
    return value


def _http_path(table: ConfigTable, key: str, value: str) -> str:
    if not value.startswith("/") or any(char.isspace() for char in value):
        raise table.error(key, f"'{table.name(key)}' is '{value}', not an HTTP path",
                          "write a path starting with '/', e.g. \"/healthz\"")
    return value


def port_number(table: ConfigTable, key: str, default: int) -> int:
    value: int = table.data.get(key, default)
    if not 0 < value < 65536:
        raise table.error(key, f"'{table.name(key)}' is {value}, not a port", "write 1 to 65535")
    return value


def resources(table: ConfigTable) -> Resources:
    default = Resources()
    return Resources(
        cpu_request=_quantity(table, "cpu-request", default.cpu_request),
        memory_request=_quantity(table, "memory-request", default.memory_request),
        cpu_limit=_quantity(table, "cpu-limit", default.cpu_limit),
        memory_limit=_quantity(table, "memory-limit", default.memory_limit),
    )


def probes(table: ConfigTable) -> Probes:
    default = Probes()
    readiness = table.data.get("readiness-path", "")
    return Probes(
        path=_http_path(table, "path", table.data.get("path", default.path)),
        readiness_path=_http_path(table, "readiness-path", readiness) if readiness else "",
        initial_delay=seconds(table, "initial-delay", default.initial_delay, allow_zero=True),
        period=seconds(table, "period", default.period),
        timeout=seconds(table, "timeout", default.timeout),
        failure_threshold=table.count("failure-threshold", default.failure_threshold, minimum=1),
        startup_failure_threshold=table.count("startup-failure-threshold",
                                              default.startup_failure_threshold, minimum=1),
    )


def secrets(table: ConfigTable) -> tuple[SecretValue, ...]:
    values: list[SecretValue] = []
    for variable in sorted(table.data):
        source = table.data[variable]
        name = table.name(variable)
        if not _ENV_NAME.match(variable):
            raise table.error(variable, f"'{name}': '{variable}' is not an environment variable name",
                              "use letters, digits, '_', '-' and '.', not starting with a digit")
        given = [key for key in ("from-env", "from-file", "secret") if source.get(key)]
        if len(given) != 1:
            raise table.error(variable, f"'{name}' must name exactly one source "
                              f"(it names {', '.join(given) or 'none'})",
                              f"write {variable} = {{ from-env = \"{variable}\" }}, "
                              "{ from-file = \"path\" } or { secret = \"name\", key = \"key\" }")
        if given[0] == "secret":
            if not source.get("key"):
                raise table.error(variable, f"'{name}' names Secret '{source['secret']}' but no key",
                                  "add key = \"the key in that Secret\"")
            if not NAMESPACE.match(source["secret"]):
                raise table.error(variable, f"'{name}.secret' is '{source['secret']}', not a Secret "
                                  "name", "use lowercase letters, digits and '-'")
        elif source.get("key"):
            raise table.error(variable, f"'{name}.key' goes only with 'secret'",
                              "remove key: goship stores the value under the variable's name")
        from_file = source.get("from-file", "")
        values.append(SecretValue(variable=variable, from_env=source.get("from-env", ""),
                                  from_file=table.resolve(from_file) if from_file else "",
                                  secret=source.get("secret", ""), key=source.get("key", "")))
    return tuple(values)


def config_values(table: ConfigTable, secrets: Sequence[SecretValue]) -> dict[str, str]:
    secret_names = {secret.variable for secret in secrets}
    for key in table.data:
        if not _ENV_NAME.match(key):
            raise table.error(key, f"'{table.name(key)}': '{key}' is not an environment variable "
                              "name", "use letters, digits, '_', '-' and '.', not starting with a digit")
        if key in secret_names:
            raise table.error(key, f"'{key}' is both in config and in secrets",
                              "keep it in one place: secrets for what must stay secret")
    return {key: table.data[key] for key in sorted(table.data)}


def labels(table: ConfigTable) -> dict[str, str]:
    for key, value in table.data.items():
        prefix, slash, name = key.rpartition("/")
        if not _LABEL_NAME.match(name) or (slash and (not _LABEL_PREFIX.match(prefix) or len(prefix) > 253)):
            raise table.error(key, f"'{table.name(key)}': '{key}' is not a label key",
                              "write [prefix/]name: up to 63 letters, digits, '-', '_', '.'")
        if key.startswith(_RESERVED_LABELS) or key == "env":
            raise table.error(key, f"'{table.name(key)}': goship sets the '{key}' label itself",
                              "use a key of your own, e.g. team or example.com/owner")
        if not _LABEL_VALUE.match(value):
            raise table.error(key, f"'{table.name(key)}' is '{value}', not a label value",
                              "up to 63 letters, digits, '-', '_', '.', starting and ending with a "
                              "letter or digit")
    return {key: table.data[key] for key in sorted(table.data)}


def autoscale(deploy: ConfigTable) -> Autoscale | None:
    if deploy.data.get("autoscale") is None or deploy.data.get("autoscale") is False:
        return None
    table = deploy.child("autoscale")
    default = Autoscale()
    minimum = table.count("min-replicas", default.min_replicas, minimum=1)
    maximum = table.count("max-replicas", max(default.max_replicas, minimum), minimum=1)
    if maximum < minimum:
        raise table.error("max-replicas", f"'{table.name('max-replicas')}' is {maximum}, below "
                          f"min-replicas {minimum}", "raise max-replicas")
    utilization = table.data.get("cpu-utilization", default.cpu_utilization)
    if not 0 < utilization <= 1000:
        raise table.error("cpu-utilization", f"'{table.name('cpu-utilization')}' is {utilization}",
                          "write a percentage of the CPU request, e.g. 80")
    return Autoscale(min_replicas=minimum, max_replicas=maximum, cpu_utilization=utilization)


def min_available(deploy: ConfigTable) -> int | str | None:
    value = deploy.data.get("min-available")
    if value is None or value is False:
        return None
    if isinstance(value, int):
        return deploy.count("min-available", minimum=0)
    match = _PERCENT.match(value.strip())
    if match is None or int(match.group(1)) > 100:
        raise deploy.error("min-available", f"'{deploy.name('min-available')}' is '{value}'",
                           "write a number of pods (1) or a percentage (\"50%\")")
    return f"{int(match.group(1))}%"


def canary(table: ConfigTable) -> Canary:
    default = Canary()
    steps = tuple(table.data.get("steps", default.steps))
    if not steps or steps[-1] != 100 or any(not 0 < step <= 100 for step in steps) or \
            any(later <= earlier for earlier, later in itertools.pairwise(steps)):
        raise table.error("steps", f"'{table.name('steps')}' is {list(steps)}",
                          "list rising weights in percent that end at 100, e.g. [10, 50, 100]")
    return Canary(steps=steps, pause=seconds(table, "pause", default.pause, allow_zero=True),
                  istio=table.flag("istio", default.istio))


def blue_green(table: ConfigTable) -> BlueGreen:
    default = BlueGreen()
    paths = tuple(_http_path(table, "smoke-paths", item)
                  for item in table.data.get("smoke-paths", default.smoke_paths))
    return BlueGreen(keep_old=seconds(table, "keep-old", default.keep_old, allow_zero=True),
                     smoke_paths=paths)


def systemd(table: ConfigTable) -> Systemd:
    default = Systemd()
    user = table.data.get("user", default.user)
    if user and not _USER.match(user):
        raise table.error("user", f"'{table.name('user')}' is '{user}', not a system user name",
                          "use lowercase letters, digits, '_' and '-'")
    install_dir = table.data.get("install-dir", default.install_dir)
    if not install_dir.startswith("/") or any(char.isspace() for char in install_dir):
        raise table.error("install-dir", f"'{table.name('install-dir')}' is '{install_dir}'",
                          "write an absolute directory without spaces, e.g. \"/opt\"")
    return Systemd(user=user, dynamic_user=table.flag("dynamic-user", default.dynamic_user),
                   limit_nofile=table.count("limit-nofile", default.limit_nofile, minimum=1),
                   sysctl=table.flag("sysctl", default.sysctl),
                   install_dir=install_dir.rstrip("/") or "/")
