"""One environment's objects as a directory for Argo CD or Flux: one file per object,
``<kind>-<name>.yaml`` (``deployment-hello.yaml``), written by goship.deploy.output.files.

The ConfigMap's file drops the content hash from its name (``configmap-hello-config.yaml``):
a config change then shows as a change of one file, not as a file removed and another added.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from goship.deploy.output.documents import dump_object
from goship.deploy.output.files import FileContent, WriteResult, write_tree
from goship.deploy.render.configmap import config_hash


def file_name(obj: Mapping[str, Any]) -> str:
    kind = str(obj["kind"])
    name = str(obj["metadata"]["name"])
    if kind == "ConfigMap":
        suffix = "-" + config_hash(obj.get("data") or {})
        name = name.removesuffix(suffix)
    return f"{kind.lower()}-{name}.yaml"


def object_files(objects: Iterable[Mapping[str, Any]]) -> dict[str, FileContent]:
    files: dict[str, FileContent] = {}
    for obj in objects:
        name = file_name(obj)
        if name in files:
            raise ValueError(f"two objects would be written to {name}")
        files[name] = FileContent(dump_object(obj).encode("utf-8"))
    return files


def write_objects(directory: Path, objects: Iterable[Mapping[str, Any]]) -> WriteResult:
    return write_tree(directory, object_files(objects))
