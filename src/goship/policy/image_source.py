"""Opening a built image for the image rules: an OCI layout, a tarball or a registry reference.

A source is written as the user typed it:

- ``oci:DIR``, ``oci:DIR:NAME``, ``oci:DIR@sha256:...``: an OCI image layout. Without a name
  every entry of ``index.json`` is checked; a name selects the entries whose
  ``org.opencontainers.image.ref.name`` is NAME (``hello:v1``) or ends in ``:NAME`` (``v1``).
- ``tarball:FILE`` (also ``docker-archive:`` and ``oci-archive:``), optionally ``:TAG``:
  what goship, ``docker save`` or an OCI archive wrote (read by ``goship.oci.tarball_read``).
- anything else, or ``docker://REF``: an image in a registry, read through goship's registry
  client with the TLS and credentials of a ``RegistryAccess``.

Every platform image of the source becomes one ``InspectedImage``: its config, annotations and
layers, the tag it was asked for (or published under) and the platforms of the index it is
part of. Its files are read only when a rule asks (``InspectedImage.files``), as a stream.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from goship.errors import ImageError, UsageError
from goship.oci import mediatypes
from goship.oci.blobstore import BlobSource, ForeignLayer, image_from_manifest
from goship.oci.digest import Digest
from goship.oci.image import Image
from goship.oci.layer import Layer, RemoteLayer
from goship.oci.layout import LayoutBlobs, read_layout, stored_manifest
from goship.oci.manifest import Descriptor, Index, media_type_of
from goship.oci.platform import Platform
from goship.oci.reference import Reference
from goship.oci.tarball_read import read_tarball_tagged
from goship.policy.inspected_image import InspectedImage, TreeCache, tag_of

if TYPE_CHECKING:
    from goship.config import Config
    from goship.registry.client import RegistryClient
    from goship.registry.credentials import Keychain
    from goship.registry.options import RegistryOptions

__all__ = ["InspectedImage", "RegistryAccess", "open_source", "tarball_path"]

LAYOUT_PREFIX = "oci:"
TARBALL_PREFIXES = ("tarball:", "docker-archive:", "oci-archive:")
REGISTRY_PREFIX = "docker://"
MAX_MANIFEST_SIZE = 4 << 20
_ATTESTATION = "attestation-manifest"  # BuildKit's provenance/SBOM entries of an index


@dataclass(frozen=True)
class RegistryAccess:
    """How to reach a registry when the source is a registry reference: TLS, insecure hosts,
    proxy and timeouts (``RegistryOptions``) and where credentials come from (a ``Keychain``).
    The default is anonymous access with certificate checks."""

    options: RegistryOptions | None = None
    keychain: Keychain | None = None

    @classmethod
    def from_config(cls, config: Config, source: str = "") -> RegistryAccess:
        """What ``goship build`` pushes with: insecure registries, CA file, proxy, the
        Docker/Podman credential files, and GOSHIP_REGISTRY_USERNAME/PASSWORD, which go only
        to the registry of ``repository`` and to the registry of ``source`` (the checked image)."""
        hosts: list[str] = []
        candidates = [config.repository or ""]
        if not source.startswith((LAYOUT_PREFIX, *TARBALL_PREFIXES)):
            candidates.append(source.removeprefix(REGISTRY_PREFIX))
        for text in candidates:
            with suppress(UsageError):
                if text:
                    hosts.append(Reference.parse(text, default_tag="").api_host)
        env = config.env
        return cls.from_settings(
            ca_file=config.ca_file, insecure=config.insecure_registries,
            username=config.registry_username, password=config.registry_password,
            credential_hosts=hosts, environment=env, proxy=config.proxy, no_proxy=config.no_proxy)

    @classmethod
    def from_settings(cls, *, ca_file: Path | None = None, insecure: Sequence[str] = (),
                      username: str | None = None, password: str | None = None,
                      credential_hosts: Sequence[str] = (),
                      environment: Mapping[str, str] | None = None, home: Path | None = None,
                      proxy: str | None = None, no_proxy: Sequence[str] = ()) -> RegistryAccess:
        """Access from plain settings. ``username``/``password`` are sent to the
        ``credential_hosts`` (to every registry when none are named); with an ``environment``
        (the variables the caller read), Docker's and Podman's credential files under ``home``
        are used too, as ``docker pull`` would."""
        from goship.registry.credentials import AnonymousKeychain, MultiKeychain, StaticKeychain
        from goship.registry.dockerconfig import DockerConfigKeychain
        from goship.registry.options import RegistryOptions

        keychains: list[Keychain] = []
        if username and password:
            keychains.append(StaticKeychain.from_username_password(username, password,
                                                                   tuple(credential_hosts)))
        if environment is not None:
            # As publish.destinations does: the HOME the caller read, else the account's home.
            home = home or (Path(environment["HOME"]) if environment.get("HOME") else Path.home())
            keychains.append(DockerConfigKeychain.from_environment(environment, home))
        options = RegistryOptions(insecure=tuple(insecure), ca_file=ca_file, proxy=proxy,
                                  no_proxy=tuple(no_proxy))
        return cls(options, MultiKeychain(*keychains) if keychains else AnonymousKeychain())

    def client(self) -> RegistryClient:
        from goship.registry.client import RegistryClient
        from goship.registry.credentials import AnonymousKeychain
        from goship.registry.options import RegistryOptions

        return RegistryClient(self.options or RegistryOptions(), self.keychain or AnonymousKeychain())


@contextmanager
def open_source(source: str, *, access: RegistryAccess | None = None) -> Iterator[list[InspectedImage]]:
    """The platform images of ``source``; a registry connection stays open inside the block
    (their layers are read from it when the rules ask)."""
    if source.startswith(LAYOUT_PREFIX):
        directory, selector = _split_local(source[len(LAYOUT_PREFIX):], want_dir=True)
        yield _from_layout(source, directory, selector)
        return
    tarball = _tarball_parts(source)
    if tarball is not None:
        yield _from_tarball(source, *tarball)
        return
    reference = _parse_reference(source)
    client = (access or RegistryAccess()).client()
    with client:
        yield _from_registry(source, reference, client)


def tarball_path(source: str) -> Path | None:
    """The file a ``tarball:``/``docker-archive:``/``oci-archive:`` source names; None for
    other sources."""
    parts = _tarball_parts(source)
    return parts[0] if parts is not None else None


def _tarball_parts(source: str) -> tuple[Path, str] | None:
    for prefix in TARBALL_PREFIXES:
        if source.startswith(prefix):
            return _split_local(source[len(prefix):], want_dir=False)
    return None


def _split_local(text: str, *, want_dir: bool) -> tuple[Path, str]:
    """``DIR:NAME`` -> (DIR, NAME). A path may hold colons itself, so the first prefix that
    names an existing directory (file) wins; ``@sha256:...`` at the end is a digest."""
    if not text:
        raise UsageError("no path after the source prefix",
                         "write oci:DIR[:NAME] or tarball:FILE[:TAG]")
    for algorithm in ("@sha256:", "@sha512:"):
        if algorithm in text:
            path, _, digest = text.rpartition("@")
            return Path(path), digest

    def fits(candidate: str) -> bool:
        path = Path(candidate)
        return path.is_dir() if want_dir else path.is_file()

    if fits(text):
        return Path(text), ""
    for position, character in enumerate(text):
        if character == ":" and position > 0 and fits(text[:position]):
            return Path(text[:position]), text[position + 1:]
    return Path(text), ""


def _parse_reference(source: str) -> Reference:
    text = source.removeprefix(REGISTRY_PREFIX)
    if text != source or not Path(text).exists():
        try:
            reference = Reference.parse(text, default_tag="")
        except UsageError as exc:
            raise UsageError(exc.message,
                             "give oci:DIR for an OCI layout, tarball:FILE for an image tarball, "
                             "or REGISTRY/REPOSITORY[:TAG] for an image in a registry") from exc
        if not reference.tag and reference.digest is None:
            reference = reference.with_tag("latest")
        return reference
    kind = "a directory" if Path(text).is_dir() else "a file"
    raise UsageError(f"'{source}' is {kind} here, not an image reference",
                     f"say what it holds: oci:{source} for an OCI layout, tarball:{source} for an "
                     f"image tarball, docker://{source} for an image in a registry")


# ------------------------------------------------------------------------ OCI layouts


def _from_layout(source: str, directory: Path, selector: str) -> list[InspectedImage]:
    if directory.is_file():
        raise UsageError(f"{directory} is a file, not an OCI layout directory",
                         f"for an image tarball write tarball:{directory}")
    entries = read_layout(directory)
    blobs = LayoutBlobs(directory)
    chosen: list[tuple[str, Descriptor]]
    if selector.startswith(("sha256:", "sha512:")):
        chosen = [(name, item) for name, item in entries if str(item.digest) == selector]
        if not chosen:
            chosen = [("", _blob_descriptor(directory, selector))]
    elif selector:
        chosen = [(name, item) for name, item in entries if name == selector]
        chosen = chosen or [(name, item) for name, item in entries if tag_of(name) == selector]
        if not chosen:
            names = sorted({name for name, _ in entries if name})
            raise ImageError(f"OCI layout {directory} has no image named '{selector}'",
                             f"names in this layout: {', '.join(names)}" if names
                             else "the layout is empty")
    else:
        chosen = entries
        if not chosen:
            raise ImageError(f"OCI layout {directory} holds no images",
                             "build into it first, e.g. goship build --oci-layout DIR")
    trees = TreeCache()
    images: list[InspectedImage] = []
    for name, descriptor in chosen:
        what = f"OCI layout {directory} entry '{name or descriptor.digest.short()}'"
        found, platforms = _expand(blobs, descriptor, what)
        # Asked for by digest, no tag was asked for; otherwise the entry's name carries one.
        by_digest = selector.startswith(("sha256:", "sha512:"))
        tags = (tag_of(name),) if tag_of(name) and not by_digest else ()
        index = _index_of(descriptor, found)
        for image, digest in found:
            images.append(InspectedImage.from_image(
                image, source=source, digest=digest, tags=tags, index_platforms=platforms,
                name=name if len(chosen) > 1 else "", trees=trees, index_digest=index))
    return images


def _index_of(descriptor: Descriptor, found: list[tuple[Image, Digest]]) -> Digest | None:
    """The descriptor's digest when it named an index of the images found, None when it named
    the (one) image's own manifest."""
    return None if any(digest == descriptor.digest for _, digest in found) else descriptor.digest


def _blob_descriptor(directory: Path, text: str) -> Descriptor:
    return stored_manifest(directory, Digest.parse(text))


def _expand(blobs: BlobSource, descriptor: Descriptor,
            what: str) -> tuple[list[tuple[Image, Digest]], tuple[Platform, ...]]:
    """The platform images a manifest or index descriptor leads to, with their manifest
    digests, and the platforms the index offers (attestation entries are not images)."""
    raw = blobs.read_bytes(descriptor)
    media_type = descriptor.media_type or media_type_of(raw)
    if mediatypes.is_manifest(media_type):
        image = image_from_manifest(blobs, raw)
        return [(image, descriptor.digest)], (image.platform,)
    if not mediatypes.is_index(media_type):
        raise ImageError(f"{what} is a '{media_type}', not an image",
                         "check an image manifest or an image index")
    found: list[tuple[Image, Digest]] = []
    for item in Index.from_bytes(raw).manifests:
        if item.annotation("vnd.docker.reference.type") == _ATTESTATION or (
                item.platform is not None and item.platform.os == "unknown"):
            continue
        if mediatypes.is_index(item.media_type):
            found.extend(_expand(blobs, item, what)[0])
        elif mediatypes.is_manifest(item.media_type):
            found.append((image_from_manifest(blobs, blobs.read_bytes(item)), item.digest))
    if not found:
        raise ImageError(f"{what} is an index without images", "check an index of images")
    return found, tuple(image.platform for image, _ in found)


# ------------------------------------------------------------------------ tarballs


def _from_tarball(source: str, path: Path, selector: str) -> list[InspectedImage]:
    if path.is_dir():
        raise UsageError(f"{path} is a directory, not an image tarball",
                         f"for an OCI layout directory write oci:{path}")
    tagged = [(image, tags) for image, tags in read_tarball_tagged(path)
              if image.platform.os != "unknown"]
    if selector:
        tagged = [(image, [selector] if str(image.digest) != selector else tags)
                  for image, tags in tagged
                  if str(image.digest) == selector or any(_names_tag(tag, selector) for tag in tags)]
        if not tagged:
            raise ImageError(f"tarball {path} holds no image tagged '{selector}'",
                             "list its tags with: tar -xOf FILE manifest.json")
    if not tagged:
        raise ImageError(f"tarball {path} holds no images", "write the images into it first")
    platforms = tuple(image.platform for image, _ in tagged)
    trees = TreeCache()
    return [
        InspectedImage.from_image(
            image, source=source, digest=image.digest,
            tags=tuple(dict.fromkeys(tag_of(tag) for tag in tags if tag_of(tag))),
            index_platforms=platforms, name=_short(tags[0]) if len(tagged) > 1 and tags else "",
            trees=trees)
        for image, tags in tagged
    ]


def _names_tag(tag: str, selector: str) -> bool:
    """Whether RepoTags entry ``docker.io/library/hello:v1`` is what ``hello:v1`` or ``v1``
    asks for."""
    return selector in (tag, _short(tag), tag_of(tag))


def _short(tag: str) -> str:
    return tag.removeprefix("docker.io/").removeprefix("library/")


# ------------------------------------------------------------------------ registries


class _RegistryBlobs:
    """The blobs of one repository as the model's BlobSource: manifests through the
    manifests endpoint, configs and layers through the blobs endpoint."""

    def __init__(self, client: RegistryClient, reference: Reference) -> None:
        self.client = client
        self.reference = reference
        self.known: dict[Digest, bytes] = {}

    def read_bytes(self, descriptor: Descriptor) -> bytes:
        if descriptor.digest in self.known:
            return self.known[descriptor.digest]
        if descriptor.media_type in mediatypes.ALL_MANIFESTS:
            raw, _, _ = self.client.get_manifest(self.reference.with_digest(descriptor.digest))
        else:
            if descriptor.size > MAX_MANIFEST_SIZE * 4:
                raise ImageError(f"{self.reference}: config {descriptor.digest.short()} is "
                                 f"{descriptor.size} bytes", "this is not an image config")
            with self.client.open_blob(self.reference, descriptor.digest) as stream:
                raw = stream.read()
        self.known[descriptor.digest] = raw
        return raw

    def layer(self, descriptor: Descriptor, diff_id: Digest) -> Layer:
        if descriptor.is_foreign:
            return ForeignLayer(descriptor, diff_id)
        return RemoteLayer(descriptor, diff_id, self.reference,
                           lambda digest: self.client.open_blob(self.reference, digest))


def _from_registry(source: str, reference: Reference, client: RegistryClient) -> list[InspectedImage]:
    raw, media_type, digest = client.get_manifest(reference)
    blobs = _RegistryBlobs(client, reference)
    blobs.known[digest] = raw
    descriptor = Descriptor(media_type, digest, len(raw))
    found, platforms = _expand(blobs, descriptor, f"image {reference}")
    tags = (reference.tag,) if reference.tag else ()
    trees = TreeCache()
    # Read once, then every platform image by its digest: the index and its images agree even
    # when the tag moves meanwhile.
    index = _index_of(descriptor, found)
    return [InspectedImage.from_image(image, source=source, digest=image_digest, tags=tags,
                                      index_platforms=platforms, trees=trees, index_digest=index)
            for image, image_digest in found]
