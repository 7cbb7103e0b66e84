"""A kustomize base with one overlay per environment, such that ``kubectl kustomize
overlays/ENV`` builds exactly the objects ``goship manifests --env ENV`` renders.

The base is ``[deploy]`` alone. The ConfigMap is a configMapGenerator (kustomize then names it
with the same content hash goship uses, and rewrites the Deployment's reference to it); an
overlay replaces the generator's literals with the environment's, sets its namespace, and
carries every other difference as an RFC 6902 JSON patch on the object it changes (made by
the jsonpatch library from the two renderings). Objects only the environment has are
resources of the overlay; objects only the base has are deleted by a strategic-merge patch.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from goship.deploy.output.documents import dump_object
from goship.deploy.output.files import FileContent
from goship.deploy.output.gitops import file_name
from goship.deploy.render import render_objects
from goship.deploy.render.configmap import configmap_base_name, configmap_name
from goship.deploy.settings import DeploySettings

KUSTOMIZATION = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}
_QUOTES = ("\"", "'")


@dataclass(frozen=True)
class Rendering:
    """What one environment renders from: its settings, its image and the app version."""

    settings: DeploySettings
    image: str
    version: str = ""
    allow_tag: bool = False

    def objects(self) -> list[dict[str, Any]]:
        return render_objects(self.settings, self.image, version=self.version, allow_tag=self.allow_tag)


def _literal(key: str, value: str) -> str:
    # kustomize strips one pair of matching quotes around a literal's value: add a pair when
    # the value itself starts and ends with the same quote.
    if value and value[0] == value[-1] and value[0] in _QUOTES:
        value = f"\"{value}\""
    return f"{key}={value}"


def _split(rendering: Rendering) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ConfigMap, and the other objects referring to it by its name before the hash."""
    settings = rendering.settings
    hashed, plain = configmap_name(settings), configmap_base_name(settings)
    configmap: dict[str, Any] = {}
    others = []
    for obj in rendering.objects():
        if obj["kind"] == "ConfigMap":
            configmap = obj
            continue
        obj = copy.deepcopy(obj)
        for container in obj.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            for source in container.get("envFrom", []):
                reference = source.get("configMapRef")
                if reference and reference.get("name") == hashed:
                    reference["name"] = plain
        others.append(obj)
    return configmap, others


def _generator(settings: DeploySettings, configmap: Mapping[str, Any], behavior: str = "") -> dict[str, Any]:
    generator: dict[str, Any] = {"name": configmap_base_name(settings)}
    if behavior:
        generator["behavior"] = behavior
    data = configmap.get("data") or {}
    if data:
        generator["literals"] = [_literal(key, value) for key, value in sorted(data.items())]
    generator["options"] = {"labels": dict(configmap["metadata"]["labels"])}
    return generator


def _identity(obj: Mapping[str, Any]) -> tuple[str, str, str]:
    return str(obj["apiVersion"]), str(obj["kind"]), str(obj["metadata"]["name"])


def _target(obj: Mapping[str, Any]) -> dict[str, str]:
    group, _, version = str(obj["apiVersion"]).rpartition("/")
    target = {"group": group} if group else {}
    target.update({"version": version, "kind": str(obj["kind"]), "name": str(obj["metadata"]["name"])})
    return target


def _yaml(value: Any) -> str:
    return dump_object(value) if isinstance(value, Mapping) else _dump_list(value)


def _dump_list(items: Sequence[Any]) -> str:
    import yaml

    from goship.deploy.output.documents import canonical

    return yaml.safe_dump([canonical(item) for item in items], sort_keys=False, default_flow_style=False,
                          allow_unicode=True, width=4096)


def _kustomization(body: Mapping[str, Any]) -> FileContent:
    return FileContent(_yaml({**KUSTOMIZATION, **body}).encode("utf-8"))


def _overlay(base: Rendering, base_others: Sequence[dict[str, Any]], environment: Rendering,
             prefix: str) -> dict[str, FileContent]:
    import jsonpatch

    configmap, others = _split(environment)
    for obj in others:  # the overlay's `namespace` sets it; compare everything else
        obj["metadata"]["namespace"] = base.settings.namespace
    before = {_identity(obj): obj for obj in base_others}
    after = {_identity(obj): obj for obj in others}
    files: dict[str, FileContent] = {}
    resources = ["../../base"]
    patches: list[dict[str, Any]] = []
    for identity, obj in after.items():
        if identity not in before:
            name = file_name(obj)
            files[f"{prefix}/{name}"] = FileContent(dump_object(obj).encode("utf-8"))
            resources.append(name)
            continue
        operations = jsonpatch.make_patch(before[identity], obj).patch
        if operations:
            patches.append({"target": _target(obj), "patch": _yaml(operations)})
    for identity, obj in before.items():
        if identity not in after:
            patches.append({"patch": _yaml({"$patch": "delete", "apiVersion": obj["apiVersion"],
                                            "kind": obj["kind"],
                                            "metadata": {"name": obj["metadata"]["name"]}})})
    body: dict[str, Any] = {"namespace": environment.settings.namespace, "resources": resources,
                            "configMapGenerator": [_generator(environment.settings, configmap, "replace")]}
    if patches:
        body["patches"] = patches
    files[f"{prefix}/kustomization.yaml"] = _kustomization(body)
    return files


def kustomize_files(base: Rendering, environments: Mapping[str, Rendering]) -> dict[str, FileContent]:
    """``base/`` and ``overlays/NAME/`` for every environment, as relative file names."""
    configmap, others = _split(base)
    files: dict[str, FileContent] = {}
    for obj in others:
        files[f"base/{file_name(obj)}"] = FileContent(dump_object(obj).encode("utf-8"))
    files["base/kustomization.yaml"] = _kustomization({
        "namespace": base.settings.namespace,
        "resources": [file_name(obj) for obj in others],
        "configMapGenerator": [_generator(base.settings, configmap)],
    })
    for name, rendering in environments.items():
        files.update(_overlay(base, others, rendering, f"overlays/{name}"))
    return files
