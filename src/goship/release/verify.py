"""Consistency checks of a released image: do the tag, the labels, git and the binary agree?

``goship verify REF --version V`` answers "is this really V?" from every source of truth at
once:

==================  ===============================================================
resolve             the reference names a manifest (its digest is reported)
digest              that digest is the one expected (``--digest``)
version-label       ``org.opencontainers.image.version`` is V (a leading "v" aside)
version-tag         the tag names V too: as a version itself (``v1.2.3``), or through an
                    environment tag template holding ``{version}`` (``1.2.3-prod-abc1234``)
revision-git        ``org.opencontainers.image.revision`` is the commit git tag <prefix>V
                    names in the local repository
binary-revision     the Go build information of the entrypoint binary records the same
                    commit (``vcs.revision``), for every platform
binary-go-version   ... and the Go version the image's ``dev.goship.go.version`` label names
binary-platform     ... and GOOS/GOARCH of the platform it is listed under
==================  ===============================================================

What cannot be checked here (no git repository, no tag in it, a tag that names no version)
is a skip with the reason, not a failure: a skip says nothing about the image. What the
image lacks (no revision label, a binary without build information) is a failure, since a
release is expected to carry it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from goship.errors import GoshipError, ImageError
from goship.gobinary.buildinfo import BuildInfo, read_build_info
from goship.oci.digest import Digest
from goship.oci.reference import Reference
from goship.policy.image_source import InspectedImage, RegistryAccess, open_source
from goship.release.entrypoint import open_program
from goship.release.settings import ReleaseSettings
from goship.release.tags import REVISION_LABEL, VERSION_LABEL, versions_in_tag
from goship.release.versions import semver_of

GO_VERSION_LABEL = "dev.goship.go.version"
Status = Literal["pass", "fail", "skip"]


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    platform: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "status": self.status, "detail": self.detail,
                "platform": self.platform or None}


@dataclass(frozen=True)
class Verification:
    reference: Reference
    version: str
    digest: Digest | None
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if check.status == "fail")

    def to_json(self) -> dict[str, Any]:
        return {"reference": str(self.reference), "version": self.version,
                "digest": str(self.digest) if self.digest else None, "ok": self.ok,
                "checks": [check.to_json() for check in self.checks]}


def bare(version: str) -> str:
    return version[1:] if version[:1] in ("v", "V") and version[1:2].isdigit() else version


def git_commit_of_tag(module_dir: Path, tag: str, environ: Mapping[str, str]) -> tuple[str | None, str]:
    """(the commit ``tag`` names, None and why not) in the git repository at ``module_dir``."""
    from goship.release.gitrepo import git

    try:
        inside = git(module_dir, ["rev-parse", "--is-inside-work-tree"], environ)
        if inside.code != 0:
            return None, f"{module_dir} is not in a git repository"
        found = git(module_dir, ["rev-parse", "-q", "--verify", f"refs/tags/{tag}^{{commit}}"], environ)
    except GoshipError as exc:
        return None, exc.message
    if found.code != 0 or not found.stdout:
        return None, f"the git repository at {module_dir} has no tag {tag}"
    return found.stdout, ""


def verify_release(reference: Reference, version: str, *, access: RegistryAccess,
                   settings: ReleaseSettings, expected_digest: Digest | None = None,
                   module_dir: Path | None = None,
                   environ: Mapping[str, str] | None = None) -> Verification:
    """Run every check on the image ``reference`` names (see the module docstring)."""
    version = bare(version)
    checks: list[Check] = []
    with access.client() as client:
        try:
            _, _, digest = client.get_manifest(reference)
        except ImageError as exc:  # no such tag: a finding; an unreachable registry is an error
            checks.append(Check("resolve", "fail", exc.message))
            return Verification(reference, version, None, tuple(checks))
    checks.append(Check("resolve", "pass", f"{reference} names {digest}"))
    if expected_digest is not None:
        checks.append(Check("digest", "pass" if expected_digest == digest else "fail",
                            f"expected {expected_digest}, found {digest}"))
    pinned = reference.with_tag("").with_digest(digest)
    with open_source(str(pinned), access=access) as images:
        labels = _agreed_label(images, VERSION_LABEL)
        checks.append(_version_label(labels, version))
        if reference.tag:
            checks.append(_version_tag(reference.tag, version, settings))
        revisions = _agreed_label(images, REVISION_LABEL)
        revision = revisions[0] if len(revisions) == 1 else ""
        git_commit = None
        if module_dir is not None:
            tag = f"{settings.tag_prefix}{version}"
            git_commit, why = git_commit_of_tag(module_dir, tag, environ or {})
            checks.append(_revision_git(revisions, git_commit, tag, why))
        for image in images:
            checks += _binary_checks(image, revision or git_commit or "")
    return Verification(reference, version, digest, tuple(checks))


def _agreed_label(images: Sequence[InspectedImage], key: str) -> list[str]:
    """The values the platforms give the label (one when they agree; "" when absent)."""
    return list(dict.fromkeys(image.metadata(key) or "" for image in images))


def _version_label(values: list[str], version: str) -> Check:
    if len(values) > 1:
        return Check("version-label", "fail", f"the platforms disagree on {VERSION_LABEL}: "
                     + ", ".join(value or "(none)" for value in values))
    value = values[0] if values else ""
    if not value:
        return Check("version-label", "fail", f"the image has no {VERSION_LABEL} label")
    status: Status = "pass" if bare(value) == version else "fail"
    return Check("version-label", status, f"{VERSION_LABEL} is {value}, expected {version}")


def _version_tag(tag: str, version: str, settings: ReleaseSettings) -> Check:
    # A template names the version more surely than the tag's shape: 1.2.3-prod-abc1234 is
    # valid SemVer too, but "{version}-{env}-{short_commit}" says the version is 1.2.3.
    found = versions_in_tag(tag, settings)
    plain = semver_of(tag)
    if not found and plain is not None:
        found = [str(plain)]
    if not found:
        return Check("version-tag", "skip", f"tag {tag} names no version")
    if version in found:
        return Check("version-tag", "pass", f"tag {tag} names {version}")
    return Check("version-tag", "fail", f"tag {tag} names {' or '.join(found)}, not {version}")


def _revision_git(revisions: list[str], commit: str | None, tag: str, why: str) -> Check:
    if commit is None:
        return Check("revision-git", "skip", why)
    if len(revisions) > 1:
        return Check("revision-git", "fail", f"the platforms disagree on {REVISION_LABEL}: "
                     + ", ".join(value or "(none)" for value in revisions))
    label = revisions[0] if revisions else ""
    if not label:
        return Check("revision-git", "fail", f"the image has no {REVISION_LABEL} label; git tag "
                     f"{tag} is {commit[:12]}")
    status: Status = "pass" if label == commit else "fail"
    return Check("revision-git", status, f"{REVISION_LABEL} is {label[:12]}, git tag {tag} is {commit[:12]}")


def _binary_checks(image: InspectedImage, revision: str) -> list[Check]:
    platform = str(image.platform)
    try:
        with open_program(image) as (entry, stream):
            info = read_build_info(stream, f"{entry.path} in {image.source} ({platform})")
    except ImageError as exc:  # what the image holds; a registry that fails is an error
        return [Check("buildinfo", "fail", exc.message, platform)]
    return [_binary_revision(info, revision, platform), _binary_go(info, image, platform),
            _binary_platform(info, image, platform)]


def _binary_revision(info: BuildInfo, revision: str, platform: str) -> Check:
    recorded = info.vcs_revision
    if not recorded:
        return Check("binary-revision", "fail", "the binary records no vcs.revision (built outside "
                     "git, or with -buildvcs=false)", platform)
    if not revision:
        return Check("binary-revision", "fail", f"the binary records {recorded[:12]}, and neither "
                     f"the image ({REVISION_LABEL}) nor git says which commit to expect", platform)
    modified = " (built from a modified tree)" if info.vcs_modified else ""
    status: Status = "pass" if recorded == revision else "fail"
    return Check("binary-revision", status,
                 f"vcs.revision is {recorded[:12]}{modified}, expected {revision[:12]}", platform)


def _binary_go(info: BuildInfo, image: InspectedImage, platform: str) -> Check:
    built_with = info.go_version.split()[0] if info.go_version else ""
    label = image.metadata(GO_VERSION_LABEL) or ""
    if not label:
        return Check("binary-go-version", "skip", f"built with {built_with}; the image has no "
                     f"{GO_VERSION_LABEL} label to compare with", platform)
    status: Status = "pass" if label.removeprefix("go") == built_with.removeprefix("go") else "fail"
    return Check("binary-go-version", status, f"built with {built_with}, {GO_VERSION_LABEL} is {label}",
                 platform)


def _binary_platform(info: BuildInfo, image: InspectedImage, platform: str) -> Check:
    goos, goarch = info.setting("GOOS"), info.setting("GOARCH")
    if not goos or not goarch:
        return Check("binary-platform", "skip", "the binary records no GOOS/GOARCH", platform)
    expected = (image.platform.os, image.platform.architecture)
    status: Status = "pass" if (goos, goarch) == expected else "fail"
    return Check("binary-platform", status, f"built for {goos}/{goarch}", platform)
