"""Applying a plan when the registry changed since planning, and the audit records of a run,
on the in-memory registry of retention_model.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.unit.release.retention_model import Interrupted, ModelRegistry

from goship.errors import RegistryError
from goship.oci.digest import Digest
from goship.release.audit import read_history
from goship.release.prune import PruneOptions, apply_plan, prune_repository
from goship.release.retention import ManifestFacts, plan_retention
from goship.release.settings import RetentionPolicy

NOW = 1_700_000_000.0
DAY = 86_400.0
NAME = "127.0.0.1:5000/team/app"


def digest(number: int) -> Digest:
    return Digest("sha256", f"{number:064x}")


def registry() -> ModelRegistry:
    facts = [ManifestFacts(digest(n), created=NOW - (DAY if n == 4 else (10 + n) * DAY))
             for n in range(1, 5)]
    tags = {"v1.0.0": digest(1), "dev-shared": digest(1), "dev-2": digest(2), "dev-3": digest(3),
            "dev-4": digest(4)}
    return ModelRegistry(NAME, tags, facts, now=NOW)


POLICY = RetentionPolicy(protect=("v*",), keep_within=7 * DAY)  # keeps v1.0.0 and dev-4


def test_a_tag_moved_since_planning_is_left_alone() -> None:
    model = registry()
    plan = plan_retention(model.read_state(), POLICY, now=NOW)
    model.tags["dev-shared"] = digest(4)  # someone pushed again meanwhile
    outcomes = {outcome.operation.tag or str(outcome.operation.digest): outcome
                for outcome in apply_plan(plan, model, run_id="r")}
    assert outcomes["dev-shared"].status == "skipped"
    assert "moved" in outcomes["dev-shared"].reason
    assert model.tags == {"v1.0.0": digest(1), "dev-shared": digest(4), "dev-4": digest(4)}


def test_a_manifest_a_new_tag_names_since_planning_is_not_deleted() -> None:
    model = registry()
    plan = plan_retention(model.read_state(), POLICY, now=NOW)
    model.tags["hotfix"] = digest(2)  # pushed (or promoted) onto a manifest the plan deletes
    outcomes = {str(outcome.operation.digest): outcome for outcome in apply_plan(plan, model, run_id="r")
                if outcome.operation.kind == "delete"}
    assert outcomes[str(digest(2))].status == "skipped"
    assert "hotfix" in outcomes[str(digest(2))].reason
    assert digest(2) in model.facts and model.tags["hotfix"] == digest(2)
    assert digest(3) not in model.facts  # the rest of the plan still ran


def test_every_run_writes_an_audit_record_and_the_next_run_remembers_untagged_manifests(
        tmp_path: Path) -> None:
    model = registry()
    dry = prune_repository(model, POLICY, PruneOptions(), audit_dir=tmp_path, now=NOW)
    record = json.loads(dry.audit_file.read_text())
    assert record["mode"] == "dry-run" and record["status"] == "planned"
    assert record["plan_hash"] == dry.plan.digest_of_plan() and record["outcomes"] == []
    assert model.deletes == 0 and len(record["planned"]) == 3

    applied = prune_repository(model, POLICY, PruneOptions(apply=True), audit_dir=tmp_path,
                               now=NOW + 1)
    record = json.loads(applied.audit_file.read_text())
    assert record["status"] == "complete" and record["repository"] == NAME
    done = {(item["kind"], item["status"]) for item in record["outcomes"]}
    assert done == {("untag", "untagged"), ("delete", "deleted")}
    assert all(item["rule"] and item["at"] for item in record["outcomes"])
    assert model.tags == {"v1.0.0": digest(1), "dev-4": digest(4)}
    history = read_history(tmp_path, NAME)
    assert history.record == applied.audit_file
    assert {digest(1), digest(4)} <= history.seen


def test_an_interrupted_run_records_what_it_did(tmp_path: Path) -> None:
    model = registry()

    def stop(outcome: object) -> None:
        raise Interrupted("Ctrl-C")

    with pytest.raises(Interrupted):
        prune_repository(model, POLICY, PruneOptions(apply=True), audit_dir=tmp_path, now=NOW,
                         on_outcome=stop)
    [path] = list(tmp_path.rglob("*.json"))
    record = json.loads(path.read_text())
    assert record["status"] == "interrupted" and "Ctrl-C" in record["error"]
    assert len(record["outcomes"]) == 1


def test_a_refused_plan_is_recorded_and_nothing_is_deleted(tmp_path: Path) -> None:
    model = registry()
    result = prune_repository(model, RetentionPolicy(), PruneOptions(apply=True),
                              audit_dir=tmp_path, now=NOW)
    assert result.plan.refusal and not result.applied and model.deletes == 0
    assert json.loads(result.audit_file.read_text())["status"] == "refused"


def test_a_registry_refusing_deletes_is_found_out_before_any_tag_moves() -> None:
    model = registry()
    model.deletes_enabled = False
    plan = plan_retention(model.read_state(), POLICY, now=NOW)
    before = dict(model.tags)
    with pytest.raises(RegistryError):
        apply_plan(plan, model, run_id="r")
    assert model.tags == before
