"""The build stage: every configured image into the local OCI layout (.goship/oci, or
`oci_layout` of goship.toml), as `goship build` without --push writes it. Nothing goes to a
registry here: the push stage publishes these same images once every check has passed.

With the lint stage in the run, the images are checked against the image standard before
they are written (goship.pipeline.stages.lint).
"""

from __future__ import annotations

import dataclasses

from goship.image.project import BuiltImage
from goship.pipeline.interface import StageContext, StageOutcome
from goship.pipeline.stages.common import build_plan, plural, shown_path


def run_build(context: StageContext) -> StageOutcome:
    from goship.publish.pipeline import build_and_publish

    plan = context.plan
    local = dataclasses.replace(context.config, repository=None, tarball=None, oci_layout=plan.layout)
    checked: list[str] = []

    def check(built: list[BuiltImage]) -> None:
        if plan.runs("lint"):
            from goship.pipeline.stages.lint import lint_built

            checked.append(lint_built(context, built))

    result = build_and_publish(local, list(plan.tags), reporter=context.log, before_publish=check,
                               plan=build_plan(context), stream_layers=False)
    context.state.built = list(result.built)
    context.log.artifact("oci-layout", shown_path(context, plan.layout))
    images = [{"name": item.spec.name, "digest": str(item.artifact.digest),
               "platforms": [str(platform) for platform in item.platforms],
               "size": item.artifact.compressed_size,
               "layout": f"oci:{shown_path(context, plan.layout)}:{item.spec.name}:{plan.tags[0]}"}
              for item in result.built]
    names = ", ".join(f"{item.spec.name} {item.artifact.digest.short()}" for item in result.built)
    summary = f"{plural(len(result.built), 'image')} ({names}) in {shown_path(context, plan.layout)}"
    if checked:
        summary += f"; {checked[0]}"
    return StageOutcome(summary, {"version": build_plan(context).version, "images": images})
