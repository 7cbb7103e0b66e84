"""goship.toml's [pipeline] table and [pipeline.test], [pipeline.lint], [pipeline.sign]."""

from __future__ import annotations

from pathlib import Path

import pytest

from goship.config import Options, load_config
from goship.errors import ConfigError, ExitCode
from goship.pipeline.settings import (
    DEFAULT_STAGES,
    GoTestSettings,
    LintSettings,
    PipelineSettings,
    SignSettings,
)


def load(directory: Path, text: str) -> PipelineSettings:
    (directory / "goship.toml").write_text(text)
    return load_config(directory, Options(), {}).pipeline


def refused(directory: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load(directory, text)
    assert caught.value.exit_code == ExitCode.CONFIG
    return caught.value


def test_every_table_is_read(tmp_path: Path) -> None:
    settings = load(tmp_path, """\
[pipeline]
stages = ["sign", "push", "build", "test"]

[pipeline.test]
packages = ["./internal/..."]
race = false
coverage-min = 70
flags = ["-short", "-count=1"]

[pipeline.lint]
dockerfiles = ["deploy/Dockerfile"]
fail-on = "warning"

[pipeline.sign]
key = "keys/cosign.key"
annotations = { team = "payments" }
""")

    assert settings.stages == ("test", "build", "push", "sign")  # always in the fixed order
    assert settings.test == GoTestSettings(packages=("./internal/...",), race=False, coverage_min=70.0,
                                           flags=("-short", "-count=1"))
    assert settings.lint == LintSettings(dockerfiles=("deploy/Dockerfile",), fail_on="warning")
    assert settings.sign == SignSettings(key=str(tmp_path / "keys" / "cosign.key"),
                                         annotations=(("team", "payments"),))
    assert settings.source == f"{tmp_path / 'goship.toml'}:2"


def test_without_a_pipeline_table_the_stages_that_need_nothing_more_run(tmp_path: Path) -> None:
    settings = load(tmp_path, 'repository = "registry.example.com/app"\n')

    assert settings == PipelineSettings()
    assert settings.stages == DEFAULT_STAGES == ("test", "lint", "build", "sbom", "scan")
    assert settings.test.race and settings.test.packages == ("./...",)


def test_an_unknown_stage_is_named_with_its_line_and_the_stages(tmp_path: Path) -> None:
    error = refused(tmp_path, 'version = "1.0.0"\n\n[pipeline]\nstages = ["test", "scna"]\n')

    assert error.message == f"{tmp_path / 'goship.toml'}:4: unknown stage 'scna' in 'pipeline.stages'"
    assert "did you mean 'scan'?" in error.hint
    assert "test, lint, build, sbom, scan, push, sign, deploy" in error.hint


def test_a_stage_without_the_stage_it_works_on_is_refused(tmp_path: Path) -> None:
    error = refused(tmp_path, '[pipeline]\nstages = ["test", "build", "sign"]\n')

    assert "'pipeline.stages' has sign but not push" in error.message
    assert 'add "push"' in error.hint


@pytest.mark.parametrize(("text", "message"), [
    ('[pipeline]\nstages = ["test", "test"]\n', "stage 'test' is listed twice"),
    ("[pipeline]\nstages = []\n", "'pipeline.stages' is empty"),
    ('[pipeline]\nstages = "test"\n', "'pipeline.stages' must be a list of stage names"),
    ("[pipeline.test]\ncoverage-min = 120\n", "'pipeline.test.coverage-min' must be a number of percent"),
    ("[pipeline.test]\ncoverage-min = true\n", "'pipeline.test.coverage-min' must be a number of percent"),
    ('[pipeline.test]\nflags = ["-race"]\n', "has -race, which goship sets itself"),
    ('[pipeline.test]\nflags = ["-coverprofile=c.out"]\n', "has -coverprofile=c.out, which goship sets"),
    ("[pipeline.test]\npackages = []\n", "'pipeline.test.packages' is empty"),
    ('[pipeline.lint]\nfail-on = "warn"\n', "'pipeline.lint.fail-on' is 'warn'"),
    ('[pipeline.sign]\nkey = " "\n', "'pipeline.sign.key' is empty"),
    ("pipeline = 3\n", "'pipeline' must be a table"),
])
def test_malformed_settings_are_named(tmp_path: Path, text: str, message: str) -> None:
    assert message in refused(tmp_path, text).message


def test_an_unknown_key_suggests_the_known_one(tmp_path: Path) -> None:
    error = refused(tmp_path, "[pipeline.test]\ncoverage_min = 70\n")

    assert error.message == f"{tmp_path / 'goship.toml'}:2: unknown key 'pipeline.test.coverage_min'"
    assert error.hint.startswith("did you mean 'coverage-min'?")


def test_a_sign_stage_without_a_key_is_accepted_by_the_file_and_left_to_the_run(tmp_path: Path) -> None:
    # `goship build` and `goship pipeline --until scan` need no key: the run checks it.
    settings = load(tmp_path, '[pipeline]\nstages = ["build", "push", "sign"]\n')

    assert settings.sign.key is None and "sign" in settings.stages
