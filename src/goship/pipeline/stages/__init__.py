"""One module per stage (or pair of stages); each stage is a function of a StageContext that
returns a StageOutcome and raises a GoshipError, with its exit code, when it fails."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from goship.pipeline.interface import StageContext, StageOutcome

Stage = Callable[[StageContext], StageOutcome]

# stage -> (module in this package, function): loaded when the stage runs
_STAGES = {
    "test": ("gotests", "run_tests"),
    "lint": ("lint", "run_lint"),
    "build": ("build", "run_build"),
    "sbom": ("supply", "run_sbom"),
    "scan": ("supply", "run_scan"),
    "push": ("registry", "run_push"),
    "sign": ("registry", "run_sign"),
    "deploy": ("deploy", "run_deploy"),
}


def stage_function(name: str) -> Stage:
    module, function = _STAGES[name]
    found: Stage = getattr(importlib.import_module(f"goship.pipeline.stages.{module}"), function)
    return found
