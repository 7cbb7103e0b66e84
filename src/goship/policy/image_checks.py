"""The image rules that read only the config and the manifest: user, labels, tags, secrets in
the environment, platforms, size and health check.

Each check returns ``Problem`` values; ``image_rules`` gives them their rule's severity and
turns them into findings, so that the checks need not know about severities or settings
beyond their own parameters.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from goship.oci.platform import Platform
from goship.policy.inspected_image import InspectedImage
from goship.policy.interface import PolicySettings
from goship.policy.spdx import expression_problem

OCI = "org.opencontainers.image."
CREATED, VERSION, REVISION, SOURCE = f"{OCI}created", f"{OCI}version", f"{OCI}revision", f"{OCI}source"
LICENSES, URL, DOCUMENTATION = f"{OCI}licenses", f"{OCI}url", f"{OCI}documentation"


@dataclass(frozen=True)
class Problem:
    rule: str  # "GS601"
    message: str  # never holds a secret's value
    fix: str = ""
    whole_source: bool = False  # about the source (its tag, its platforms), not one platform


# --------------------------------------------------------------------- user (GS601)

_WINDOWS_ADMINS = ("containeradministrator", "administrator", "system")


def root_reason(user: str, *, windows: bool) -> str | None:
    """Why ``user`` (the config's User) runs the process with full privileges, or None."""
    if windows:
        name = user.strip().lower().rsplit("\\", 1)[-1]
        if not name:
            return "no User is set, so the process runs as ContainerAdministrator"
        return f"User '{user}' is an administrator account" if name in _WINDOWS_ADMINS else None
    name = user.partition(":")[0].strip()
    if not user.strip():
        return "no User is set, so the process runs as root"
    if not name:
        return f"User '{user}' names only a group, so the process runs as root"
    return f"User '{user}' is root" if name in ("0", "root") else None


def check_user(image: InspectedImage) -> Iterator[Problem]:
    reason = root_reason(image.user, windows=image.windows)
    if reason is not None:
        fix = ("set USER ContainerUser" if image.windows
               else "set USER 65532:65532 (goship build does), or another non-zero uid")
        yield Problem("GS601", reason, fix)


# --------------------------------------------------------------------- labels (GS602, GS603)

_NUMBER = r"(?:0|[1-9][0-9]*)"
_PRERELEASE_PART = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_SEMVER = re.compile(rf"^v?{_NUMBER}\.{_NUMBER}\.{_NUMBER}"
                     rf"(?:-{_PRERELEASE_PART}(?:\.{_PRERELEASE_PART})*)?"
                     r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$")
_REVISION = re.compile(r"^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$")
_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?"
                      r"(?:[Zz]|[+-](\d{2}):(\d{2}))$")
_URL_SCHEMES = ("https", "http", "git", "ssh", "git+ssh", "git+https")

_LABEL_FIXES = {
    CREATED: "goship build sets it from the commit time; elsewhere pass the build time in RFC 3339",
    VERSION: "tag the commit vX.Y.Z (goship build reads it), or set version in goship.toml",
    REVISION: "build from a git checkout (goship build records the commit)",
    SOURCE: "set source = \"https://...\" in goship.toml, or add a git remote named origin",
    LICENSES: "add labels = { \"org.opencontainers.image.licenses\" = \"Apache-2.0\" } in goship.toml",
}


def is_rfc3339(text: str) -> bool:
    match = _RFC3339.match(text)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    offset_hour, offset_minute = (int(part or 0) for part in match.groups()[6:])
    return (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1] and hour <= 23
            and minute <= 59 and second <= 60 and offset_hour <= 23 and offset_minute <= 59)


def is_semver(text: str) -> bool:
    """SemVer 2.0, with the leading ``v`` Go tags carry allowed."""
    return bool(_SEMVER.match(text))


def is_url(text: str) -> bool:
    if any(character.isspace() for character in text):
        return False
    parts = urlsplit(text)
    return parts.scheme.lower() in _URL_SCHEMES and bool(parts.hostname)


def label_value_problem(key: str, value: str) -> str | None:
    """Why the value of a standard OCI label is malformed, or None (also for other labels)."""
    if key == CREATED and not is_rfc3339(value):
        return "is not an RFC 3339 time (like 2024-10-01T12:00:00Z)"
    if key == REVISION and not _REVISION.match(value):
        return "is not a full commit id (40 or 64 hex digits)"
    if key == VERSION and not is_semver(value):
        return "is not a semantic version (like 1.2.3 or v1.2.3-rc.1)"
    if key in (SOURCE, URL, DOCUMENTATION) and not is_url(value):
        return "is not an http(s), git or ssh URL with a host"
    if key == LICENSES:
        reason = expression_problem(value)
        return f"is not an SPDX license expression: {reason}" if reason else None
    return None


def check_labels(image: InspectedImage, settings: PolicySettings) -> Iterator[Problem]:
    for key in settings.required_labels:
        value = image.metadata(key)
        if value is None or not value.strip():
            state = "lacks the label" if value is None else "has an empty label"
            yield Problem("GS602", f"{state} {key}", _LABEL_FIXES.get(key, f"set the label {key}"))
    for key in (CREATED, REVISION, VERSION, SOURCE, URL, DOCUMENTATION, LICENSES):
        value = image.metadata(key)
        if value:
            reason = label_value_problem(key, value)
            if reason is not None:
                shown = value if len(value) <= 80 else value[:77] + "..."
                yield Problem("GS603", f"label {key}={shown!r} {reason}", _LABEL_FIXES.get(key, ""))


# --------------------------------------------------------------------- tags (GS604, GS605)

_VERSION_LIKE = re.compile(r"^v?[0-9]")


_PRERELEASE_WORDS = ("alpha", "beta", "rc", "pre", "preview", "dev", "snapshot", "nightly")


def tag_matches_version(tag: str, version: str) -> bool:
    """``v1.2.3`` and ``1.2.3`` name version 1.2.3; so do the moving tags ``1.2`` and ``1``;
    a tag cannot hold ``+``, so build metadata is compared with ``_`` in its place. A tag
    that decorates the version with an environment or a commit (``1.2.3-prod-abc123d``,
    the scheme the release settings offer) names it too; a prerelease (``1.2.3-rc.1``) does not."""
    bare_tag, bare_version = tag.removeprefix("v"), version.removeprefix("v")
    if (bare_tag in (bare_version, bare_version.replace("+", "_"))
            or bare_version.startswith(bare_tag + ".")):
        return True
    decoration = bare_tag.removeprefix(bare_version.replace("+", "_") + "-")
    if decoration == bare_tag or not decoration or "+" in bare_version:
        return False
    first = re.split(r"[.\-_]", decoration, maxsplit=1)[0].lower()
    return not first.isdigit() and not first.startswith(_PRERELEASE_WORDS)


def check_tags(image: InspectedImage) -> Iterator[Problem]:
    version = image.metadata(VERSION)
    for tag in image.tags:
        if tag == "latest":
            yield Problem("GS605", "is tagged 'latest', which moves with every push",
                          "publish a version tag (v1.2.3) and deploy by it or by digest",
                          whole_source=True)
        elif version and is_semver(version) and _VERSION_LIKE.match(tag) and not tag_matches_version(
                tag, version):
            yield Problem("GS604", f"tag '{tag}' does not match the version label '{version}'",
                          "build from the tagged commit, or publish under the version the image "
                          "carries", whole_source=True)


# --------------------------------------------------------------------- environment (GS607)

_SECRET_NAME_PARTS = ("PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "APIKEY",
                      "PRIVATEKEY", "ACCESSKEY", "CREDENTIAL", "AUTHKEY", "SIGNINGKEY",
                      "ENCRYPTIONKEY", "MASTERKEY", "CLIENTKEY")
_SECRET_WORDS = ("PASS", "PWD", "PW")
# A variable that names where a secret is (a mounted file, a vault path) is the right way.
_REFERENCE_WORDS = ("FILE", "FILES", "PATH", "DIR", "URL", "URI", "NAME", "ID", "REF", "ENDPOINT",
                    "TYPE", "LENGTH", "TTL", "HEADER", "ALGORITHM", "EXPIRY", "PROVIDER", "MOUNT")
_SHELL_VARIABLES = ("PWD", "OLDPWD")
_SECRET_VALUES = (
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a PEM private key"),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{22,}"), "a GitHub token"),
    (re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"), "a GitLab token"),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), "a Google API key"),
    (re.compile(r"\b[rs]k_live_[0-9A-Za-z]{20,}"), "a Stripe live key"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), "a JSON web token"),
    (re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@"), "a URL with a password"),
)


def secret_name(key: str) -> bool:
    """Whether an environment variable's name says it holds a secret (``DB_PASSWORD``,
    ``apiKey``), and not where to find one (``DB_PASSWORD_FILE``)."""
    words = [word.upper() for word in re.split(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])", key) if word]
    if not words or key.upper() in _SHELL_VARIABLES or words[-1] in _REFERENCE_WORDS:
        return False
    joined = "".join(words)
    return any(part in joined for part in _SECRET_NAME_PARTS) or any(w in _SECRET_WORDS for w in words)


def secret_value(value: str) -> str | None:
    """What kind of secret ``value`` looks like (whatever its variable is called), or None."""
    for pattern, kind in _SECRET_VALUES:
        if pattern.search(value):
            return kind
    return None


def check_environment(image: InspectedImage) -> Iterator[Problem]:
    fix = "pass secrets at run time (a mounted file or the orchestrator's secrets), never in ENV"
    for key, value in image.env.items():
        kind = secret_value(value)
        if kind is not None:
            yield Problem("GS607", f"environment variable {key} holds what looks like {kind}", fix)
        elif value.strip() and secret_name(key):
            yield Problem("GS607", f"environment variable {key} is set to a value and its name says "
                          "it is a secret", fix)


# --------------------------------------------------------------------- platforms, size, health

def parse_platform(text: str) -> Platform | None:
    parts = text.strip().lower().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        return None
    return Platform(parts[0], parts[1], parts[2] if len(parts) == 3 else "")


def check_platforms(image: InspectedImage, settings: PolicySettings) -> Iterator[Problem]:
    offered = [str(platform) for platform in image.index_platforms]
    for text in settings.required_platforms:
        wanted = parse_platform(text)
        if wanted is None:
            yield Problem("GS615", f"required platform '{text}' is not os/arch[/variant]",
                          "fix required_platforms in the [policy] settings", whole_source=True)
        elif not any(have.matches(wanted) for have in image.index_platforms):
            yield Problem("GS615", f"has no {wanted} image (it has {', '.join(offered) or 'none'})",
                          f"build for it too: --platform {','.join([*offered, str(wanted)])}",
                          whole_source=True)


def human_size(size: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def check_size(image: InspectedImage, settings: PolicySettings) -> Iterator[Problem]:
    budget = settings.size_budget
    if budget is not None and image.compressed_size > budget:
        yield Problem("GS616", f"its layers are {human_size(image.compressed_size)} compressed, over "
                      f"the budget of {human_size(budget)}",
                      "use a smaller base, build with -trimpath -ldflags=-s -w, or drop files")


def check_healthcheck(image: InspectedImage) -> Iterator[Problem]:
    if image.healthcheck is None:
        yield Problem("GS617", "has no HEALTHCHECK",
                      "probe the service from the orchestrator (Kubernetes probes), or add one")


def config_problems(image: InspectedImage, settings: PolicySettings) -> list[Problem]:
    return [
        *check_user(image),
        *check_labels(image, settings),
        *check_tags(image),
        *check_environment(image),
        *check_platforms(image, settings),
        *check_size(image, settings),
        *check_healthcheck(image),
    ]
