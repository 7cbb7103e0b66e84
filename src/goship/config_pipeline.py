"""The pipeline's settings: the ``[pipeline]`` table of goship.toml and its ``[pipeline.test]``,
``[pipeline.lint]`` and ``[pipeline.sign]`` tables (the shape is in goship.pipeline.settings).

config.py stays the only reader of goship.toml: it calls ``settings_from_config_table`` for
the ``[pipeline]`` table and keeps the result in ``Config.pipeline``. Every mistake is a
ConfigError naming the file, the line and the key, with a hint. What a stage needs only
when it runs (sign's key) is checked when a run includes that stage, so that a pipeline
stopped before it (``--until``), and every other command, work without it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from goship.config import is_bool, is_str_list, is_str_table, line_of
from goship.errors import ConfigError
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

_Schema = dict[str, tuple[str, Callable[[Any], bool]]]
# Flags goship sets itself: a second value would break the reports.
_OWN_FLAGS = ("-json", "-coverprofile", "-race", "-covermode")


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_table(value: Any) -> bool:
    return isinstance(value, dict)


def _is_percent(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 100


_PIPELINE: _Schema = {
    "stages": (f"a list of stage names: {', '.join(STAGES)}", is_str_list),
    "test": ("a table: [pipeline.test]", _is_table),
    "lint": ("a table: [pipeline.lint]", _is_table),
    "sign": ("a table: [pipeline.sign]", _is_table),
}
_TEST: _Schema = {
    "packages": ("a list of package patterns, e.g. [\"./...\"]", is_str_list),
    "race": ("true or false", is_bool),
    "coverage-min": ("a number of percent from 0 to 100, e.g. 70", _is_percent),
    "flags": ("a list of `go test` flags, e.g. [\"-short\"]", is_str_list),
}
_LINT: _Schema = {
    "dockerfiles": ("a list of Dockerfile paths, relative to goship.toml", is_str_list),
    "fail-on": (f"one of {', '.join(LINT_FAIL_ON)}", _is_str),
}
_SIGN: _Schema = {
    "key": ("a string: the private key file, e.g. \"cosign.key\"", _is_str),
    "annotations": ("a table of strings", is_str_table),
}


class _Where:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text

    def __call__(self, table: str, key: str = "") -> str:
        line = (line_of(self.text, key, table) if key else 0) or line_of(self.text, "", table)
        return f"{self.path}:{line}" if line else str(self.path)


def _check_keys(data: Mapping[str, Any], schema: _Schema, table: str, where: _Where) -> None:
    for key in data:
        if key not in schema:
            close = difflib.get_close_matches(key.replace("_", "-"), list(schema), n=1)
            hint = (f"did you mean '{close[0]}'? " if close else "") + \
                f"keys of [{table}]: {', '.join(schema)}; see docs/pipeline.md"
            raise ConfigError(f"{where(table, key)}: unknown key '{table}.{key}'", hint)
    for key, value in data.items():
        description, check = schema[key]
        if not check(value):
            raise ConfigError(f"{where(table, key)}: '{table}.{key}' must be {description}",
                              f"fix '{table}.{key}' in {where.path.name}")


def _stages(names: list[str], where: _Where) -> tuple[str, ...]:
    location = where("pipeline", "stages")
    seen: list[str] = []
    for name in names:
        if name not in STAGES:
            close = difflib.get_close_matches(name, STAGES, n=1)
            raise ConfigError(f"{location}: unknown stage '{name}' in 'pipeline.stages'",
                              (f"did you mean '{close[0]}'? " if close else "")
                              + f"the stages are {', '.join(STAGES)}")
        if name in seen:
            raise ConfigError(f"{location}: stage '{name}' is listed twice in 'pipeline.stages'",
                              "list each stage once; they always run in the order "
                              + ", ".join(STAGES))
        seen.append(name)
    if not seen:
        raise ConfigError(f"{location}: 'pipeline.stages' is empty",
                          f"list the stages to run, e.g. {list(DEFAULT_STAGES)}, or remove the key "
                          "for those")
    for name in seen:
        needed = NEEDS.get(name)
        if needed is not None and needed not in seen:
            raise ConfigError(f"{location}: 'pipeline.stages' has {name} but not {needed}",
                              f"add \"{needed}\": {name} works on what {needed} produces")
    return tuple(stage for stage in STAGES if stage in seen)


def _test(data: Mapping[str, Any], where: _Where) -> GoTestSettings:
    _check_keys(data, _TEST, "pipeline.test", where)
    packages = tuple(data.get("packages", GoTestSettings().packages))
    if not packages:
        raise ConfigError(f"{where('pipeline.test', 'packages')}: 'pipeline.test.packages' is empty",
                          "write packages = [\"./...\"] to test every package, or remove the key")
    flags = tuple(data.get("flags", ()))
    for flag in flags:
        name = flag.lstrip("-").split("=", 1)[0]
        if f"-{name}" in _OWN_FLAGS:
            raise ConfigError(f"{where('pipeline.test', 'flags')}: 'pipeline.test.flags' has {flag}, "
                              "which goship sets itself",
                              "remove it: the JSON events, the coverage profile and -race are "
                              "goship's (race = false turns the race detector off)")
    minimum = data.get("coverage-min")
    return GoTestSettings(packages=packages, race=bool(data.get("race", True)),
                          coverage_min=float(minimum) if minimum is not None else None, flags=flags)


def _lint(data: Mapping[str, Any], where: _Where) -> LintSettings:
    _check_keys(data, _LINT, "pipeline.lint", where)
    fail_on = data.get("fail-on", LintSettings().fail_on)
    if fail_on not in LINT_FAIL_ON:
        raise ConfigError(f"{where('pipeline.lint', 'fail-on')}: 'pipeline.lint.fail-on' is '{fail_on}'",
                          f"write one of {', '.join(LINT_FAIL_ON)}")
    dockerfiles = data.get("dockerfiles")
    return LintSettings(dockerfiles=tuple(dockerfiles) if dockerfiles is not None else None,
                        fail_on=fail_on)


def _sign(data: Mapping[str, Any], path: Path, where: _Where) -> SignSettings:
    _check_keys(data, _SIGN, "pipeline.sign", where)
    key: str | None = None
    if "key" in data:
        text = data["key"].strip()
        if not text:
            raise ConfigError(f"{where('pipeline.sign', 'key')}: 'pipeline.sign.key' is empty",
                              "name the private key file, e.g. key = \"cosign.key\" (goship keygen "
                              "writes one)")
        candidate = Path(text).expanduser()
        key = str(candidate if candidate.is_absolute() else path.parent / candidate)
    return SignSettings(key=key, annotations=tuple(sorted(data.get("annotations", {}).items())))


def settings_from_config_table(data: Any, *, path: Path, text: str) -> PipelineSettings:
    """The ``[pipeline]`` table of goship.toml (config.py's reader calls this)."""
    where = _Where(path, text)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:{line_of(text, 'pipeline', None)}: 'pipeline' must be a table",
                          "write [pipeline] above stages = [...], and [pipeline.test] etc. for "
                          "the stages' settings")
    _check_keys(data, _PIPELINE, "pipeline", where)
    stages = _stages(data["stages"], where) if "stages" in data else DEFAULT_STAGES
    return PipelineSettings(
        stages=stages,
        test=_test(data.get("test", {}), where),
        lint=_lint(data.get("lint", {}), where),
        sign=_sign(data.get("sign", {}), path, where),
        source=where("pipeline", "stages") if "stages" in data else str(path),
    )
