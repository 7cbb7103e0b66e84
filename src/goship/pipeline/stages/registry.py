"""The push and sign stages.

push publishes the images the build stage made, as `goship build --push` does (blobs, then
manifests, then tags; goship.publish), to the repository of the run's environment (or the
top-level `repository`) under the tags the plan rendered from the environment's tag scheme
(goship.release.tagscheme), or under `tags` of goship.toml when no environment is
configured. An immutable tag (release.immutable-tags) that already names another digest is
refused before a single blob is sent, as `goship release` refuses it.

When the run made SBOMs (the sbom stage), push also attaches them to each pushed index and
platform image, as `goship build --push --sbom` does (cosign's ``.sbom`` tag and an OCI 1.1
referrer): the SBOM describes the bytes just pushed, so it travels with the image from here
on (`goship promote` carries it).

sign then signs each pushed digest as `goship sign` does: a cosign signature lives in the
registry under the digest it signs (``sha256-<hex>.sig``), so it can only be made once the
image is there. The key was decrypted before the first stage ran, so a wrong password
stops the run before anything is pushed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime

from goship.config import Config
from goship.errors import ReleaseError
from goship.oci.digest import Digest
from goship.oci.reference import Reference
from goship.pipeline.interface import PushedImage, StageContext, StageOutcome
from goship.pipeline.stages.common import build_plan, plural
from goship.registry.client import RegistryClient


def push_config(context: StageContext) -> Config:
    """The Config whose only destination is the environment's repository (an [[images]]
    repository still wins, as in `goship build --push`)."""
    config = context.config
    environment = context.plan.environment
    repository = (environment.repository if environment is not None else "") or config.repository
    if not repository and all(spec.repository for spec in config.images):
        repository = config.images[0].repository  # each image goes to its own anyway
    return dataclasses.replace(config, repository=repository, oci_layout=None, tarball=None)


def _refuse_moves(context: StageContext, client: RegistryClient) -> None:
    from goship.release.tagscheme import immutable_moves, is_immutable

    patterns = context.config.release.immutable_tags
    digests = {item.spec.name: str(item.artifact.digest) for item in context.state.built}
    moves = []
    for target in context.plan.targets:
        existing: dict[str, str | None] = {}
        for tag in context.plan.tags:
            if is_immutable(tag, patterns):
                found = client.head_manifest(Reference.parse(f"{target.repository}:{tag}"))
                existing[tag] = str(found[1]) if found is not None else None
        moves += immutable_moves(target.repository, list(existing), ("*",), existing, digests[target.image])
    if moves:
        listed = "; ".join(f"{move.repository}:{move.tag} names {move.existing}, not {move.new}"
                           for move in moves)
        raise ReleaseError(f"immutable tags would move, so nothing was pushed: {listed}",
                           "a released tag keeps naming the same image: change the version, or the "
                           "environment's tags, or release.immutable-tags in goship.toml")


def run_push(context: StageContext) -> StageOutcome:
    from goship.publish.destinations import publishers_for, registry_client
    from goship.publish.interface import MultiPublisher

    config = push_config(context)
    tags = list(context.plan.tags)
    client = registry_client(config)
    try:
        _refuse_moves(context, client)
        publisher = MultiPublisher(publishers_for(config, tags, lambda: client))
        publisher.prepare()
        published = publisher.publish(context.state.built, context.log)
    finally:
        client.close()
    pushed: dict[str, PushedImage] = {}
    for item in published:
        if item.destination != "registry" or item.image in pushed:
            continue
        repository = Reference.parse(item.reference, default_tag="").with_tag("").name
        pushed[item.image] = PushedImage(item.image, repository, str(item.digest), tuple(tags))
    context.state.pushed = list(pushed.values())
    for image in context.state.pushed:
        context.log.step(f"pushed {image.reference} as {', '.join(image.tags)}")
    attached = _attach_sboms(context, config) if "sbom" in context.plan.stages else {}
    uploaded = sum(item.bytes_uploaded for item in published)
    return StageOutcome(_described(context.state.pushed) + f" ({_bytes(uploaded)} uploaded)",
                        {"images": [{"name": image.name, "repository": image.repository,
                                     "digest": image.digest, "tags": list(image.tags),
                                     "references": [f"{image.repository}:{tag}@{image.digest}"
                                                    for tag in image.tags],
                                     "sbom": attached.get(image.name, [])}
                                    for image in context.state.pushed]})


def _attach_sboms(context: StageContext, config: Config) -> dict[str, list[str]]:
    """Attach a CycloneDX SBOM to each pushed index and platform image; the ``.sbom`` tags
    written, per image."""
    from goship.pipeline.stages.supply import image_subjects
    from goship.publish.destinations import registry_client
    from goship.supply.sbom import attach_sbom, make_documents

    created = datetime.fromtimestamp(build_plan(context).epoch, tz=UTC)
    built = {item.spec.name: item for item in context.state.built}
    attached: dict[str, list[str]] = {}
    client = registry_client(config)
    try:
        for image in context.state.pushed:
            documents = make_documents(image_subjects(context, built[image.name]), "cyclonedx",
                                       tool_version=context.inputs.tool_version, created=created,
                                       per_platform=True)
            repository = Reference.parse(image.repository, default_tag="")
            for document in documents:
                assert document.subject_digest is not None  # an image, not a file
                result = attach_sbom(client, repository, Digest.parse(document.subject_digest),
                                     document.content, document.media_type)
                attached.setdefault(image.name, []).append(result.cosign_tag)
            context.log.step(f"attached the SBOM of {image.name} to {image.repository} "
                             f"({plural(len(documents), 'document')})")
    finally:
        client.close()
    return attached


def run_sign(context: StageContext) -> StageOutcome:
    from goship.publish.destinations import registry_client
    from goship.supply.signing.sign import sign_image

    key = context.inputs.signing_key
    if key is None:  # the plan checked [pipeline.sign] key; the CLI decrypts it before the run
        raise ValueError("the sign stage runs without a decrypted key")
    annotations = dict(context.config.pipeline.sign.annotations) or None
    signed = []
    client = registry_client(push_config(context))
    try:
        for image in context.state.pushed:
            result = sign_image(client, Reference.parse(image.repository, default_tag=""),
                                Digest.parse(image.digest), key, annotations)
            what = "signed" if result.added else "already signed (nothing pushed)"
            context.log.step(f"{what} {image.reference} with {result.key}: {result.tag}")
            signed.append({"name": image.name, "digest": image.digest, "signature_tag": result.tag,
                           "signature_manifest": str(result.signature_manifest), "added": result.added})
    finally:
        client.close()
    return StageOutcome(f"signed {_described(context.state.pushed)}", {"signatures": signed})


def _described(images: Sequence[PushedImage]) -> str:
    if len(images) == 1:
        return images[0].reference
    return plural(len(images), "image")


def _bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB"):
        if value < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"
