"""From the Go binaries found in an image (or on disk) to the neutral ``Inventory`` every SBOM
format is written from.

What becomes a component:

- the image described (the platform image; for a document covering several platforms, the
  index, with one component per platform image), or the binary itself when the source is a
  file;
- each Go binary: named by its main module, hashed by its file's SHA-256, with the main
  package, the Go version and every build setting (GOOS, GOARCH, CGO_ENABLED, vcs.revision,
  vcs.time, vcs.modified, -ldflags, ...) as ``goship:build:<key>`` properties;
- each module the binary was built with, as built: a module replaced by another module
  appears as the replacement (path, version and h1: sum of the ``=>`` line) with the
  original path and version as properties; a module replaced by a directory keeps its own
  path, has no version and no hash, and names the directory in a property;
- the standard library, ``stdlib`` at the binary's Go version.

A module version used by several binaries (of one or of several platforms) is one
component, its ref the purl; each binary depends on it. Everything is sorted and the
document's identity and time are fixed, so the same image always gives the same document:
its serial is a UUIDv5 of the described digest, its time ``created`` when the caller gives
one (SOURCE_DATE_EPOCH), else the latest ``vcs.time`` of the binaries (the commit time that
goship's own images carry as their creation time), else the Unix epoch.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import PurePosixPath, PureWindowsPath

from packageurl import PackageURL

from goship.errors import UsageError
from goship.gobinary.moduleinfo import Module
from goship.gobinary.subject import LOCAL_IMAGE_PREFIXES, GoBinary, Subject
from goship.supply.sbom import identity
from goship.supply.sbom.interface import (
    MODULE_HASH_NOTE,
    Component,
    Format,
    Inventory,
    NoGoBinaryError,
    PlatformNotFoundError,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SERIAL_NAMESPACE = uuid.UUID("6f1f3c2e-5b0a-5d8e-9a51-0c7b2f4e8d13")
_BUILD = "goship:build:"


def inventory_of(subjects: Sequence[Subject], format: Format, *, tool_version: str,
                 created: datetime | None = None, whole_index: bool = False) -> Inventory:
    """One document's inventory: of one platform image or binary, or (``whole_index``) of
    the index the platform images ``subjects`` belong to."""
    if not subjects:
        raise ValueError("an inventory needs at least one subject")
    if len(subjects) > 1 and not whole_index:
        raise ValueError("several subjects make one document only as their index")
    builder = _Builder()
    if not whole_index and subjects[0].digest is None and len(subjects[0].binaries) == 1:
        root = builder.binary(subjects[0], subjects[0].binaries[0], root=True)
        identity_text = subjects[0].binaries[0].sha256
    elif not whole_index:
        root = builder.image(subjects[0], root=True)
        identity_text = subjects[0].digest or subjects[0].source
    else:
        root = _index_component(subjects)
        identity_text = subjects[0].index_digest or ",".join(str(item.digest) for item in subjects)
        for subject in subjects:
            builder.depend(root.ref, builder.image(subject).ref)
    properties = (("goship:module-hash", MODULE_HASH_NOTE),)
    components = tuple(sorted((item for ref, item in builder.components.items() if ref != root.ref),
                              key=lambda item: item.ref))
    dependencies = tuple((ref, tuple(sorted(targets)))
                         for ref, targets in sorted(builder.dependencies.items()))
    return Inventory(root=builder.components.get(root.ref, root), components=components,
                     dependencies=dependencies,
                     serial=uuid.uuid5(_SERIAL_NAMESPACE, f"{format}\n{identity_text}"),
                     created=document_time(subjects, created), tool_version=tool_version,
                     properties=properties)


def select_platform(subjects: Sequence[Subject], platform: str | None) -> list[Subject]:
    """The subject of ``platform`` ("linux/arm/v7"; "linux/arm64" also finds an image that
    says linux/arm64/v8), or all of them when None."""
    if platform is None:
        return list(subjects)
    chosen = [subject for subject in subjects if subject.platform == platform]
    if not chosen and platform.count("/") == 1:
        chosen = [subject for subject in subjects if subject.platform.startswith(platform + "/")]
    available = ", ".join(sorted({subject.platform for subject in subjects if subject.platform}))
    source = subjects[0].source if subjects else "the source"
    if len(chosen) == 1:
        return chosen
    if chosen:
        raise PlatformNotFoundError(f"{source} has several images for {platform}: "
                                    f"{', '.join(subject.platform for subject in chosen)}",
                                    "name the variant too, e.g. --platform linux/arm/v7")
    raise PlatformNotFoundError(f"{source} has no image for platform {platform} "
                                f"(it has: {available or 'none'})",
                                "pick one of the platforms listed, or leave out --platform")


def require_go_binaries(subjects: Sequence[Subject]) -> None:
    """Refuse a source in which nothing is a Go program, naming what was found instead."""
    if any(subject.binaries for subject in subjects):
        return
    source = subjects[0].source if subjects else "the source"
    skipped = [f"{item.path}: {item.reason}" for subject in subjects for item in subject.skipped]
    found = f" ({'; '.join(dict.fromkeys(skipped))})" if skipped else ""
    raise NoGoBinaryError(f"{source} holds no Go program with build information{found}",
                          "goship sbom reads the module list Go writes into every binary it "
                          "builds; point it at a Go program or an image that contains one")


def document_time(subjects: Iterable[Subject], created: datetime | None) -> datetime:
    if created is not None:
        return created.astimezone(UTC).replace(microsecond=0)
    times: list[datetime] = []
    for subject in subjects:
        for binary in subject.binaries:
            text = binary.info.setting("vcs.time") or ""
            with suppress(ValueError):
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
                if parsed.tzinfo is not None:
                    times.append(parsed.astimezone(UTC).replace(microsecond=0))
    return max(times, default=EPOCH)


def image_name(source: str) -> tuple[str, str]:
    """A stable name for the image ``source`` names, and its repository for a purl
    (``"127.0.0.1:5000/team/hello"`` twice for a registry reference; a layout or tarball
    is named by its file name, never the directory it happens to be in)."""
    text = source.removeprefix("docker://")
    for prefix in LOCAL_IMAGE_PREFIXES:
        if text.startswith(prefix):
            rest = text[len(prefix):].partition("@")[0]
            return PureWindowsPath(rest).name or PurePosixPath(rest).name or prefix.rstrip(":"), ""
    from goship.oci.reference import Reference

    try:
        reference = Reference.parse(text, default_tag="")
    except UsageError:
        return text, ""
    return reference.name, reference.name


class _Builder:
    """Components by ref (merged when two binaries name the same one) and dependency edges."""

    def __init__(self) -> None:
        self.components: dict[str, Component] = {}
        self.dependencies: dict[str, set[str]] = {}

    def add(self, component: Component) -> Component:
        known = self.components.get(component.ref)
        if known is not None:
            merged = tuple(sorted(set(known.properties) | set(component.properties)))
            component = Component(known.ref, known.kind, known.name, known.version, known.purl,
                                  known.sha256, known.module_hash, merged)
        self.components[component.ref] = component
        return component

    def depend(self, source: str, target: str) -> None:
        self.dependencies.setdefault(source, set()).add(target)

    def image(self, subject: Subject, *, root: bool = False) -> Component:
        name, repository = image_name(subject.source)
        digest = subject.digest or ""
        properties = [("goship:image:platform", subject.platform)] if subject.platform else []
        properties += [("goship:skipped", f"{item.path}: {item.reason}") for item in subject.skipped]
        purl = _oci_purl(repository, digest, subject.platform) if digest else ""
        component = self.add(Component(
            ref=f"image:{subject.platform}@{digest}" if digest else f"image:{subject.source}",
            kind="container", name=name, version=digest, purl=purl,
            sha256=digest.removeprefix("sha256:") if digest.startswith("sha256:") else "",
            properties=tuple(sorted(properties))))
        for binary in subject.binaries:
            self.depend(component.ref, self.binary(subject, binary).ref)
        if root:
            self.dependencies.setdefault(component.ref, set())
        return component

    def binary(self, subject: Subject, binary: GoBinary, *, root: bool = False) -> Component:
        info = binary.info
        main = info.main
        on_disk = subject.digest is None
        path = (PureWindowsPath(binary.path).name or binary.path) if on_disk else binary.path
        version = main.version if main is not None and main.version != identity.DEVEL else ""
        module_path = main.path if main is not None else ""
        properties = [("goship:binary:path", path), ("goship:go:version", info.go_version)]
        if info.path:
            properties.append(("goship:go:package", info.path))
        if main is not None and main.version:
            properties.append(("goship:module:version", main.version))
        properties += [(_BUILD + key, value) for key, value in info.settings]
        platform = subject.platform or binary.platform
        component = self.add(Component(
            ref=f"binary:{platform}:{path}" if platform else f"binary:{path}",
            kind="application", name=module_path or info.path or path, version=version,
            purl=identity.module_purl(module_path, version, identity.subpath_in(module_path, info.path))
            if module_path else "",
            sha256=binary.sha256, properties=tuple(sorted(set(properties)))))
        for module in info.deps:
            self.depend(component.ref, self.add(_module_component(module)).ref)
        stdlib_version, _ = identity.go_release(info.go_version)
        stdlib = self.add(Component(ref=identity.stdlib_purl(info.go_version), kind="library",
                                    name=identity.STDLIB, version=stdlib_version,
                                    purl=identity.stdlib_purl(info.go_version)))
        self.depend(component.ref, stdlib.ref)
        if root:
            self.dependencies.setdefault(component.ref, set())
        return component


def _module_component(module: Module) -> Component:
    built, original = identity.effective(module)
    properties: list[tuple[str, str]] = []
    if original is not None and identity.is_directory(built.path):
        purl = identity.module_purl(original.path)
        properties += [("goship:module:replacement-directory", built.path),
                       ("goship:module:required-version", original.version)]
        return Component(ref=f"{purl} => {built.path}", kind="library", name=original.path,
                         purl=purl, properties=tuple(sorted(properties)))
    if original is not None:
        properties += [("goship:module:replaced-path", original.path),
                       ("goship:module:replaced-version", original.version)]
    if built.sum:
        properties.append(("goship:module:h1", built.sum))
    purl = identity.module_purl(built.path, built.version)
    sha256 = identity.h1_sha256(built.sum)
    version = built.version if built.version != identity.DEVEL else ""
    return Component(ref=purl or f"module:{built.path}@{built.version}", kind="library",
                     name=built.path, version=version, purl=purl, sha256=sha256,
                     module_hash=bool(sha256), properties=tuple(sorted(properties)))


def _index_component(subjects: Sequence[Subject]) -> Component:
    first = subjects[0]
    name, repository = image_name(first.source)
    digest = first.index_digest or ""
    platforms = ",".join(sorted(subject.platform for subject in subjects))
    return Component(ref=f"index@{digest}" if digest else f"index:{first.source}", kind="container",
                     name=name, version=digest,
                     purl=_oci_purl(repository, digest, "") if digest else "",
                     sha256=digest.removeprefix("sha256:") if digest.startswith("sha256:") else "",
                     properties=(("goship:image:platforms", platforms),))


def _oci_purl(repository: str, digest: str, platform: str) -> str:
    """``pkg:oci/hello@sha256:...?arch=amd64&repository_url=127.0.0.1:5000/team/hello``
    (registry images only: a layout on disk has no repository to name)."""
    if not repository:
        return ""
    qualifiers = {"repository_url": repository}
    parts = platform.split("/")
    if len(parts) >= 2:
        qualifiers["arch"] = parts[1]
    return PackageURL(type="oci", name=repository.rsplit("/", 1)[-1].lower(), version=digest,
                      qualifiers=qualifiers).to_string()
