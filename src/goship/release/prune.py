"""Carrying out a retention plan (retention.py) on a registry, and the run around it.

Nothing kept is ever lost, because of how each operation is done and in what order:

- A manifest is deleted by digest only when the plan keeps none of its tags. The registry
  then removes every tag still naming it; the plan deletes all of those.
- A tag the plan deletes whose manifest is kept cannot be deleted by digest (that would
  take the manifest and its kept tags with it), and distribution cannot delete a tag by
  name. So the tag is first moved to a throwaway manifest (the empty config, no layers,
  annotated with this run and the tag: unique to both), and that throwaway is deleted by
  digest. Interrupted in between, the tag names the throwaway; the next run recognises it
  and deletes it.
- Indexes go before the manifests they list, so an interruption never leaves an index
  pointing at something missing.
- Right before the first deletion, the tags are listed and resolved again: a manifest some
  tag names now that the plan did not expect (a tag pushed or moved meanwhile) is left
  alone. Right before each operation its tags are resolved once more, and a tag that moved
  since is not touched.

Re-running is always safe: a run plans from what the registry holds now, so what an
interrupted run finished is simply no longer there, and what it left half-done is a
leftover throwaway. Every run, dry or not, writes an audit record (audit.py).

The registry has no conditional writes, so a push that lands in the milliseconds between
the last check and a deletion can still be lost; the checks keep that window that small.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from goship.errors import ImageError, ReleaseError
from goship.oci.digest import Digest
from goship.progress import Reporter, SilentReporter
from goship.release.audit import AuditLog, read_history
from goship.release.inventory import throwaway_manifest
from goship.release.retention import (
    DELETE,
    UNTAG,
    Operation,
    RepositoryState,
    RetentionPlan,
    plan_retention,
    policy_json,
)
from goship.release.settings import RetentionPolicy


class RetentionRefused(ReleaseError):
    """A plan that would delete every tag of a repository, run without --allow-delete-all."""


class RepositoryAPI(Protocol):
    """The registry calls applying a plan makes (inventory.RegistryRepository; a model
    registry in the tests)."""

    @property
    def name(self) -> str: ...

    def list_tags(self) -> list[str]: ...

    def resolve(self, tag: str) -> Digest | None: ...

    def resolve_many(self, tags: Iterable[str]) -> dict[str, Digest | None]: ...

    def put_throwaway(self, tag: str, raw: bytes) -> Digest: ...

    def delete(self, digest: Digest) -> bool: ...


class PrunableRepository(RepositoryAPI, Protocol):
    def read_state(self, *, known_untagged: Mapping[Digest, float] | None = None,
                   previously_seen: Iterable[Digest] = (),
                   expected_tags: Mapping[str, Digest] | None = None,
                   reporter: Reporter | None = None) -> RepositoryState: ...


@dataclass(frozen=True)
class Outcome:
    """What became of one operation: "deleted" (a manifest, with ``removed_tags``),
    "untagged", "gone" (already not there) or "skipped" (``reason`` says why)."""

    operation: Operation
    status: str
    reason: str = ""
    removed_tags: tuple[str, ...] = ()
    throwaway: Digest | None = None
    at: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {**self.operation.to_json(), "status": self.status, "reason": self.reason or None,
                "removed_tags": list(self.removed_tags), "at": _iso(self.at),
                "throwaway": str(self.throwaway) if self.throwaway else None}


@dataclass(frozen=True)
class PruneOptions:
    apply: bool = False  # False: plan and record only (a dry run)
    allow_delete_all: bool = False
    max_deletions: int | None = None  # None: the policy's
    pointers: tuple[str, ...] = ()  # environment pointer tags (retention.pointer_tags)


@dataclass(frozen=True)
class PruneResult:
    plan: RetentionPlan
    outcomes: tuple[Outcome, ...]
    applied: bool
    audit_file: Path
    run_id: str
    plan_hash: str


def apply_plan(plan: RetentionPlan, api: RepositoryAPI, *, run_id: str,
               clock: Callable[[], float] = time.time,
               on_outcome: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Run ``plan.operations`` in order; ``on_outcome`` hears of each as it completes (an
    exception from it stops the run there, as an interruption would)."""
    if plan.refusal:
        raise RetentionRefused(f"pruning {plan.repository}: refused: {plan.refusal}",
                               "check the retention policy; if emptying the repository is "
                               "really meant, run again with --allow-delete-all")
    if not plan.operations:
        return []
    if any(operation.kind == UNTAG for operation in plan.operations):
        # A registry that refuses deletes (distribution without storage.delete.enabled) must
        # say so before any tag is moved to a throwaway that could then not be deleted.
        api.delete(api.put_throwaway("", throwaway_manifest(run_id, "")))
    claimed = _claimed_since_planning(plan, api)
    deleted: set[Digest] = set()
    outcomes: list[Outcome] = []
    for operation in plan.operations:
        pending = [parent for parent in operation.after if parent not in deleted]
        if pending:
            outcome = Outcome(operation, "skipped", f"index {pending[0].short()}, which lists it, "
                              "was not deleted", at=clock())
        elif operation.kind == UNTAG:
            outcome = _untag(operation, api, run_id, clock)
        elif operation.digest in claimed:
            outcome = Outcome(operation, "skipped", f"tag {claimed[operation.digest]} names it "
                              "since planning", at=clock())
        else:
            outcome = _delete(operation, api, clock)
        if operation.kind == DELETE and outcome.status in ("deleted", "gone"):
            deleted.add(operation.digest)
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    return outcomes


def _claimed_since_planning(plan: RetentionPlan, api: RepositoryAPI) -> dict[Digest, str]:
    """Manifests the plan deletes that a tag names now although the plan did not see that
    tag there: a new tag, or a kept one moved onto it. The tags the plan deletes along with
    a manifest are checked per operation instead."""
    doomed = {op.digest for op in plan.operations if op.kind == DELETE}
    if not doomed:
        return {}
    going = {tag for op in plan.operations if op.kind == DELETE for tag in op.tags}
    names = [tag for tag in api.list_tags() if tag not in going]
    claimed: dict[Digest, str] = {}
    for tag, digest in sorted(api.resolve_many(names).items()):
        if digest is not None and digest in doomed:
            claimed.setdefault(digest, tag)
    return claimed


def _untag(operation: Operation, api: RepositoryAPI, run_id: str,
           clock: Callable[[], float]) -> Outcome:
    current = api.resolve(operation.tag)
    if current is None:
        return Outcome(operation, "gone", "the tag no longer exists", at=clock())
    if current != operation.digest:
        return Outcome(operation, "skipped", f"the tag moved to {current.short()} since planning",
                       at=clock())
    throwaway = api.put_throwaway(operation.tag, throwaway_manifest(run_id, operation.tag))
    api.delete(throwaway)
    return Outcome(operation, "untagged", removed_tags=(operation.tag,), throwaway=throwaway,
                   at=clock())


def _delete(operation: Operation, api: RepositoryAPI, clock: Callable[[], float]) -> Outcome:
    removed = tuple(tag for tag in operation.tags if api.resolve(tag) == operation.digest)
    if not api.delete(operation.digest):
        return Outcome(operation, "gone", "the manifest no longer exists", at=clock())
    return Outcome(operation, "deleted", removed_tags=removed, at=clock())


def new_run_id(now: float) -> str:
    """``20250101T120000.123456Z-1a2b3c4d``: sorts by time, unique across concurrent runs."""
    stamp = datetime.fromtimestamp(now, tz=UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return f"{stamp}-{secrets.token_hex(4)}"


def prune_repository(api: PrunableRepository, policy: RetentionPolicy, options: PruneOptions, *,
                     audit_dir: Path, now: float | None = None, reporter: Reporter | None = None,
                     clock: Callable[[], float] = time.time,
                     on_outcome: Callable[[Outcome], None] | None = None) -> PruneResult:
    """Read the repository, plan, record, and (with ``options.apply``) carry the plan out.

    A refused plan is returned, not raised: the caller shows it, then refuses."""
    reporter = reporter or SilentReporter()
    history = read_history(audit_dir, api.name)
    state = api.read_state(known_untagged=history.untagged_since, previously_seen=history.seen,
                           expected_tags=_observed_tags(history.record), reporter=reporter)
    now = clock() if now is None else now
    plan = plan_retention(state, policy, now=now, pointers=options.pointers,
                          allow_delete_all=options.allow_delete_all,
                          max_deletions=options.max_deletions)
    run_id = new_run_id(clock())  # the wall clock, not `now`: records sort in the order runs happened
    plan_hash = plan.digest_of_plan()
    log = AuditLog(audit_dir, api.name, run_id)
    outcomes: list[Outcome] = []
    record: dict[str, Any] = {
        "repository": api.name, "run": run_id, "mode": "apply" if options.apply else "dry-run",
        "started": _iso(clock()), "finished": None, "status": "running", "plan_hash": plan_hash,
        "policy": policy_json(policy), "now": _iso(now), "refusal": plan.refusal or None,
        "observed": {tag: str(digest) for tag, digest in sorted(state.tags.items())},
        "untagged": {str(item.digest): item.untagged_since for item in plan.digests
                     if item.untagged_since is not None},
        "planned": [op.to_json() for op in plan.operations],
        "deferred": len(plan.deferred), "outcomes": [], "throwaways": [], "error": None}
    log.write(record)

    def heard(outcome: Outcome) -> None:
        outcomes.append(outcome)
        record["outcomes"].append(outcome.to_json())
        if outcome.throwaway is not None:
            record["throwaways"].append(str(outcome.throwaway))
        log.write(record, force=False)
        reporter.debug(f"{api.name}: {outcome.operation.kind} "
                       f"{outcome.operation.tag or outcome.operation.digest.short()}: {outcome.status}")
        if on_outcome is not None:
            on_outcome(outcome)

    status = "refused" if plan.refusal else "planned"
    try:
        if options.apply and not plan.refusal:
            if plan.operations:
                reporter.step(f"{api.name}: {len(plan.operations)} deletions")
            apply_plan(plan, api, run_id=run_id, clock=clock, on_outcome=heard)
            status = "complete"
    except BaseException as error:
        status = "interrupted"
        record["error"] = f"{type(error).__name__}: {error}"
        raise
    finally:
        record["status"] = status
        record["finished"] = _iso(clock())
        log.write(record)
    return PruneResult(plan, tuple(outcomes), options.apply and not plan.refusal, log.path,
                       run_id, plan_hash)


def _observed_tags(record: Path | None) -> dict[str, Digest]:
    """The tags and digests the run of ``record`` saw: what this run can expect to find
    (a hint that makes resolving cheaper, never taken for the registry's answer)."""
    if record is None:
        return {}
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
        return {str(tag): Digest.parse(str(digest)) for tag, digest in (data.get("observed") or {}).items()}
    except (OSError, UnicodeDecodeError, ValueError, TypeError, AttributeError, ImageError):
        return {}


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, tz=UTC).isoformat().replace("+00:00", "Z")

