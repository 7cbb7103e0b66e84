"""GS1xx: FROM and build stages - where images come from and how they are pinned."""

from __future__ import annotations

import re
from collections.abc import Iterator
from fnmatch import fnmatchcase

from goship.policy.dockerfile import Instruction, Stage
from goship.policy.dockerfile_rules import images
from goship.policy.dockerfile_rules.context import Check, LintContext, rule
from goship.policy.interface import Finding, Severity

_GO_VERSION_TAG = re.compile(r"(?:^|[^0-9.])1\.[0-9]+")

ORDER = rule(
    "GS101", Severity.ERROR, "only ARG may come before the first FROM",
    """A Dockerfile starts with FROM; only ARG (to parameterise FROM) may come before it, and a
    file without FROM builds nothing. Docker refuses anything else there. Move the instruction
    into a stage, after its FROM.""",
    ("DL3061",),
)
UNTAGGED = rule(
    "GS102", Severity.ERROR, "image has no tag",
    """An image named without a tag or digest (`FROM ubuntu`, `COPY --from=org/tool`) means
    `:latest`: whatever was pushed last, different from one build to the next. Name a version
    tag, and preferably its digest too: `FROM alpine:3.20@sha256:...`.""",
    ("DL3006",),
)
LATEST = rule(
    "GS103", Severity.ERROR, "image uses the latest tag",
    """`latest` moves whenever a new image is pushed, so the same Dockerfile builds different
    images on different days and a rollback does not give back what ran before. Use a version
    tag (`alpine:3.20`), and preferably its digest too.""",
    ("DL3007",),
)
NO_DIGEST = rule(
    "GS104", Severity.INFO, "image is not pinned by digest",
    """A tag can be pushed again with different content; only a digest names exactly one
    image. Pinning `FROM alpine:3.20@sha256:...` makes the build reproducible and shows base
    updates as reviewed changes (a bot such as Renovate can keep digests current). Keep the tag
    next to the digest for readers.""",
)
REGISTRY = rule(
    "GS105", Severity.ERROR, "image from a registry that is not allowed",
    """The policy (`allowed_registries`) lists the registries images may come from, usually a
    mirror that is scanned and always reachable. Pull the image through one of them, e.g.
    `FROM registry.example.com/mirror/alpine:3.20`.""",
    ("DL3026",),
)
RUNTIME_BASE = rule(
    "GS106", Severity.ERROR, "final stage is not on an approved runtime base",
    """The image that ships is built on its final stage, which must start from an approved
    minimal runtime base (policy `allowed_bases`; by default scratch, distroless, alpine, UBI,
    and Windows nanoserver or servercore LTSC). Build in an earlier stage and copy only the
    binary into, e.g., `FROM gcr.io/distroless/static-debian12:nonroot`.""",
)
DUPLICATE_STAGE = rule(
    "GS107", Severity.ERROR, "two stages share a name",
    """Stage names (`FROM ... AS name`) must be unique, or `COPY --from=name` and `--target`
    cannot say which stage they mean. Rename one of them.""",
    ("DL3024",),
)
COPY_FROM = rule(
    "GS108", Severity.ERROR, "COPY --from names no earlier stage",
    """`COPY --from=name` copies from an earlier stage. A name that is no stage is pulled as an
    image instead (usually a typo that fails late or, worse, pulls an unrelated image), and a
    stage cannot copy from itself or from a later stage. Name an earlier stage, or write a full
    image reference with a tag.""",
    ("DL3022", "DL3023"),
)
PLATFORM = rule(
    "GS109", Severity.WARNING, "FROM --platform names a fixed platform",
    """goship builds every platform the policy asks for; a stage pinned to one platform
    (`--platform=linux/amd64`) gives an arm64 image an amd64 binary or base. Leave --platform
    out, or use `--platform=$BUILDPLATFORM` on the builder stage to cross-compile natively.""",
    ("DL3029",),
)
GO_VERSION = rule(
    "GS110", Severity.WARNING, "builder image does not pin a Go version",
    """A builder tag without a Go version (`golang:alpine`, `golang:1`) changes Go release under
    the build, and with it the compiler, the standard library and the binary. Name the Go
    release in the tag, `golang:1.22.5-alpine` or at least `golang:1.22-alpine`, and match the
    `go` line of go.mod.""",
)
UNRESOLVED = rule(
    "GS111", Severity.WARNING, "base image cannot be resolved",
    """The image of a FROM depends on an ARG with no value (no default and no build argument),
    or is not a valid reference once ARGs are expanded, so the build fails. Give the ARG a
    default before the first FROM (`ARG GO_VERSION=1.22`), pass `--build-arg`, or fix the
    reference. ARGs that FROM uses must be declared before the first FROM.""",
)


def check_order(context: LintContext) -> Iterator[Finding]:
    dockerfile = context.dockerfile
    for instruction in dockerfile.preamble:
        if instruction.keyword != "ARG":
            yield context.finding(ORDER, instruction.start_line,
                                  f"{instruction.keyword} comes before the first FROM",
                                  "move it after FROM")
    if not dockerfile.stages and dockerfile.instructions:
        yield context.finding(ORDER, dockerfile.instructions[0].start_line,
                              "the file has no FROM, so there is nothing to build")


def _external_images(context: LintContext) -> Iterator[tuple[int, str, images.ImageName]]:
    """(line, what, image) for every image pulled: FROM bases and ``COPY --from=image``."""
    dockerfile = context.dockerfile
    for stage in dockerfile.stages:
        if stage.parent is None and not stage.is_scratch and stage.resolved.resolved:
            image = images.parse_image(stage.image)
            if image is not None:
                yield stage.line, f"FROM {stage.image}", image
        for instruction in stage.having("COPY", "ADD"):
            source = instruction.flag("from")
            if source and "$" not in source and _looks_like_image(source) \
                    and dockerfile.stage_named(source) is None:
                image = images.parse_image(source)
                if image is not None:
                    yield instruction.start_line, f"COPY --from={source}", image


def _looks_like_image(name: str) -> bool:
    return any(mark in name for mark in "/:@.")


def check_untagged(context: LintContext) -> Iterator[Finding]:
    for line, what, image in _external_images(context):
        if not image.tag and not image.digest:
            yield context.finding(UNTAGGED, line, f"{what} has no tag, so it means :latest",
                                  f"name a version: {image.written}:<version>")


def check_latest(context: LintContext) -> Iterator[Finding]:
    for line, what, image in _external_images(context):
        if image.is_latest and not image.digest:
            yield context.finding(LATEST, line, f"{what} uses the latest tag",
                                  "name a version tag instead of latest")


def check_digest(context: LintContext) -> Iterator[Finding]:
    for line, what, image in _external_images(context):
        if image.tag and not image.digest and not image.is_latest:
            yield context.finding(NO_DIGEST, line, f"{what} is not pinned by digest",
                                  f"write {image.written}@sha256:<digest>")


def check_registry(context: LintContext) -> Iterator[Finding]:
    allowed = context.settings.allowed_registries
    if not allowed:
        return
    for line, what, image in _external_images(context):
        if not any(fnmatchcase(image.registry, pattern) for pattern in allowed):
            yield context.finding(REGISTRY, line,
                                  f"{what} comes from {image.registry}, which the policy does not "
                                  f"allow (allowed: {', '.join(allowed)})")


def check_runtime_base(context: LintContext) -> Iterator[Finding]:
    final = context.dockerfile.final_stage
    if final is None:
        return
    root = context.dockerfile.root(final)
    allowed = context.settings.allowed_bases
    via = f" (through {final.label()} built on {root.label()})" if root is not final else ""
    if root.is_scratch:
        if not any(fnmatchcase("scratch", pattern) for pattern in allowed):
            yield context.finding(RUNTIME_BASE, final.line,
                                  f"the final stage starts from scratch{via}, which the policy "
                                  "does not allow")
        return
    image = context.image(final)
    if image is None or context.is_builder(final):
        return  # unresolvable (GS111) or a Go toolchain image (GS205 says more)
    if not images.matches(image, allowed):
        yield context.finding(RUNTIME_BASE, final.line,
                              f"the final stage starts from {image.written}{via}, which is not an "
                              "approved runtime base",
                              f"approved: {', '.join(allowed)}")


def check_duplicate_names(context: LintContext) -> Iterator[Finding]:
    seen: dict[str, Stage] = {}
    for stage in context.dockerfile.stages:
        if stage.name is None:
            continue
        first = seen.setdefault(stage.name, stage)
        if first is not stage:
            yield context.finding(DUPLICATE_STAGE, stage.line,
                                  f"stage name '{stage.name}' is already used on line {first.line}")


def check_copy_from(context: LintContext) -> Iterator[Finding]:
    dockerfile = context.dockerfile
    for stage in dockerfile.stages:
        for instruction in stage.having("COPY", "ADD"):
            source = instruction.flag("from")
            if not source or "$" in source:
                continue
            message = _copy_from_problem(context, stage, instruction, source)
            if message:
                yield context.finding(COPY_FROM, instruction.start_line, message)


def _copy_from_problem(context: LintContext, stage: Stage, instruction: Instruction,
                       source: str) -> str:
    named = context.dockerfile.stage_named(source)
    if named is None:
        if source.isdigit():
            return f"COPY --from={source}: there is no stage {source} (stages count from 0)"
        if _looks_like_image(source):
            return ""
        return (f"COPY --from={source}: no stage is called '{source}', so Docker would pull an "
                f"image named {source}")
    if named.index == stage.index:
        return f"COPY --from={source} copies from the stage it is in"
    if named.index > stage.index:
        return f"COPY --from={source} names a stage defined later, on line {named.line}"
    return ""


def check_platform(context: LintContext) -> Iterator[Finding]:
    for stage in context.dockerfile.stages:
        if stage.platform and "$" not in stage.platform:
            yield context.finding(PLATFORM, stage.line,
                                  f"FROM --platform={stage.platform} fixes {stage.label()} to one "
                                  "platform", "remove --platform, or use --platform=$BUILDPLATFORM")


def check_go_version(context: LintContext) -> Iterator[Finding]:
    for stage in context.dockerfile.stages:
        if stage.parent is not None or not context.is_builder(stage):
            continue
        image = context.image(stage)
        if image and image.tag and not image.digest and not image.is_latest \
                and not _GO_VERSION_TAG.search(image.tag):
            yield context.finding(GO_VERSION, stage.line,
                                  f"FROM {image.written}: the tag names no Go release",
                                  f"use {image.short_repository}:1.<minor>[.<patch>]...")


def check_unresolved(context: LintContext) -> Iterator[Finding]:
    dockerfile = context.dockerfile
    declared_in_stages = {variable for stage in dockerfile.stages
                          for instruction in stage.having("ARG")
                          for variable in (word.partition("=")[0] for word in instruction.arguments)}
    for stage in dockerfile.stages:
        if not stage.base:
            continue
        if stage.resolved.missing:
            names = ", ".join(stage.resolved.missing)
            late = [name for name in stage.resolved.missing if name in declared_in_stages]
            hint = ("ARGs that FROM uses must be declared before the first FROM" if late
                    else f"give it a default (ARG {stage.resolved.missing[0]}=...) or pass "
                         "--build-arg")
            yield context.finding(UNRESOLVED, stage.line,
                                  f"FROM {stage.base} uses {names}, which has no value here", hint)
        elif stage.resolved.resolved and stage.parent is None and not stage.is_scratch \
                and images.parse_image(stage.image) is None:
            yield context.finding(UNRESOLVED, stage.line,
                                  f"FROM {stage.image} is not a valid image reference",
                                  "write [registry/]repository:tag[@sha256:digest] in lower case")


CHECKS = (
    Check(ORDER, check_order),
    Check(UNTAGGED, check_untagged),
    Check(LATEST, check_latest),
    Check(NO_DIGEST, check_digest),
    Check(REGISTRY, check_registry),
    Check(RUNTIME_BASE, check_runtime_base),
    Check(DUPLICATE_STAGE, check_duplicate_names),
    Check(COPY_FROM, check_copy_from),
    Check(PLATFORM, check_platform),
    Check(GO_VERSION, check_go_version),
    Check(UNRESOLVED, check_unresolved),
)
