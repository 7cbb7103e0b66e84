"""What the tags of a repository name: digest, creation time, version, revision, environment.

``list_tags`` reads every tag (the registry's pagination followed), the manifest each names
and, for images, one image config (the first platform's: every platform of a goship index
carries the same labels). Tags naming the same digest share one read. A tag whose manifest
cannot be read is reported with the reason, not raised: one broken tag should not hide the
others.

A tag belongs to an environment when it fits one of the environment's tag templates
(``latest-{env}``, ``{version}``) and the environment's repository is this one (or the
environment names no repository of its own); failing a template, an environment whose
repository is this one claims it. A template without per-build placeholders (only ``{env}``,
or none) makes a pointer: a tag that moves from release to release (``latest-prod``).
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from goship.errors import GoshipError, ImageError
from goship.oci import mediatypes
from goship.oci.digest import Digest
from goship.oci.reference import Reference
from goship.release.copying import RegistryAPI, parse_json
from goship.release.referrers import COSIGN_SUFFIXES
from goship.release.settings import Environment, ReleaseSettings

VERSION_LABEL = "org.opencontainers.image.version"
REVISION_LABEL = "org.opencontainers.image.revision"
CREATED_LABEL = "org.opencontainers.image.created"
MAX_CONFIG = 16 << 20
_EPOCH_ZERO = ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000000000Z")
_ATTACHMENT = re.compile(r"^(sha256|sha512)-([0-9a-f]{64}|[0-9a-f]{128})(\.sig|\.att|\.sbom)?$")
# What each placeholder can render to (goship.release.tagscheme renders them).
_PLACEHOLDER_PATTERNS = {
    "version": r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:_[0-9A-Za-z.-]+)?",
    "major": r"\d+", "minor": r"\d+", "patch": r"\d+",
    "prerelease": r"[0-9A-Za-z.-]*", "build": r"[0-9A-Za-z.-]*",
    "commit": r"[0-9a-f]{40}", "short_commit": r"[0-9a-f]{7}",
    "branch": r"[A-Za-z0-9_][A-Za-z0-9_.-]*", "date": r"[0-9A-Za-z_.-]+",
}
POINTER_PLACEHOLDERS = frozenset({"env"})


@dataclass(frozen=True)
class ImageFacts:
    """What an image's config says about it."""

    created: str = ""  # RFC 3339, as recorded
    labels: Mapping[str, str] = field(default_factory=dict)
    platforms: tuple[str, ...] = ()

    @property
    def version(self) -> str:
        return self.labels.get(VERSION_LABEL, "")

    @property
    def revision(self) -> str:
        return self.labels.get(REVISION_LABEL, "")


@dataclass(frozen=True)
class TagInfo:
    tag: str
    digest: Digest | None = None
    media_type: str = ""
    created: str = ""
    version: str = ""
    revision: str = ""
    platforms: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()  # the environments whose scheme the tag fits
    pointer: bool = False  # an environment's moving tag (latest-prod)
    attachment: str = ""  # signature, attestation, sbom or referrers (of the digest in the tag)
    error: str = ""  # why the tag could not be read

    def to_json(self) -> dict[str, Any]:
        return {"tag": self.tag, "digest": str(self.digest) if self.digest else None,
                "media_type": self.media_type, "created": self.created or None,
                "version": self.version or None, "revision": self.revision or None,
                "platforms": list(self.platforms), "environments": list(self.environments),
                "pointer": self.pointer, "attachment": self.attachment or None,
                "error": self.error or None}


def template_pattern(template: str, environment: str) -> re.Pattern[str]:
    """A regular expression matching what ``template`` renders to in ``environment``; the
    first ``{version}`` is the group named "version"."""
    parts: list[str] = []
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if name == "env":
            parts.append(re.escape(environment))
        elif name is not None:
            group = "?P<version>" if name == "version" and "?P<version>" not in "".join(parts) else "?:"
            parts.append(f"({group}{_PLACEHOLDER_PATTERNS.get(name, r'[A-Za-z0-9_.-]+')})")
    return re.compile("".join(parts))


def versions_in_tag(tag: str, settings: ReleaseSettings) -> list[str]:
    """The versions ``tag`` names through the most specific ``{version}`` templates it fits."""
    found = [match.group("version").replace("_", "+", 1)
             for _, _, match in _fitting(tag, settings) if match.groupdict().get("version")]
    return list(dict.fromkeys(found))


def is_pointer(template: str) -> bool:
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    return names <= POINTER_PLACEHOLDERS


def same_repository(configured: str, repository: Reference) -> bool:
    try:
        return Reference.parse(configured, default_tag="").name == repository.name
    except GoshipError:
        return False


def _specificity(template: str, environment: str) -> int:
    """How much of what ``template`` renders is fixed text: "{version}-rc" says more than
    "{version}" about a tag both fit."""
    return sum(len(literal) + (len(environment) if name == "env" else 0)
               for literal, name, _, _ in string.Formatter().parse(template))


def _fitting(tag: str, settings: ReleaseSettings,
             allowed: Callable[[Environment], bool] = lambda _: True) -> list[tuple[str, str, re.Match[str]]]:
    """(environment, template, match) of the most specific templates ``tag`` fits."""
    found: list[tuple[int, str, str, re.Match[str]]] = []
    for name, environment in settings.environments.items():
        if not allowed(environment):
            continue
        for template in environment.all_templates:
            match = template_pattern(template, environment.name or name).fullmatch(tag)
            if match is not None:
                found.append((_specificity(template, environment.name or name), name, template, match))
    best = max((score for score, *_ in found), default=0)
    return [(name, template, match) for score, name, template, match in found if score == best]


def environments_of(tag: str, repository: Reference, settings: ReleaseSettings,
                    default_repository: str = "") -> tuple[tuple[str, ...], bool]:
    """The environments ``tag`` belongs to, and whether it is a pointer of one of them."""
    def here(environment: Environment) -> bool | None:
        configured = environment.repository or default_repository
        return same_repository(configured, repository) if configured else None

    fitting = _fitting(tag, settings, lambda environment: here(environment) is not False)
    if fitting:
        names = tuple(dict.fromkeys(name for name, _, _ in fitting))
        return names, any(is_pointer(template) for _, template, _ in fitting)
    return tuple(name for name, environment in settings.environments.items() if here(environment)), False


def attachment_of(tag: str) -> str:
    match = _ATTACHMENT.match(tag)
    if match is None:
        return ""
    return COSIGN_SUFFIXES.get(match.group(3) or "", "referrers")


def read_config(client: RegistryAPI, repository: Reference, digest: Digest, size: int) -> dict[str, Any]:
    if size > MAX_CONFIG:
        raise ImageError(f"{repository.name}: config {digest.short()} is {size} bytes",
                         "this is not an image config")
    with client.open_blob(repository, digest) as stream:
        raw = stream.read(MAX_CONFIG + 1)
    return parse_json(raw, f"config {digest.short()} of {repository.name}")


def image_facts(client: RegistryAPI, repository: Reference, raw: bytes,
                known: Mapping[Digest, bytes] | None = None) -> ImageFacts:
    """Creation time, labels and platforms of the image or index ``raw`` (read from
    ``repository``, as are manifests not in ``known``); empty facts for an artifact that is
    no image (a signature)."""
    data = parse_json(raw, f"a manifest of {repository.name}")
    platforms: list[str] = []
    if isinstance(data.get("manifests"), list):
        first: dict[str, Any] | None = None
        for item in data["manifests"]:
            platform = item.get("platform") if isinstance(item, dict) else None
            if not isinstance(platform, dict) or platform.get("os") == "unknown":
                continue  # attestation entries of BuildKit indexes
            platforms.append(_platform_text(platform))
            if first is None and item.get("mediaType") in mediatypes.MANIFESTS:
                first = item
        if first is None:
            return ImageFacts(platforms=tuple(platforms))
        child_digest = Digest.parse(str(first["digest"]))
        child = (known or {}).get(child_digest) \
            or client.get_manifest(repository.with_digest(child_digest))[0]
        data = parse_json(child, f"a manifest of {repository.name}")
    config = data.get("config")
    if not isinstance(config, dict) or config.get("mediaType") not in (
            mediatypes.OCI_CONFIG, mediatypes.DOCKER_CONFIG):
        return ImageFacts(platforms=tuple(platforms))
    body = read_config(client, repository, Digest.parse(str(config["digest"])), int(config.get("size", 0)))
    runtime = body.get("config")
    raw_labels = runtime.get("Labels") if isinstance(runtime, dict) else None
    labels = ({str(key): str(value) for key, value in raw_labels.items()}
              if isinstance(raw_labels, dict) else {})
    if not platforms and body.get("os"):
        platforms.append(_platform_text(body))
    created = str(body.get("created") or "")
    if not created or created in _EPOCH_ZERO:
        # Reproducible builds may write the epoch as `created`; the label is then the truth.
        created = labels.get(CREATED_LABEL) or created
    return ImageFacts(created, labels, tuple(platforms))


def _platform_text(data: Mapping[str, Any]) -> str:
    return "/".join(str(data[key]) for key in ("os", "architecture", "variant") if data.get(key))


def list_tags(client: RegistryAPI, repository: Reference, settings: ReleaseSettings, *,
              default_repository: str = "", parallel: int = 8,
              page_size: int | None = None) -> list[TagInfo]:
    """Every tag of ``repository`` with what it names, newest first (by creation time),
    then by name; tags whose manifest has no creation time come last."""
    repository = repository.with_tag("")
    names = client.list_tags(repository, page_size)
    facts: dict[Digest, ImageFacts] = {}

    def describe(tag: str) -> TagInfo:
        environments, pointer = environments_of(tag, repository, settings, default_repository)
        attachment = attachment_of(tag)
        try:
            raw, media_type, digest = client.get_manifest(repository.with_tag(tag))
            if attachment:
                found = ImageFacts()
            elif digest not in facts:
                found = facts[digest] = image_facts(client, repository, raw)
            else:
                found = facts[digest]
        except GoshipError as exc:
            return TagInfo(tag, environments=environments, pointer=pointer, attachment=attachment,
                           error=exc.message)
        return TagInfo(tag, digest, media_type, found.created, found.version, found.revision,
                       found.platforms, () if attachment else environments,
                       pointer and not attachment, attachment)

    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(names) or 1))) as pool:
        infos = list(pool.map(describe, names))
    return sort_newest_first(infos)


def sort_newest_first(infos: Sequence[TagInfo]) -> list[TagInfo]:
    by_name = sorted(infos, key=lambda info: info.tag)
    return sorted(by_name, key=lambda info: -(parse_time(info.created) or _NEVER).timestamp())


def parse_time(text: str) -> datetime | None:
    """An RFC 3339 time as images record it (Go writes up to 9 fractional digits)."""
    if not text:
        return None
    text = _FRACTION.sub(lambda match: match.group(0)[:7], text.strip()).replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_FRACTION = re.compile(r"\.\d+")
_NEVER = datetime(1, 1, 2, tzinfo=UTC)
