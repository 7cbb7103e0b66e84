"""Checks on rendered objects before anything is written or applied.

1. The Kubernetes OpenAPI schemas of the configured version, in strict mode (unknown fields
   are errors), through kubernetes-validate. It ships schemas for a range of versions; a
   version outside that range is checked against the nearest one, and the report says so.
   Istio's VirtualService and DestinationRule are custom resources it has no schema for:
   their structure is checked here against a schema of the fields goship writes.
2. The image standard as far as a pod spec can break it: non-root, read-only root file
   system, no privilege escalation, every capability dropped (NET_BIND_SERVICE may come
   back), a seccomp profile, no host namespaces, and every image pinned by digest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from goship.errors import ConfigError, PolicyError

ISTIO_KINDS = frozenset({("networking.istio.io/v1", "VirtualService"),
                         ("networking.istio.io/v1", "DestinationRule")})
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_MINOR = re.compile(r"^v?(\d+)\.(\d+)")


@dataclass(frozen=True)
class SchemaVersion:
    requested: str  # "1.30"
    used: str  # the schema version checked against: "1.30.0"

    @property
    def exact(self) -> bool:
        return _minor(self.requested) == _minor(self.used)


@dataclass(frozen=True)
class ValidationReport:
    version: SchemaVersion
    objects: int
    structural_only: tuple[str, ...] = ()  # "VirtualService/hello": custom resources

    def notes(self) -> list[str]:
        notes = []
        if not self.version.exact:
            notes.append(f"kubernetes-validate has no schemas for Kubernetes {self.version.requested}; "
                         f"checked against {self.version.used}, the nearest it has")
        if self.structural_only:
            notes.append(f"{', '.join(self.structural_only)}: Istio custom resources, checked for "
                         "structure only (no Kubernetes schema covers them)")
        return notes


@dataclass(frozen=True)
class PodProblem:
    check: str  # "non-root", "read-only-root", "no-privilege-escalation", "capabilities", ...
    where: str  # "Deployment/hello container hello"
    message: str


def _minor(version: str) -> tuple[int, int]:
    match = _MINOR.match(version)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def schema_version(requested: str) -> SchemaVersion:
    """The installed schema version closest to ``requested`` ("1.30" -> "1.30.0")."""
    from kubernetes_validate.utils import all_versions

    available = all_versions()
    wanted = _minor(requested)
    same = [version for version in available if _minor(version) == wanted]
    if same:
        return SchemaVersion(requested, same[-1])
    nearest = min(available, key=lambda version: (abs(_minor(version)[1] - wanted[1])
                                                  if _minor(version)[0] == wanted[0] else 1000,
                                                  _minor(version)))
    return SchemaVersion(requested, nearest)


def _name(obj: Mapping[str, Any]) -> str:
    metadata = obj.get("metadata")
    name = metadata.get("name", "?") if isinstance(metadata, Mapping) else "?"
    return f"{obj.get('kind', '?')}/{name}"


def validate_objects(objects: Sequence[Mapping[str, Any]], kubernetes_version: str) -> ValidationReport:
    """Every object against its schema; a ConfigError quoting the validator's message for the
    first that fails."""
    from kubernetes_validate.utils import SchemaNotFoundError, ValidationError, validate

    version = schema_version(kubernetes_version)
    structural: list[str] = []
    for obj in objects:
        if (obj.get("apiVersion"), obj.get("kind")) in ISTIO_KINDS:
            _check_istio(obj)
            structural.append(_name(obj))
            continue
        try:
            validate(dict(obj), version.used, strict=True)
        except ValidationError as exc:
            path = ".".join(str(part) for part in exc.path) or "(the object)"
            raise ConfigError(f"{_name(obj)} does not validate against Kubernetes {version.used}: "
                              f"{path}: {exc.message}",
                              "check the [deploy] settings in goship.toml that make this field; "
                              "if they are right, report it as a goship bug") from None
        except SchemaNotFoundError as exc:
            raise ConfigError(f"{_name(obj)}: {exc.message}",
                              "goship renders only core Kubernetes kinds and Istio routing") from None
    return ValidationReport(version, len(objects), tuple(structural))


# ---------------------------------------------------------------------------------------
# Istio: the fields goship writes, nothing else (as kubernetes-validate's strict mode would)

_DNS_LABEL = {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63}
_LABELS = {"type": "object", "additionalProperties": {"type": "string"}}
_METADATA = {"type": "object", "required": ["name"], "properties": {
    "name": _DNS_LABEL, "namespace": _DNS_LABEL, "labels": _LABELS, "annotations": _LABELS}}
_DESTINATION = {"type": "object", "required": ["host"], "additionalProperties": False, "properties": {
    "host": {"type": "string", "minLength": 1}, "subset": _DNS_LABEL,
    "port": {"type": "object", "additionalProperties": False, "required": ["number"],
             "properties": {"number": {"type": "integer", "minimum": 1, "maximum": 65535}}}}}
_ISTIO_SCHEMAS: dict[str, dict[str, Any]] = {
    "VirtualService": {"type": "object", "required": ["apiVersion", "kind", "metadata", "spec"],
                       "additionalProperties": False, "properties": {
        "apiVersion": {"const": "networking.istio.io/v1"}, "kind": {"const": "VirtualService"},
        "metadata": _METADATA,
        "spec": {"type": "object", "required": ["hosts", "http"], "additionalProperties": False,
                 "properties": {
            "hosts": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
            "http": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["route"], "additionalProperties": False, "properties": {
                    "route": {"type": "array", "minItems": 1, "items": {
                        "type": "object", "required": ["destination"], "additionalProperties": False,
                        "properties": {"destination": _DESTINATION,
                                       "weight": {"type": "integer", "minimum": 0, "maximum": 100}}}}}}}}}}},
    "DestinationRule": {"type": "object", "required": ["apiVersion", "kind", "metadata", "spec"],
                        "additionalProperties": False, "properties": {
        "apiVersion": {"const": "networking.istio.io/v1"}, "kind": {"const": "DestinationRule"},
        "metadata": _METADATA,
        "spec": {"type": "object", "required": ["host"], "additionalProperties": False, "properties": {
            "host": {"type": "string", "minLength": 1},
            "subsets": {"type": "array", "items": {
                "type": "object", "required": ["name"], "additionalProperties": False,
                "properties": {"name": _DNS_LABEL, "labels": _LABELS}}}}}}},
}


def _check_istio(obj: Mapping[str, Any]) -> None:
    import jsonschema

    kind = str(obj["kind"])
    errors = sorted(jsonschema.Draft202012Validator(_ISTIO_SCHEMAS[kind]).iter_errors(dict(obj)),
                    key=lambda error: list(error.path))
    if errors:
        path = ".".join(str(part) for part in errors[0].path) or "(the object)"
        raise ConfigError(f"{_name(obj)} is not a valid Istio {kind}: {path}: {errors[0].message}",
                          "report it as a goship bug")
    if kind == "VirtualService":
        for number, http in enumerate(obj["spec"]["http"]):
            total = sum(int(route.get("weight", 0)) for route in http["route"])
            if len(http["route"]) > 1 and total != 100:
                raise ConfigError(f"{_name(obj)}: the weights of spec.http.{number}.route add up to "
                                  f"{total}, not 100", "report it as a goship bug")
    else:
        names = [subset["name"] for subset in obj["spec"].get("subsets", [])]
        if len(names) != len(set(names)):
            raise ConfigError(f"{_name(obj)}: two subsets share a name", "report it as a goship bug")


# ---------------------------------------------------------------------------------------
# The image standard on pod specs


def pod_specs(obj: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The pod spec of a workload (Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob)."""
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        return
    kind = obj.get("kind")
    if kind == "Pod":
        yield spec
    elif kind == "CronJob":
        job = spec.get("jobTemplate", {}).get("spec", {})
        template = job.get("template", {}).get("spec") if isinstance(job, Mapping) else None
        if isinstance(template, Mapping):
            yield template
    elif isinstance(spec.get("template"), Mapping) and isinstance(spec["template"].get("spec"), Mapping):
        yield spec["template"]["spec"]


def _effective(container: Mapping[str, Any], pod: Mapping[str, Any], key: str) -> Any:
    own = container.get("securityContext") or {}
    if key in own:
        return own[key]
    return (pod.get("securityContext") or {}).get(key)


def pod_problems(pod: Mapping[str, Any], where: str, *, allow_tag: bool = False) -> list[PodProblem]:
    """What in ``pod`` breaks the image standard; empty when nothing does."""
    problems: list[PodProblem] = []
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(flag):
            problems.append(PodProblem("host-namespaces", where, f"{flag} is true"))
    containers = [*pod.get("initContainers", ()), *pod.get("containers", ())]
    for container in containers:
        at = f"{where} container {container.get('name', '?')}"
        context = container.get("securityContext") or {}
        image = str(container.get("image", ""))
        if not allow_tag and not _DIGEST.search(image):
            problems.append(PodProblem("digest", at, f"image {image or '(none)'} is not pinned by digest"))
        if _effective(container, pod, "runAsNonRoot") is not True:
            problems.append(PodProblem("non-root", at, "runAsNonRoot is not true"))
        if _effective(container, pod, "runAsUser") == 0:
            problems.append(PodProblem("non-root", at, "runAsUser is 0 (root)"))
        if context.get("readOnlyRootFilesystem") is not True:
            problems.append(PodProblem("read-only-root", at, "readOnlyRootFilesystem is not true"))
        if context.get("allowPrivilegeEscalation") is not False:
            problems.append(PodProblem("no-privilege-escalation", at,
                                       "allowPrivilegeEscalation is not false"))
        if context.get("privileged"):
            problems.append(PodProblem("privileged", at, "privileged is true"))
        capabilities = context.get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or ()):
            problems.append(PodProblem("capabilities", at, "capabilities.drop does not list ALL"))
        added = sorted(set(capabilities.get("add") or ()) - {"NET_BIND_SERVICE"})
        if added:
            problems.append(PodProblem("capabilities", at, f"capabilities.add lists {', '.join(added)}"))
        seccomp = _effective(container, pod, "seccompProfile") or {}
        if seccomp.get("type") not in ("RuntimeDefault", "Localhost"):
            problems.append(PodProblem("seccomp", at, "no RuntimeDefault (or Localhost) seccomp profile"))
    return problems


def standard_problems(objects: Iterable[Mapping[str, Any]], *, allow_tag: bool = False) -> list[PodProblem]:
    return [problem for obj in objects for pod in pod_specs(obj)
            for problem in pod_problems(pod, _name(obj), allow_tag=allow_tag)]


def check_standard(objects: Iterable[Mapping[str, Any]], *, allow_tag: bool = False) -> None:
    """A PolicyError listing every problem, when there is one."""
    problems = standard_problems(objects, allow_tag=allow_tag)
    if problems:
        listed = "; ".join(f"{problem.where}: {problem.message}" for problem in problems)
        raise PolicyError(f"the pod spec breaks the image standard: {listed}",
                          "run as a non-root user with a read-only root file system, no privilege "
                          "escalation, capabilities dropped, seccomp RuntimeDefault, by digest")
