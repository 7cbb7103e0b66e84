"""Which image an environment runs, pinned by digest.

Without ``--image``, an environment's image is its moving tag in its repository, where
`goship release` and `goship promote` put it: the repository is the [[images]] entry's own,
else ``[environments.NAME] repository``, else the top-level ``repository`` (several images
share it as REPOSITORY/NAME, as `goship build --push` does); the tag is the environment's
first tag template without per-build placeholders (``latest-{env}`` -> ``latest-prod``), or,
without an environment, the first of ``tags`` (default ``latest``). goship does not keep a
local record of what it pushed: the registry is the record, so the tag is asked there for
the digest it names now, and the image's version label is read on the way.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import TYPE_CHECKING

from goship.errors import UsageError
from goship.oci.reference import Reference

if TYPE_CHECKING:
    from goship.config import Config, ImageSpec
    from goship.deploy.settings import DeploySettings
    from goship.release.copying import RegistryAPI


@dataclass(frozen=True)
class PinnedImage:
    reference: str  # REGISTRY/REPOSITORY[:TAG]@sha256:...
    version: str = ""  # the image's org.opencontainers.image.version label ("" if none)
    resolved_from: str = ""  # the tag reference asked for the digest; "" when given by digest


def _spec(config: Config, settings: DeploySettings) -> ImageSpec | None:
    for spec in config.images:
        if spec.name == settings.image:
            return spec
    return config.images[0] if config.images else None


def _pointer_tag(config: Config, environment: str) -> str:
    from goship.release.tagscheme import parse_template

    configured = config.release.environments.get(environment)
    templates = configured.tags if configured is not None else ()
    for template in templates:
        if set(parse_template(template).fields) <= {"env"}:
            return string.Formatter().vformat(template, (), {"env": environment})
    raise UsageError(
        f"environment '{environment}' has no moving tag to find its image by (its tags are "
        f"{', '.join(templates) or 'not set'})",
        "give the image with --image REF, or add a tag template like \"latest-{env}\" to "
        f"[environments.{environment}] tags (goship release and goship promote move it)")


def environment_reference(config: Config, settings: DeploySettings) -> Reference:
    """The tag reference of the image ``settings.environment`` runs (see the module doc)."""
    from goship.publish.registry import repository_for

    spec = _spec(config, settings)
    environment = config.release.environments.get(settings.environment) if settings.environment else None
    target = (spec.repository if spec else "") or (environment.repository if environment else "") \
        or config.repository or ""
    if not target:
        where = f"[environments.{settings.environment}]" if settings.environment else "goship.toml"
        raise UsageError(f"no repository is configured for {settings.name}, so its image cannot be "
                         "looked up", f"give the image with --image REF, or set repository in {where}")
    count = 1 if spec is None or spec.repository else len(config.images)
    repository = repository_for(target, spec.name if spec else settings.name, count)
    if repository.digest is not None:
        return repository
    tag = _pointer_tag(config, settings.environment) if settings.environment else \
        (repository.tag or (config.image_tags[0] if config.image_tags else "latest"))
    return repository.with_tag(tag)


def pin(client: RegistryAPI, reference: Reference) -> PinnedImage:
    """The digest ``reference`` names in its registry now, with the image's version label."""
    from goship.release.tags import image_facts

    raw, _media_type, digest = client.get_manifest(reference)
    facts = image_facts(client, reference, raw)
    pinned = reference.with_digest(digest)
    return PinnedImage(str(pinned), facts.version,
                       resolved_from=str(reference) if reference.digest is None else "")
