"""The lint stage: the Dockerfiles against the image standard before the build, and (called
by the build stage) the images just built, before they are written anywhere.

Both go into one SARIF report, .goship/reports/lint.sarif, written whether or not anything
was found, so a CI upload step always has a file. Findings at or above [pipeline.lint]
fail-on stop the run with exit code 9, as `goship lint` exits.
"""

from __future__ import annotations

from collections.abc import Sequence

from goship.errors import ConfigError, PolicyError
from goship.image.project import BuiltImage
from goship.pipeline.interface import StageContext, StageOutcome
from goship.pipeline.stages.common import plural, reports_dir, repository_root, write_report
from goship.policy.interface import Finding, Severity, apply

SARIF = "lint.sarif"


def run_lint(context: StageContext) -> StageOutcome:
    settings = context.config.pipeline.lint
    module_dir = context.config.module_dir
    if settings.dockerfiles is None:
        dockerfiles: tuple[str, ...] = ("Dockerfile",) if (module_dir / "Dockerfile").is_file() else ()
    else:
        dockerfiles = settings.dockerfiles
        for name in dockerfiles:
            if not (module_dir / name).is_file():
                raise ConfigError(f"[pipeline.lint] dockerfiles names {name}, which is not a file in "
                                  f"{module_dir}",
                                  "fix the path (relative to goship.toml), or remove it from the list")
    from goship.policy.dockerfile_rules import lint_dockerfile

    findings: list[Finding] = []
    for name in dockerfiles:
        findings += lint_dockerfile(module_dir / name, context.inputs.policy, display=name)
    findings = apply(findings, context.inputs.policy)
    context.state.dockerfile_findings = findings
    _report(context, findings, files=len(dockerfiles), images=0)
    _gate(context, findings, "the Dockerfiles break the image standard")
    checked = plural(len(dockerfiles), "Dockerfile") if dockerfiles else "no Dockerfile"
    later = "; the images are checked after the build" if context.plan.runs("build") else ""
    return StageOutcome(f"{checked}: {_counted(findings)}{later}",
                        {"dockerfiles": list(dockerfiles), "findings": len(findings)})


def lint_built(context: StageContext, built: Sequence[BuiltImage]) -> str:
    """The image rules on the images just built (nothing is written yet); lint.sarif gets
    the Dockerfile findings and these. A one-line result for the build stage's summary."""
    from goship.policy.build_check import check_built

    context.log.step("checking the images against the image standard")
    tags = context.plan.tags if context.plan.runs("push") else ()
    found = check_built([(item.spec.name, item.artifact) for item in built], context.inputs.policy, tags=tags)
    findings = apply(found, context.inputs.policy)
    _report(context, [*context.state.dockerfile_findings, *findings],
            files=None, images=len(built))
    _gate(context, findings, "the images break the image standard; nothing was written or pushed")
    return f"image standard: {_counted(findings)}"


def _counted(findings: Sequence[Finding]) -> str:
    if not findings:
        return "no findings"
    counts = [plural(sum(1 for finding in findings if finding.severity is severity), severity.label)
              for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO)
              if any(finding.severity is severity for finding in findings)]
    return ", ".join(counts)


def _report(context: StageContext, findings: Sequence[Finding], *, files: int | None,
            images: int | None) -> None:
    from goship.policy.catalog import all_rules
    from goship.policy.reporters import ReportOptions, render

    module_dir = context.config.module_dir
    rules = all_rules()
    options = ReportOptions(tool_version=context.inputs.tool_version, source_root=repository_root(module_dir),
                            working_dir=module_dir, files=files, images=images)
    sarif = render("sarif", findings, rules, options)
    write_report(context, "lint-sarif", reports_dir(context) / SARIF, sarif.encode("utf-8"))
    shown = [finding for finding in findings if finding.severity >= Severity.WARNING]
    if shown:
        context.log.write(render("text", shown, rules, options))


def _gate(context: StageContext, findings: Sequence[Finding], what: str) -> None:
    fail_on = context.config.pipeline.lint.fail_on
    if fail_on == "never":
        return
    threshold = Severity.from_name(fail_on)
    failing = [finding for finding in findings if finding.severity >= threshold]
    if failing:
        raise PolicyError(f"{what} ({plural(len(failing), 'finding')} at or above {fail_on})",
                          "fix what the findings say, adjust [policy] in goship.toml, or raise "
                          "[pipeline.lint] fail-on")
