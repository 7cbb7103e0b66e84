"""The pipeline's settings: the ``[pipeline]`` table of goship.toml and its ``[pipeline.test]``,
``[pipeline.lint]`` and ``[pipeline.sign]`` tables (the shape is in goship.pipeline.settings).

config.py stays the only reader of goship.toml: it calls ``settings_from_config`` for
the ``[pipeline]`` table and keeps the result in ``Config.pipeline``. Every mistake is a
ConfigError naming the file, the line and the key, with a hint. What a stage needs only
when it runs (sign's key) is checked when a run includes that stage, so that a pipeline
stopped before it (``--until``), and every other command, work without it.
"""

from __future__ import annotations

import dataclasses

from goship.config_tables import (
    STRING_TABLE,
    TRUE_OR_FALSE,
    ConfigTable,
    Schema,
    is_str,
    is_str_list,
    is_table,
    suggestion,
)
from goship.pipeline.settings import (
    DEFAULT_STAGES,
    LINT_FAIL_ON,
    NEEDS,
    STAGES,
    GoTestSettings,
    LintSettings,
    PipelineSettings,
    SignSettings,
)

# Flags goship sets itself: a second value would break the reports.
_OWN_FLAGS = ("-json", "-coverprofile", "-race", "-covermode")


def _is_percent(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 100


_PIPELINE: Schema = {
    "stages": (f"a list of stage names: {', '.join(STAGES)}", is_str_list),
    "test": ("a table: [pipeline.test]", is_table),
    "lint": ("a table: [pipeline.lint]", is_table),
    "sign": ("a table: [pipeline.sign]", is_table),
}
_TEST: Schema = {
    "packages": ("a list of package patterns, e.g. [\"./...\"]", is_str_list),
    "race": TRUE_OR_FALSE,
    "coverage-min": ("a number of percent from 0 to 100, e.g. 70", _is_percent),
    "flags": ("a list of `go test` flags, e.g. [\"-short\"]", is_str_list),
}
_LINT: Schema = {
    "dockerfiles": ("a list of Dockerfile paths, relative to goship.toml", is_str_list),
    "fail-on": (f"one of {', '.join(LINT_FAIL_ON)}", is_str),
}
_SIGN: Schema = {
    "key": ("a string: the private key file, e.g. \"cosign.key\"", is_str),
    "annotations": STRING_TABLE,
}


def _stages(pipeline: ConfigTable) -> tuple[str, ...]:
    seen: list[str] = []
    for name in pipeline.data["stages"]:
        if name not in STAGES:
            raise pipeline.error("stages", f"unknown stage '{name}' in 'pipeline.stages'",
                                 f"{suggestion(name, STAGES)}the stages are {', '.join(STAGES)}")
        if name in seen:
            raise pipeline.error("stages", f"stage '{name}' is listed twice in 'pipeline.stages'",
                                 "list each stage once; they always run in the order " + ", ".join(STAGES))
        seen.append(name)
    pipeline.filled("stages", f"list the stages to run, e.g. {list(DEFAULT_STAGES)}, or remove the key "
                    "for those")
    for name in seen:
        needed = NEEDS.get(name)
        if needed is not None and needed not in seen:
            raise pipeline.error("stages", f"'pipeline.stages' has {name} but not {needed}",
                                 f"add \"{needed}\": {name} works on what {needed} produces")
    return tuple(stage for stage in STAGES if stage in seen)


def _test(table: ConfigTable) -> GoTestSettings:
    table.check(_TEST)
    packages = tuple(table.filled("packages", "write packages = [\"./...\"] to test every package, or "
                                  "remove the key", default=GoTestSettings().packages))
    flags = tuple(table.data.get("flags", ()))
    for flag in flags:
        name = flag.lstrip("-").split("=", 1)[0]
        if f"-{name}" in _OWN_FLAGS:
            raise table.error("flags", f"'pipeline.test.flags' has {flag}, which goship sets itself",
                              "remove it: the JSON events, the coverage profile and -race are "
                              "goship's (race = false turns the race detector off)")
    minimum = table.data.get("coverage-min")
    return GoTestSettings(packages=packages, race=table.flag("race", True),
                          coverage_min=float(minimum) if minimum is not None else None, flags=flags)


def _lint(table: ConfigTable) -> LintSettings:
    table.check(_LINT)
    fail_on = table.choice("fail-on", LINT_FAIL_ON, LintSettings().fail_on)
    dockerfiles = table.data.get("dockerfiles")
    return LintSettings(dockerfiles=tuple(dockerfiles) if dockerfiles is not None else None,
                        fail_on=fail_on)


def _sign(table: ConfigTable) -> SignSettings:
    table.check(_SIGN)
    key = table.filled("key", "name the private key file, e.g. key = \"cosign.key\" (goship keygen "
                       "writes one)")
    return SignSettings(key=table.resolve(key.strip()) if key is not None else None,
                        annotations=tuple(sorted(table.data.get("annotations", {}).items())))


def settings_from_config(root: ConfigTable) -> PipelineSettings:
    """The ``[pipeline]`` table of goship.toml (config.py's reader calls this)."""
    pipeline = dataclasses.replace(root.table("pipeline", hint="write [pipeline] above stages = [...], "
                                              "and [pipeline.test] etc. for the stages' settings"),
                                   docs="docs/pipeline.md")
    pipeline.check(_PIPELINE)
    stages = _stages(pipeline) if "stages" in pipeline.data else DEFAULT_STAGES
    return PipelineSettings(
        stages=stages,
        test=_test(pipeline.child("test")),
        lint=_lint(pipeline.child("lint")),
        sign=_sign(pipeline.child("sign")),
        source=pipeline.where("stages") if "stages" in pipeline.data else str(root.path),
    )
