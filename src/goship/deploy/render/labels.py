"""The labels and annotations every rendered object carries, and the selectors built on them.

Selectors use only the labels that never change for a Deployment (name and instance, and the
slot of a blue-green or canary Deployment): a selector cannot be changed after creation, so
the version, the environment and the user's own labels stay out of it.
"""

from __future__ import annotations

import re

from goship import __version__
from goship.deploy.settings import DeploySettings
from goship.errors import UsageError
from goship.oci.reference import Reference

NAME = "app.kubernetes.io/name"
INSTANCE = "app.kubernetes.io/instance"
VERSION = "app.kubernetes.io/version"
MANAGED_BY = "app.kubernetes.io/managed-by"
ENVIRONMENT = "env"
SLOT = "goship.dev/slot"  # blue/green, or stable/canary
IMAGE_DIGEST = "goship.dev/image-digest"
GOSHIP_VERSION = "goship.dev/goship-version"
SECRET_CHECKSUM = "goship.dev/secret-checksum"  # noqa: S105 - an annotation key
MANAGER = "goship"

_LABEL_VALUE_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_VERSION_TAG = re.compile(r"^v?\d+(\.\d+)*([-+_.][0-9A-Za-z.-]+)?$")


def instance(settings: DeploySettings) -> str:
    return f"{settings.name}-{settings.environment}" if settings.environment else settings.name


def label_value(text: str) -> str:
    """``text`` as a label value: unsafe characters become '_' ('+' of a SemVer build too), at
    most 63 characters, starting and ending with a letter or digit ("" when nothing is left)."""
    cleaned = _LABEL_VALUE_UNSAFE.sub("_", text)[:63]
    return cleaned.strip("._-")


def selector(settings: DeploySettings, slot: str | None = None) -> dict[str, str]:
    labels = {NAME: settings.name, INSTANCE: instance(settings)}
    if slot:
        labels[SLOT] = slot
    return labels


def labels(settings: DeploySettings, version: str = "", slot: str | None = None) -> dict[str, str]:
    """Every label of an object: the user's, then goship's (which win)."""
    result = dict(settings.labels)
    result.update(selector(settings, slot))
    result[MANAGED_BY] = MANAGER
    if version and label_value(version):
        result[VERSION] = label_value(version)
    if settings.environment:
        result[ENVIRONMENT] = settings.environment
    return dict(sorted(result.items()))


def metadata(settings: DeploySettings, name: str, version: str = "",
             slot: str | None = None) -> dict[str, object]:
    return {"name": name, "namespace": settings.namespace, "labels": labels(settings, version, slot)}


def parse_image(image: str, *, allow_tag: bool = False) -> Reference:
    """The image reference; a UsageError for a reference without a digest unless ``allow_tag``."""
    reference = Reference.parse(image, default_tag="")
    if reference.digest is None and not allow_tag:
        raise UsageError(f"the image {image} is not pinned by digest",
                         "deploy images by digest (REPOSITORY@sha256:...): a tag can move between "
                         "rendering and pulling")
    return reference


def version_from(reference: Reference) -> str:
    """The version a reference's tag names (``v1.2.3``, ``1.2.3-rc.1``), else ""."""
    return reference.tag if reference.tag and _VERSION_TAG.match(reference.tag) else ""


def goship_version() -> str:
    return __version__
