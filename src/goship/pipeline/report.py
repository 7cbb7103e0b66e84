"""A finished run for people (the final table) and for machines (the ``--json`` report).

The JSON report::

    {"result": "ok" | "failed", "exit_code": 0, "failed_stage": null,
     "version": "0.2.0-dev.3+1a2b3c4", "commit": "...", "environment": "staging" | null,
     "tags": ["..."],
     "stages": [{"name": "test", "result": "ok" | "failed" | "not run", "seconds": 3.21,
                 "summary": "...", "exit_code": 0, "hint": null, "output": null | "...",
                 "artifacts": {"junit": ".goship/reports/junit.xml"}, "details": {...}}],
     "artifacts": {"junit": "...", "lint-sarif": "...", "scan-sarif": "...", ...},
     "images": [{"name": "hello", "repository": "...", "digest": "sha256:...", "tags": [...]}]}

``output`` is what a failed stage printed; it is null for the others.
"""

from __future__ import annotations

from typing import Any

from goship.pipeline.interface import PipelineReport, StageResult

RESULT_WORDS = {"ok": "ok", "failed": "FAILED", "not run": "not run"}


def seconds(value: float) -> str:
    if value >= 60:
        return f"{int(value // 60)}m{value % 60:04.1f}s"
    return f"{value:.1f}s"


def stage_line(result: StageResult) -> str:
    """One stage as a line: name, result, time, summary."""
    if result.status == "not run":
        return f"{result.name:<7} {RESULT_WORDS[result.status]:<7}"
    code = f" (exit code {result.exit_code})" if result.status == "failed" else ""
    return (f"{result.name:<7} {RESULT_WORDS[result.status]:<7} {seconds(result.seconds):>7}  "
            f"{result.summary}{code}")


def render_table(report: PipelineReport) -> str:
    lines = [f"{'stage':<7} {'result':<7} {'time':>7}  summary"]
    lines += [stage_line(result) for result in report.results]
    total = sum(result.seconds for result in report.results)
    failed = report.failed
    verdict = f"failed at {failed.name}" if failed is not None else "passed"
    lines.append(f"pipeline {verdict} in {seconds(total)}")
    for kind, path in report.artifacts.items():
        lines.append(f"  {kind}: {path}")
    for image in report.pushed:
        for tag in image.tags:
            lines.append(f"  {image.repository}:{tag}@{image.digest}")
    return "\n".join(lines) + "\n"


def report_json(report: PipelineReport) -> dict[str, Any]:
    plan = report.plan
    failed = report.failed
    return {
        "result": "failed" if failed is not None else "ok",
        "exit_code": report.exit_code,
        "failed_stage": failed.name if failed is not None else None,
        "version": plan.version,
        "commit": plan.commit or None,
        "environment": plan.environment.name if plan.environment is not None else None,
        "tags": list(plan.tags),
        "stages": [{"name": result.name, "result": result.status, "seconds": round(result.seconds, 3),
                    "summary": result.summary or None, "exit_code": result.exit_code,
                    "hint": result.hint or None,
                    "output": result.output if result.status == "failed" and result.output else None,
                    "artifacts": dict(result.artifacts), "details": dict(result.details)}
                   for result in report.results],
        "artifacts": report.artifacts,
        "images": [{"name": image.name, "repository": image.repository, "digest": image.digest,
                    "tags": list(image.tags)} for image in report.pushed],
    }
