"""`goship release`: plan a release completely, then build, publish and record it.

Order of operations, chosen so that a failure at any step leaves the least to clean up:

1. ``plan_release`` (reads only): the history and the next version, a clean tree (untracked
   files count: Go stamps them into the binary as vcs.modified), the git tag is free, Go's
   /vN rule, the remote ``--push-tag`` pushes to exists, the environment for the branch,
   every image's repository and every rendered tag checked against the tag grammar, the
   changelog section.
2. ``look_up_tags`` (reads only): a HEAD in the registry for every immutable tag.
   ``--dry-run`` and ``--notes`` stop here.
3. Build (local only), then compare the built digests with the immutable tags found in 2:
   a move is refused before a single blob is sent (unless ``--force``); the caller's checks
   (the image standard, the vulnerability gate) run here too.
4. Push: blobs, manifests, then tags; then the caller's steps after publishing (SBOMs,
   signatures). A failure here leaves nothing in git; a re-run builds the same digests again
   (reproducible builds) and finishes the push.
5. Record in git, only once the images are out: the annotated tag on the commit that was
   built (so the tag, the image's revision label and the binary's vcs.revision name one
   commit), then the changelog section committed on top, then ``--push-tag``. The images
   exist before the tag, never a tag without its images.

A snapshot (``--snapshot``: develop and feature branches) publishes the tree's snapshot
version with the environment's tags and records nothing in git.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goship.config import Config
from goship.errors import GoshipError, ReleaseError, UsageError
from goship.oci.reference import Reference
from goship.progress import Reporter
from goship.release import gitrepo
from goship.release.settings import Environment
from goship.release.tagscheme import (
    TagContext,
    TagMove,
    immutable_moves,
    is_immutable,
    render_tags,
    select_environment,
)

if TYPE_CHECKING:
    from goship.image.project import BuiltImage
    from goship.publish.interface import Published
    from goship.publish.pipeline import AfterPublish
    from goship.registry.client import RegistryClient
    from goship.versioning.versions import VersionPlan

_SHOWN_PATHS = 5


@dataclass(frozen=True)
class ReleaseRequest:
    """What the command line asks for."""

    pre: str | None = None  # --pre rc: the next version is a numbered prerelease
    environment: str | None = None  # --env NAME instead of the branch's environment
    force: bool = False  # move immutable tags
    allow_dirty: bool = False
    snapshot: bool = False  # publish the snapshot version; no git tag, no changelog
    push_tag: bool = False
    remote: str = "origin"  # where --push-tag pushes the git tag
    today: date | None = None  # the changelog's release date (the CLI passes today, UTC)


@dataclass(frozen=True)
class ImageRelease:
    name: str
    repository: str  # registry/repository
    tags: tuple[str, ...]
    immutable: tuple[str, ...]  # the tags that match release.immutable-tags
    existing: Mapping[str, str | None] = field(default_factory=dict)  # immutable tag -> digest now
    lookup_error: str = ""  # why the registry could not be asked (dry runs only)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "repository": self.repository, "tags": list(self.tags),
                "immutable": list(self.immutable), "existing": dict(self.existing),
                "lookup_error": self.lookup_error or None}


@dataclass(frozen=True)
class ReleasePlan:
    version: str  # SemVer, without the tag prefix
    previous: str | None
    bump: str | None
    git_tag: str  # "" for a snapshot
    commit: str
    commit_time: int
    branch: str
    environment: Environment
    images: tuple[ImageRelease, ...]
    changelog: Path
    notes: str  # the changelog section
    snapshot: bool
    versions: VersionPlan
    push_remote: str = ""  # the git remote the tag is pushed to (--push-tag); "" for none

    def as_json(self) -> dict[str, Any]:
        return {"version": self.version, "previous": self.previous, "bump": self.bump,
                "git_tag": self.git_tag or None, "push_remote": self.push_remote or None,
                "commit": self.commit, "branch": self.branch or None,
                "environment": self.environment.name, "snapshot": self.snapshot,
                "changelog": {"path": str(self.changelog), "section": self.notes},
                "skipped_tags": [{"name": tag.name, "reason": tag.reason}
                                 for tag in self.versions.history.skipped_tags],
                "images": [image.as_json() for image in self.images]}


@dataclass(frozen=True)
class ReleaseResult:
    plan: ReleasePlan
    digests: Mapping[str, str]  # image name -> digest pushed
    published: tuple[Published, ...]
    moved: tuple[TagMove, ...] = ()  # immutable tags moved with --force
    tag_created: bool = False
    changelog_commit: str = ""
    tag_pushed: bool = False


def _changelog_section(config: Config, versions: VersionPlan, today: date) -> str:
    from goship.release.changelog import render_section

    return render_section(versions, date=today, sections=config.release.changelog_sections)


def _environment_and_snapshot(config: Config, request: ReleaseRequest) -> tuple[Environment, bool]:
    """The environment (named, else chosen by the branch) and whether this release is a
    snapshot: asked for with --snapshot, or the environment's ``snapshot = true``."""
    branch = gitrepo.current_branch(config.module_dir, config.env)
    environment = select_environment(config.release, branch, request.environment)
    return environment, request.snapshot or environment.snapshot


def _plan_versions(config: Config, request: ReleaseRequest) -> VersionPlan:
    from goship.versioning.commits import read_history
    from goship.versioning.versions import plan_version

    history = read_history(config.module_dir, config.release, env=config.env)
    versions = plan_version(history, config.release, pre=request.pre)
    if request.snapshot and request.pre is not None:
        raise UsageError("--snapshot and --pre cannot be combined",
                         "a snapshot is the tree's own dev version; --pre makes a prerelease")
    if request.snapshot and request.push_tag:
        raise UsageError("--snapshot and --push-tag cannot be combined",
                         "a snapshot creates no git tag; drop --push-tag")
    if not request.snapshot and not versions.releasable:
        at = f" at {versions.current_tag}" if versions.current_tag else ""
        raise ReleaseError(
            f"nothing to release{at}: no commit since it is a feat, fix, perf, revert or "
            "breaking change",
            "commit such a change first, use --pre LABEL for a prerelease, or --snapshot to "
            "publish this tree's snapshot version")
    return versions


def release_notes(config: Config, request: ReleaseRequest) -> tuple[str, str]:
    """The next version and its changelog section, and nothing else checked (``--notes``:
    the notes can be read on any branch, in any state of the tree)."""
    _, snapshot = _environment_and_snapshot(config, request)
    request = dataclasses.replace(request, snapshot=snapshot)
    versions = _plan_versions(config, request)
    if request.snapshot:
        return str(versions.snapshot), ""
    return str(versions.next), _changelog_section(config, versions, request.today or _today())


def plan_release(config: Config, request: ReleaseRequest) -> ReleasePlan:
    """Everything a release will do, worked out and checked; reads git, writes nothing."""
    from goship.release.gomodule import check_major_path

    settings = config.release
    env = config.env
    module_dir = config.module_dir
    environment, snapshot = _environment_and_snapshot(config, request)
    request = dataclasses.replace(request, snapshot=snapshot)
    versions = _plan_versions(config, request)
    version = versions.snapshot if snapshot else versions.next
    commit, commit_time = gitrepo.head_commit(module_dir, env)
    if not (request.allow_dirty or settings.allow_dirty):
        changed = gitrepo.changed_paths(module_dir, env)
        if changed:
            shown = ", ".join(changed[:_SHOWN_PATHS]) + (" ..." if len(changed) > _SHOWN_PATHS else "")
            raise ReleaseError(f"the work tree has changes that are not committed: {shown}",
                               "commit or stash them (a release is built from a commit), or "
                               "pass --allow-dirty / set release.allow-dirty")
    git_tag = ""
    if not snapshot:
        git_tag = versions.next_tag
        gitrepo.check_tag_name(module_dir, git_tag, env)
        if gitrepo.tag_exists(module_dir, git_tag, env):
            raise ReleaseError(f"the git tag {git_tag} exists already",
                               "a version is released once: commit a change for the next one, "
                               f"or delete the tag (git tag -d {git_tag}) if it was never published")
        check_major_path(module_dir, version)
        if request.push_tag:
            gitrepo.check_remote(module_dir, request.remote, env)
    branch = gitrepo.current_branch(module_dir, env)
    repository = environment.repository or config.repository or ""
    for spec in config.images:
        if not (spec.repository or repository):
            raise UsageError(f"a release publishes images, and no repository is configured for "
                             f"image '{spec.name}'",
                             f"set repository in goship.toml, or in [environments.{environment.name}]")
    context = TagContext(version=str(version), commit=commit, branch=branch, env=environment.name,
                         date=datetime.fromtimestamp(commit_time, tz=UTC))
    tags = render_tags(environment.templates_for(str(version)), context)
    immutable = tuple(tag for tag in tags if is_immutable(tag, settings.immutable_tags))
    # As `goship build --push`: an [[images]] repository wins; several images share one
    # repository as REPOSITORY/NAME.
    images = tuple(
        ImageRelease(name=spec.name, tags=tags, immutable=immutable,
                     repository=_repository_of(spec.repository or repository, spec.name,
                                               1 if spec.repository else len(config.images)))
        for spec in config.images)
    changelog = Path(settings.changelog)
    if not changelog.is_absolute():
        changelog = module_dir / changelog
    notes = "" if snapshot else _changelog_section(config, versions, request.today or _today())
    return ReleasePlan(version=str(version), previous=str(versions.current) if versions.current else None,
                       bump=versions.bump, git_tag=git_tag, commit=commit, commit_time=commit_time,
                       branch=branch, environment=environment, images=images, changelog=changelog,
                       notes=notes, snapshot=snapshot, versions=versions,
                       push_remote=request.remote if request.push_tag and not snapshot else "")


def _today() -> date:
    return datetime.now(tz=UTC).date()


def _repository_of(target: str, name: str, count: int) -> str:
    from goship.publish.registry import repository_for

    return repository_for(target, name, count).name


def release_config(config: Config, plan: ReleasePlan) -> Config:
    """The Config the release builds with: its version stamped into binaries and labels, and
    the environment's repository as the one pushed to (an [[images]] repository still wins)."""
    return dataclasses.replace(config, version=plan.version,
                               repository=plan.environment.repository or config.repository)


def look_up_tags(plan: ReleasePlan, client: RegistryClient, *, tolerate_errors: bool = False) -> ReleasePlan:
    """The plan with the digest each immutable tag names in the registry now (None: new).

    With ``tolerate_errors`` (a dry run) a registry that cannot be asked is noted per image
    instead of failing."""
    images = []
    for image in plan.images:
        existing: dict[str, str | None] = {}
        error = ""
        try:
            for tag in image.immutable:
                found = client.head_manifest(Reference.parse(f"{image.repository}:{tag}"))
                existing[tag] = str(found[1]) if found is not None else None
        except GoshipError as exc:
            if not tolerate_errors:
                raise
            error = exc.message
        images.append(dataclasses.replace(image, existing=existing, lookup_error=error))
    return dataclasses.replace(plan, images=tuple(images))


def _check_moves(plan: ReleasePlan, built: list[BuiltImage], *, force: bool,
                 reporter: Reporter) -> tuple[TagMove, ...]:
    by_name = {image.name: image for image in plan.images}
    moves: list[TagMove] = []
    for item in built:
        image = by_name[item.spec.name]
        # image.immutable holds only the tags the patterns matched: every one of them counts.
        moves += immutable_moves(image.repository, image.immutable, ("*",), image.existing,
                                 str(item.artifact.digest))
    if moves and not force:
        listed = "; ".join(f"{move.repository}:{move.tag} names {move.existing}, not {move.new}"
                           for move in moves)
        raise ReleaseError(f"immutable tags would move, so nothing was pushed: {listed}",
                           "a released tag must keep naming the same image: release a new version, "
                           "or pass --force if moving it is really meant")
    for move in moves:
        reporter.step(f"moving immutable tag {move.repository}:{move.tag} from {move.existing} (--force)")
    return tuple(moves)


def run_release(
    config: Config,
    plan: ReleasePlan,
    request: ReleaseRequest,
    *,
    client: RegistryClient,
    reporter: Reporter,
    before_publish: Callable[[Config, list[BuiltImage], list[str]], None] | None = None,
    after_publish: AfterPublish | None = None,
) -> ReleaseResult:
    """Build and publish the planned images, then tag and write the changelog (steps 3-5 of
    the module's docstring). ``before_publish`` gets the images before anything is pushed
    (the CLI checks the image standard and the vulnerability gate there); ``after_publish``
    what was pushed, before anything is recorded in git (the CLI attaches SBOMs and signs)."""
    from goship.publish.pipeline import build_and_publish

    release = release_config(config, plan)
    tags = list(plan.images[0].tags) if plan.images else []
    moved: list[TagMove] = []

    def check(built: list[BuiltImage]) -> None:
        moved.extend(_check_moves(plan, built, force=request.force, reporter=reporter))
        if before_publish is not None:
            before_publish(release, built, tags)

    reporter.step(f"building {plan.version} for {plan.environment.name}")
    # No layer streaming: until the immutable tags are checked, not a byte goes to the registry.
    result = build_and_publish(release, tags, reporter=reporter, before_publish=check,
                               after_publish=after_publish, registry=lambda: client,
                               stream_layers=False)
    digests = {item.spec.name: str(item.artifact.digest) for item in result.built}
    outcome = ReleaseResult(plan, digests, result.published, tuple(moved))
    if plan.snapshot:
        return outcome
    return _record(config, plan, request, outcome, reporter)


def _record(config: Config, plan: ReleasePlan, request: ReleaseRequest, outcome: ReleaseResult,
            reporter: Reporter) -> ReleaseResult:
    """Step 5: the images are out; now the tag, the changelog commit, the tag push."""
    from goship.release.changelog import update_changelog

    env = config.env
    directory = config.module_dir
    pushed = "the images are pushed"
    reporter.step(f"tagging {plan.commit[:7]} as {plan.git_tag}")
    try:
        gitrepo.create_annotated_tag(directory, plan.git_tag, plan.commit,
                                     f"Release {plan.git_tag}\n\n{plan.notes.strip()}\n", env)
    except ReleaseError as exc:
        raise ReleaseError(f"{pushed}, but {exc.message}",
                           f"{exc.hint}; then run goship release again (it pushes nothing new)") from None
    outcome = dataclasses.replace(outcome, tag_created=True)
    reporter.step(f"writing the {plan.version} section of {plan.changelog.name}")
    try:
        update_changelog(plan.changelog, plan.notes, plan.version)
        commit = gitrepo.commit_file(directory, plan.changelog,
                                     f"chore(release): {plan.git_tag}\n", env)
    except (GoshipError, OSError) as exc:
        message = exc.message if isinstance(exc, GoshipError) else str(exc)
        raise ReleaseError(f"{pushed} and {plan.git_tag} is tagged, but the changelog was not "
                           f"committed: {message}",
                           f"add the section to {plan.changelog.name} and commit it by hand; "
                           f"it is the tag's message: git tag -l --format='%(contents)' {plan.git_tag}"
                           ) from None
    outcome = dataclasses.replace(outcome, changelog_commit=commit)
    if request.push_tag:
        reporter.step(f"pushing {plan.git_tag} to {request.remote}")
        gitrepo.push_tag(directory, plan.git_tag, env, request.remote)
        outcome = dataclasses.replace(outcome, tag_pushed=True)
    return outcome
