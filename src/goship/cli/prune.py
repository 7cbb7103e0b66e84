"""`goship prune [REPO...]`: delete old tags and manifests by goship.toml's [[retention]] policies.

A dry run unless --apply: the plan (every tag and manifest, kept or deleted, and the rule that
decided) is printed either way, and every run leaves an audit record. The rules live in
goship.release.retention, the safe deletion in goship.release.prune; this module wires the
options to them and prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goship.cli.registry_options import add_registry_options, parse_reference, registry_access
from goship.errors import ConfigError, ExitCode, UsageError
from goship.release.settings import ReleaseSettings

if TYPE_CHECKING:
    from goship.oci.reference import Reference
    from goship.release.prune import PruneResult
    from goship.release.retention import Operation, RetentionPlan


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    prune = commands.add_parser(
        "prune", parents=[common], help="delete old image tags and manifests by the retention policy",
        description="Plan, and with --apply carry out, the deletion of old tags and manifests from "
                    "registries by the [[retention]] policies of goship.toml: every tag and manifest "
                    "is listed as kept or deleted with the rule that decided. A manifest is deleted "
                    "only when none of its tags is kept; a deleted tag whose manifest is kept is "
                    "removed on its own. Every run writes an audit record.",
        epilog="Without --apply nothing is deleted. Exit code 10 when a plan is refused because it "
               "would delete every tag of a repository (docs/exit-codes.md).")
    prune.add_argument("repositories", nargs="*", metavar="REPO",
                       help="REGISTRY/REPOSITORY to prune (default: the repositories of goship.toml: "
                            "the top-level one and the environments')")
    prune.add_argument("--apply", action="store_true", help="delete; without it, only show the plan")
    prune.add_argument("--max-deletions", type=int, default=None, metavar="N",
                       help="at most N deletions per repository in this run (default: the policy's "
                            "max-deletions); the rest is left for the next run")
    prune.add_argument("--allow-delete-all", action="store_true",
                       help="allow a plan that deletes every tag of a repository")
    prune.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    prune.add_argument("--audit-dir", default=None, metavar="DIR",
                       help="where audit records go (default: audit/prune in goship's cache directory)")
    add_registry_options(prune)


def run_prune(args: argparse.Namespace) -> int:
    from goship.cli.output import ConsoleReporter
    from goship.paths import cache_dir
    from goship.release.audit import audit_directory
    from goship.release.inventory import RegistryRepository
    from goship.release.prune import PruneOptions, RetentionRefused, prune_repository
    from goship.release.retention import pointer_tags, select_policy

    if args.max_deletions is not None and args.max_deletions < 0:
        raise UsageError(f"--max-deletions {args.max_deletions} is negative", "give 0 or more")
    settings = _release_settings()
    repositories = _repositories(args.repositories, settings, args.environ.get("GOSHIP_REPOSITORY", ""))
    policies = []
    for repository in repositories:
        policy = select_policy(settings.retention, repository.name)
        if policy is None:
            where = settings.source or "goship.toml (none found here or above)"
            raise ConfigError(f"no [[retention]] policy in {where} matches {repository.name}",
                              f"add one: [[retention]] repository = \"{repository.name}\" and "
                              "its keep rules (docs/configuration.md)")
        policies.append(policy)
    options = PruneOptions(apply=args.apply, allow_delete_all=args.allow_delete_all,
                           max_deletions=args.max_deletions, pointers=pointer_tags(settings))
    audit_dir = Path(args.audit_dir) if args.audit_dir else audit_directory(cache_dir(args.environ))
    reporter = ConsoleReporter(verbose=args.verbose, quiet=args.json)
    results: list[PruneResult] = []
    try:
        with registry_access(args, repositories).client() as client:
            for repository, policy in zip(repositories, policies, strict=True):
                result = prune_repository(RegistryRepository(client, repository), policy, options,
                                          audit_dir=audit_dir, reporter=reporter)
                results.append(result)
                if not args.json:
                    sys.stdout.write(render_text(result))
                    sys.stdout.flush()
    finally:
        reporter.close()
    if args.json:
        json.dump({"repositories": [result_json(result) for result in results]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    refused = [result.plan.repository for result in results if result.plan.refusal]
    if refused:
        raise RetentionRefused(f"pruning refused for {', '.join(refused)}: the plan deletes every tag",
                               "check the [[retention]] policy (keep-newest, keep-within, keep-tags, "
                               "protect); to really empty it, run again with --allow-delete-all")
    return ExitCode.OK


def _release_settings() -> ReleaseSettings:
    """goship.toml's release settings; the defaults (no policies) if this goship cannot read
    them yet."""
    try:
        from goship.config_release import find_release_settings
    except ImportError:  # pragma: no cover - a tree without goship.config_release
        return ReleaseSettings()
    return find_release_settings(Path.cwd())


def _repositories(given: Sequence[str], settings: ReleaseSettings, default: str) -> list[Reference]:
    texts = list(given)
    if not texts:
        if not default and settings.source:
            from goship.config import read_config_file

            default = str(read_config_file(Path(settings.source)).get("repository") or "")
        texts = [text for text in (default, *(env.repository for env in settings.environments.values()))
                 if text]
    if not texts:
        raise UsageError("no repository to prune: none named, and goship.toml names none",
                         "name them: goship prune REGISTRY/REPOSITORY ...")
    references: dict[str, Reference] = {}
    for text in texts:
        reference = parse_reference(text, "REPO", default_tag="")
        if reference.tag or reference.digest is not None:
            raise UsageError(f"REPO {text} names a tag or digest",
                             f"name only the repository: goship prune {reference.name}")
        references.setdefault(reference.name, reference)
    return list(references.values())


# ------------------------------------------------------------------------------ output


def render_text(result: PruneResult) -> str:
    plan = result.plan
    lines = [f"{plan.repository}: policy '{plan.policy.repository}' ({_policy_text(plan)})"]
    kept_tags = sum(item.keep for item in plan.tags)
    kept = sum(item.keep for item in plan.digests)
    lines.append(f"  {len(plan.tags)} tags: {kept_tags} kept, {len(plan.tags) - kept_tags} deleted; "
                 f"{len(plan.digests)} manifests: {kept} kept, {len(plan.digests) - kept} deleted")
    if plan.tags:
        width = max(len(item.tag) for item in plan.tags)
        lines.append("  tags:")
        lines += [f"    {'keep  ' if item.keep else 'delete'}  {item.tag.ljust(width)}  "
                  f"{item.digest.short()}  {_rule(item.rule, item.detail)}" for item in plan.tags]
    if plan.digests:
        lines.append("  manifests:")
        lines += [f"    {'keep  ' if item.keep else 'delete'}  {item.digest.short()}  "
                  f"{_rule(item.rule, item.detail)}" for item in plan.digests]
    if plan.refusal:
        lines.append(f"  REFUSED: {plan.refusal}; nothing is deleted (--allow-delete-all permits it)")
    else:
        lines += _operations_text(plan, result)
    lines.append(f"  audit record: {result.audit_file} (plan {result.plan_hash[:19]})")
    return "\n".join(lines) + "\n"


def _operations_text(plan: RetentionPlan, result: PruneResult) -> list[str]:
    lines = [f"  deletions: {len(plan.operations)} in this run"
             + (f", {len(plan.deferred)} deferred to the next run (max-deletions)" if plan.deferred else "")]
    by_operation = {outcome.operation: outcome for outcome in result.outcomes}
    for number, operation in enumerate(plan.operations, 1):
        outcome = by_operation.get(operation)
        state = ""
        if outcome is not None:
            state = f"  -> {outcome.status}" + (f": {outcome.reason}" if outcome.reason else "")
        lines.append(f"    {number}. {_operation_text(operation)}  [{operation.rule}]{state}")
    for operation in plan.deferred:
        lines.append(f"    later: {_operation_text(operation)}  [{operation.rule}]")
    if not result.applied:
        lines.append("  dry run: nothing was deleted; run again with --apply to delete")
    return lines


def _operation_text(operation: Operation) -> str:
    if operation.kind == "untag":
        return f"untag {operation.tag} (its manifest {operation.digest.short()} stays)"
    tags = f" with tags {', '.join(operation.tags)}" if operation.tags else " (untagged)"
    return f"delete {operation.digest.short()}{tags}"


def _rule(rule: str, detail: str) -> str:
    return f"{rule}: {detail}" if detail else rule


def _policy_text(plan: RetentionPlan) -> str:
    from goship.release.retention import duration_text

    policy = plan.policy
    parts = []
    if policy.keep_newest:
        parts.append(f"keep-newest {policy.keep_newest}")
    if policy.keep_within is not None:
        parts.append(f"keep-within {duration_text(policy.keep_within)}")
    if policy.keep_tags:
        parts.append(f"keep-tags {', '.join(policy.keep_tags)}")
    if policy.protect:
        parts.append(f"protect {', '.join(policy.protect)}")
    if policy.untagged_after is not None:
        parts.append(f"untagged-after {duration_text(policy.untagged_after)}")
    parts.append(f"max-deletions {policy.max_deletions}")
    return "; ".join(parts)


def result_json(result: PruneResult) -> dict[str, Any]:
    return {"repository": result.plan.repository, "run": result.run_id, "plan_hash": result.plan_hash,
            "applied": result.applied, "audit_record": str(result.audit_file),
            "plan": result.plan.to_json(), "outcomes": [outcome.to_json() for outcome in result.outcomes]}

