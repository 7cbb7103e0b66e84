"""The sbom and scan stages, on the images the build stage wrote into the OCI layout, read
back as `goship sbom oci:DIR:NAME:TAG` and `goship scan oci:DIR:NAME:TAG` read them.

sbom writes one CycloneDX 1.6 document per image (.goship/reports/sbom-NAME.cdx.json; an
index gets one document covering every platform), dated by the commit (or
SOURCE_DATE_EPOCH), so the same commit gives the same bytes. scan matches every Go binary
against the vulnerability database of [scan] and writes .goship/reports/scan.sarif in full
before a finding at or above [scan] fail-on that no waiver covers stops the run (exit 12).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from goship.pipeline.interface import StageContext, StageOutcome, VulnerabilitiesFoundError
from goship.pipeline.stages.common import build_plan, plural, reports_dir, write_report

if TYPE_CHECKING:
    from goship.gobinary.subject import Subject
    from goship.image.project import BuiltImage

SCAN_SARIF = "scan.sarif"
SBOM_SUFFIX = ".cdx.json"


def _source(context: StageContext, item: BuiltImage) -> str:
    return f"oci:{context.plan.layout}:{item.spec.name}:{context.plan.tags[0]}"


def image_subjects(context: StageContext, item: BuiltImage) -> list[Subject]:
    """The Go binaries of a built image, read from the run's OCI layout."""
    from goship.gobinary.subject import find_go_binaries

    subjects = find_go_binaries(_source(context, item))
    for subject in subjects:
        for skipped in subject.skipped:
            context.log.step(f"{item.spec.name} ({subject.platform}): skipped {skipped.path}: "
                             f"{skipped.reason}")
    return subjects


def run_sbom(context: StageContext) -> StageOutcome:
    from goship.supply.sbom import make_documents

    created = datetime.fromtimestamp(build_plan(context).epoch, tz=UTC)
    reports = reports_dir(context)
    described = []
    modules = 0
    for item in context.state.built:
        document = make_documents(image_subjects(context, item), "cyclonedx",
                                  tool_version=context.inputs.tool_version, created=created)[0]
        path = reports / f"sbom-{item.spec.name}{SBOM_SUFFIX}"
        write_report(context, f"sbom-{item.spec.name}", path, document.content)
        context.log.step(f"wrote the CycloneDX SBOM of {item.spec.name} to {path}")
        described.append({"image": item.spec.name, "subject": document.subject_digest,
                          "binaries": document.binaries, "modules": document.modules})
        modules += document.modules
    return StageOutcome(f"CycloneDX SBOM of {plural(len(described), 'image')} "
                        f"({plural(modules, 'module')} besides the standard library)",
                        {"documents": described})


def run_scan(context: StageContext) -> StageOutcome:
    from goship.supply.scan.database import open_database
    from goship.supply.scan.interface import describe_fail_on
    from goship.supply.scan.match import scan_subjects
    from goship.supply.scan.report import ReportOptions, render

    settings = context.inputs.scan
    subjects = [subject for item in context.state.built for subject in image_subjects(context, item)]
    database = open_database(settings, cache_dir=context.config.cache_dir, download=context.inputs.download,
                             reporter=context.log)
    result = scan_subjects(subjects, database, settings, context.inputs.today)
    options = ReportOptions(fail_on=settings.fail_on, tool_version=context.inputs.tool_version)
    write_report(context, "scan-sarif", reports_dir(context) / SCAN_SARIF,
                 render("sarif", result, options).encode("utf-8"))
    if result.findings:
        context.log.write(render("table", result, options))
    for warning in result.warnings():
        context.log.step(f"warning: {warning}")
    failing = result.failing(settings.fail_on)
    waived = sum(1 for finding in result.findings if finding.waived)
    details = {"binaries": result.binaries, "findings": len(result.findings), "failing": len(failing),
               "waived": waived, "fail_on": settings.fail_on, "database": result.database.location}
    if failing:
        ids = ", ".join(dict.fromkeys(finding.id for finding in failing))
        count = plural(len(failing), "vulnerability", "vulnerabilities")
        raise VulnerabilitiesFoundError(
            f"{count} {describe_fail_on(settings.fail_on)} that no waiver covers ({ids}); nothing was pushed",
            "update the modules to the FIXED IN versions the report shows (go get MODULE@VERSION), "
            "or accept one with a [[scan.waiver]] in goship.toml (id, reason, expires)")
    found = f"{plural(len(result.findings), 'finding')}" + (f" ({waived} waived)" if waived else "")
    return StageOutcome(f"{plural(result.binaries, 'Go binary', 'Go binaries')}: {found}", details)
