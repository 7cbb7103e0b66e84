"""`goship prune` against a real distribution registry (deletes enabled): exactly the kept tags
remain, kept manifests stay whole, a tag sharing a kept manifest goes alone, an interrupted
prune resumes, and every run leaves an audit record. Checked through the registry's own API.

Images are tiny and quick to push: a few config blobs (one per age) and many distinct
manifests over them, made distinct by an annotation.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.conftest import Goship
from tests.fixtures.registry import RunningRegistry
from tests.fixtures.samples import keychain_of

from goship.oci import mediatypes
from goship.oci.canonical import canonical_json
from goship.oci.digest import Digest
from goship.oci.manifest import Descriptor, Index, Manifest
from goship.oci.platform import Platform
from goship.oci.reference import Reference
from goship.registry import AnonymousKeychain, RegistryClient, RegistryOptions
from goship.release.inventory import RegistryRepository, throwaway_manifest
from goship.release.prune import Outcome, PruneOptions, PruneResult, prune_repository
from goship.release.settings import RetentionPolicy
from goship.timestamps import rfc3339

pytestmark = pytest.mark.integration

DAY = 86_400
NOW = time.time()


class Seeder:
    """Pushes small images into one repository."""

    def __init__(self, client: RegistryClient, repository: Reference) -> None:
        self.client = client
        self.repository = repository
        self.configs: dict[float, Descriptor] = {}
        self.count = 0

    def config(self, created: float) -> Descriptor:
        if created not in self.configs:
            raw = canonical_json({"architecture": "amd64", "os": "linux", "created": rfc3339(int(created)),
                                  "rootfs": {"type": "layers", "diff_ids": []}, "config": {}})
            digest = Digest.of_bytes(raw)
            self.client.upload_blob(self.repository, digest, len(raw), lambda: io.BytesIO(raw))
            self.configs[created] = Descriptor(mediatypes.OCI_CONFIG, digest, len(raw))
        return self.configs[created]

    def image(self, *tags: str, age: float = 30 * DAY) -> Descriptor:
        """A new manifest pushed under every tag given (by digest when none is)."""
        self.count += 1
        manifest = Manifest(config=self.config(NOW - age), layers=(),
                            annotations=(("seed", f"{self.repository.repository}-{self.count}"),))
        return self._put(manifest.to_bytes(), mediatypes.OCI_MANIFEST, tags)

    def index(self, *tags: str, children: tuple[Descriptor, ...]) -> Descriptor:
        platformed = tuple(child.with_platform(Platform("linux", arch))
                           for child, arch in zip(children, ("amd64", "arm64", "s390x"), strict=False))
        return self._put(Index(platformed).to_bytes(), mediatypes.OCI_INDEX, tags)

    def tag(self, tag: str, target: Descriptor) -> None:
        raw, media_type, _ = self.client.get_manifest(self.repository.with_digest(target.digest))
        self.client.put_manifest(self.repository.with_tag(tag), raw, media_type)

    def _put(self, raw: bytes, media_type: str, tags: tuple[str, ...]) -> Descriptor:
        digest = Digest.of_bytes(raw)
        for tag in tags or ("",):
            target = self.repository.with_tag(tag) if tag else self.repository.with_digest(digest)
            self.client.put_manifest(target, raw, media_type)
        return Descriptor(media_type, digest, len(raw))


@pytest.fixture
def client() -> Iterator[RegistryClient]:
    with RegistryClient(RegistryOptions(retries=1, backoff=0.01), AnonymousKeychain()) as made:
        yield made


def repository_for(registry: RunningRegistry, request: pytest.FixtureRequest) -> Reference:
    name = request.node.name.lower().replace("_", "-")[:60].strip("-")
    return Reference(registry.host, f"prune/{name}")


_HTTP = httpx.Client(timeout=30)  # the checks' own connection, apart from goship's client
ACCEPT = ", ".join(mediatypes.ALL_MANIFESTS)


def tags_now(registry: RunningRegistry, repository: Reference) -> dict[str, str]:
    """tag -> digest, straight from the registry's HTTP API."""
    base = f"{registry.url}/v2/{repository.repository}"
    listed = _HTTP.get(f"{base}/tags/list").json().get("tags") or []
    found = {}
    for tag in listed:
        answer = _HTTP.head(f"{base}/manifests/{tag}", headers={"Accept": ACCEPT})
        assert answer.status_code == 200
        found[tag] = answer.headers["docker-content-digest"]
    return found


def manifest_exists(registry: RunningRegistry, repository: Reference, digest: Digest) -> bool:
    answer = _HTTP.head(f"{registry.url}/v2/{repository.repository}/manifests/{digest}",
                        headers={"Accept": ACCEPT})
    assert answer.status_code in (200, 404)
    return answer.status_code == 200


def prune(client: RegistryClient, repository: Reference, policy: RetentionPolicy, audit: Path,
          **options: object) -> PruneResult:
    on_outcome = options.pop("on_outcome", None)
    now = options.pop("now", None)
    return prune_repository(RegistryRepository(client, repository, page_size=25), policy,
                            PruneOptions(**options), audit_dir=audit, now=now,  # type: ignore[arg-type]
                            on_outcome=on_outcome)  # type: ignore[arg-type]


def check_result(registry: RunningRegistry, repository: Reference, result: PruneResult) -> None:
    plan = result.plan
    remaining = tags_now(registry, repository)
    assert set(remaining) == plan.kept_tags
    for item in plan.tags:
        if item.keep:
            assert remaining[item.tag] == str(item.digest), f"{item.tag} moved"
    for item in plan.digests:
        assert manifest_exists(registry, repository, item.digest) == item.keep, item


def test_many_tags_exactly_the_kept_ones_remain(registry_plain: RunningRegistry, client: RegistryClient,
                                                 request: pytest.FixtureRequest, tmp_path: Path) -> None:
    repository = repository_for(registry_plain, request)
    seed = Seeder(client, repository)
    for number in range(12):  # releases, each also tagged major.minor: 1.0.0 .. 1.11.0
        seed.image(f"1.{number}.0", f"1.{number}", age=(40 - number) * DAY)
    for number in range(40):  # dev builds, a few of them recent, several sharing a manifest
        image = seed.image(f"dev-{number:03d}", age=(2 * DAY + number * 3600) if number % 8 else 3600)
        if number % 5 == 0:
            seed.tag(f"pr-{number:03d}", image)
    seed.image("latest-dev", age=20 * DAY)  # a pointer to an old build: kept
    policy = RetentionPolicy(keep_newest=3, keep_within=DAY, protect=("1.0.0",), max_deletions=1000)
    before = tags_now(registry_plain, repository)
    assert len(before) == 12 * 2 + 40 + 8 + 1

    dry = prune(client, repository, policy, tmp_path, pointers=("latest-dev",))
    assert tags_now(registry_plain, repository) == before  # a dry run deletes nothing
    assert dry.plan.operations and not dry.applied

    result = prune(client, repository, policy, tmp_path, apply=True, pointers=("latest-dev",))
    assert result.plan.kept_tags == dry.plan.kept_tags
    assert {"1.0.0", "1.11.0", "1.10.0", "1.9.0", "latest-dev", "dev-000", "dev-008"} <= result.plan.kept_tags
    assert "1.8.0" not in result.plan.kept_tags
    check_result(registry_plain, repository, result)
    assert {outcome.status for outcome in result.outcomes} <= {"deleted", "untagged"}
    record = json.loads(result.audit_file.read_text())
    assert record["status"] == "complete" and record["plan_hash"] == result.plan_hash
    assert len(record["outcomes"]) == len(result.plan.operations)
    assert len(list(result.audit_file.parent.glob("*.json"))) == 2  # the dry run's and this one's


def test_a_tag_sharing_a_kept_manifest_is_removed_and_the_manifest_stays(
        registry_plain: RunningRegistry, client: RegistryClient, request: pytest.FixtureRequest,
        tmp_path: Path) -> None:
    repository = repository_for(registry_plain, request)
    seed = Seeder(client, repository)
    release = seed.image("v1.0.0", "dev-abc", "pr-7")
    old = seed.image("dev-old")
    result = prune(client, repository, RetentionPolicy(protect=("v*.*.*",)), tmp_path, apply=True)
    assert tags_now(registry_plain, repository) == {"v1.0.0": str(release.digest)}
    assert manifest_exists(registry_plain, repository, release.digest)
    assert not manifest_exists(registry_plain, repository, old.digest)
    untagged = [outcome for outcome in result.outcomes if outcome.status == "untagged"]
    assert {outcome.operation.tag for outcome in untagged} == {"dev-abc", "pr-7"}
    for outcome in untagged:  # the throwaway each tag was moved to is gone too
        assert outcome.throwaway is not None
        assert not manifest_exists(registry_plain, repository, outcome.throwaway)


def test_an_interrupted_prune_resumes_safely(registry_plain: RunningRegistry, client: RegistryClient,
                                             request: pytest.FixtureRequest, tmp_path: Path) -> None:
    repository = repository_for(registry_plain, request)
    seed = Seeder(client, repository)
    keep = seed.image("v2.0.0", *(f"old-{n}" for n in range(3)))
    for number in range(8):
        seed.image(f"dev-{number}")
    policy = RetentionPolicy(protect=("v*",))
    expected = prune(client, repository, policy, tmp_path).plan

    class Crash(Exception):
        pass

    done: list[Outcome] = []

    def crash_after_three(outcome: Outcome) -> None:
        done.append(outcome)
        if len(done) == 3:
            raise Crash

    with pytest.raises(Crash):
        prune(client, repository, policy, tmp_path, apply=True, on_outcome=crash_after_three)
    remaining = tags_now(registry_plain, repository)
    assert remaining["v2.0.0"] == str(keep.digest) and len(remaining) == 12 - 3
    # A crash in the middle of an untag: the tag names a throwaway of a run that never ended.
    client.put_manifest(repository.with_tag("dev-7"), throwaway_manifest("crashed", "dev-7"),
                        mediatypes.OCI_MANIFEST)

    # --max-deletions limits a run the same way: two runs of at most four finish the job.
    first = prune(client, repository, policy, tmp_path, apply=True, max_deletions=4)
    assert len(first.outcomes) == 4 and first.plan.deferred
    rules = {item.tag: item.rule for item in first.plan.tags}
    assert rules["dev-7"] == "leftover-throwaway"
    second = prune(client, repository, policy, tmp_path, apply=True, max_deletions=4)
    assert not second.plan.deferred
    assert tags_now(registry_plain, repository) == {"v2.0.0": str(keep.digest)}
    assert second.plan.kept_tags == expected.kept_tags
    records = [json.loads(path.read_text()) for path in sorted(second.audit_file.parent.glob("*.json"))]
    assert [record["status"] for record in records] == ["planned", "interrupted", "complete", "complete"]
    deleted = [item for record in records for item in record["outcomes"] if item["status"] != "skipped"]
    assert all(item["rule"] and item["at"] for item in deleted)


def test_an_index_keeps_its_platforms_and_a_deleted_one_takes_them_along(
        registry_plain: RunningRegistry, client: RegistryClient, request: pytest.FixtureRequest,
        tmp_path: Path) -> None:
    repository = repository_for(registry_plain, request)
    seed = Seeder(client, repository)
    kept_children = (seed.image(), seed.image())
    kept = seed.index("v1.0.0", children=kept_children)
    old_children = (seed.image(), seed.image())
    old = seed.index("v0.9.0", children=old_children)
    result = prune(client, repository, RetentionPolicy(keep_newest=1, untagged_after=0), tmp_path,
                   apply=True)
    assert tags_now(registry_plain, repository) == {"v1.0.0": str(kept.digest)}
    for child in kept_children:
        assert manifest_exists(registry_plain, repository, child.digest)
    for gone in (old, *old_children):
        assert not manifest_exists(registry_plain, repository, gone.digest)
    order = [outcome.operation.digest for outcome in result.outcomes]
    assert order.index(old.digest) < min(order.index(child.digest) for child in old_children)


def test_an_untagged_manifest_goes_once_untagged_after_has_passed(
        registry_plain: RunningRegistry, client: RegistryClient, request: pytest.FixtureRequest,
        tmp_path: Path) -> None:
    repository = repository_for(registry_plain, request)
    seed = Seeder(client, repository)
    first = seed.image("latest-dev")
    policy = RetentionPolicy(keep_tags=("latest-*",), untagged_after=DAY)
    prune(client, repository, policy, tmp_path)  # this run sees `first` tagged
    second = seed.image("latest-dev")  # the pointer moves on: `first` is untagged now
    seen = prune(client, repository, policy, tmp_path, apply=True, now=NOW)
    assert manifest_exists(registry_plain, repository, first.digest)
    assert {item.digest: item.rule for item in seen.plan.digests}[first.digest] == "untagged-recent"
    later = prune(client, repository, policy, tmp_path, apply=True, now=NOW + 2 * DAY)
    assert [outcome.operation.digest for outcome in later.outcomes] == [first.digest]
    assert not manifest_exists(registry_plain, repository, first.digest)
    assert tags_now(registry_plain, repository) == {"latest-dev": str(second.digest)}


@pytest.mark.parametrize("flavour", ["registry_tls", "registry_token"])
def test_pruning_through_auth_asks_for_the_delete_scope(
        flavour: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    registry: RunningRegistry = request.getfixturevalue(flavour)
    options = RegistryOptions(ca_file=registry.ca_file, retries=1, backoff=0.01)
    with RegistryClient(options, keychain_of(registry)) as client:
        repository = Reference(registry.host, f"prune/auth-{flavour.replace('_', '-')}")
        seed = Seeder(client, repository)
        kept = seed.image("v1.0.0", "dev-shared")
        old = seed.image("dev-old")
        result = prune(client, repository, RetentionPolicy(protect=("v*",)), tmp_path, apply=True)
        assert {outcome.status for outcome in result.outcomes} == {"deleted", "untagged"}
        assert set(client.list_tags(repository)) == {"v1.0.0"}
        assert client.head_manifest(repository.with_digest(kept.digest)) is not None
        assert client.head_manifest(repository.with_digest(old.digest)) is None


def test_goship_prune_command(registry_plain: RunningRegistry, client: RegistryClient, goship: Goship,
                              request: pytest.FixtureRequest, tmp_path: Path) -> None:
    repository = repository_for(registry_plain, request)
    seed = Seeder(client, repository)
    seed.image("v1.0.0")
    seed.image("latest-prod", "dev-1")
    for number in range(2, 6):
        seed.image(f"dev-{number}")
    project = tmp_path / "project"
    project.mkdir()
    (project / "goship.toml").write_text(
        '[environments.prod]\ntags = ["{version}", "latest-{env}"]\n\n'
        '[[retention]]\nrepository = "*/prune/*"\nprotect = ["v*"]\nmax-deletions = 3\n')
    audit = tmp_path / "audit"
    name = repository.name
    dry = goship("prune", name, "--audit-dir", str(audit), cwd=project)
    assert dry.code == 0, dry.output
    assert "delete  dev-2" in dry.stdout and "environment-pointer" in dry.stdout
    assert "dry run: nothing was deleted" in dry.stdout
    assert len(tags_now(registry_plain, repository)) == 7

    applied = goship("prune", name, "--apply", "--json", "--audit-dir", str(audit), cwd=project)
    assert applied.code == 0, applied.output
    [report] = json.loads(applied.stdout)["repositories"]
    assert report["applied"] and len(report["outcomes"]) == 3 and len(report["plan"]["deferred"]) == 2
    assert Path(report["audit_record"]).is_file()
    again = goship("prune", name, "--apply", "--max-deletions", "10", "--audit-dir", str(audit), cwd=project)
    assert again.code == 0, again.output
    # dev-1 shares the pointer's manifest: it is untagged, and the manifest stays
    assert set(tags_now(registry_plain, repository)) == {"v1.0.0", "latest-prod"}

    (project / "goship.toml").write_text('[[retention]]\nrepository = "*"\n')
    refused = goship("prune", name, "--apply", "--audit-dir", str(audit), cwd=project)
    assert refused.code == 10, refused.output
    assert "REFUSED" in refused.stdout and "--allow-delete-all" in refused.stderr
    assert "Traceback" not in refused.output
    assert len(tags_now(registry_plain, repository)) == 2
    # Without REPO: the repository goship.toml names.
    (project / "goship.toml").write_text(f'repository = "{name}"\n\n[[retention]]\nprotect = ["v*"]\n')
    default = goship("prune", "--json", "--audit-dir", str(audit), cwd=project)
    assert default.code == 0, default.output
    [report] = json.loads(default.stdout)["repositories"]
    assert report["repository"] == name and not report["applied"]
    missing = goship("prune", "127.0.0.1:1/none", cwd=tmp_path)
    assert missing.code == 3 and "no [[retention]] policy" in missing.stderr
