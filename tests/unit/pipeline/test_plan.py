"""Planning a run: the stages up to --until, the environment and its tags, the push targets,
and the settings a stage of the run needs, named before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from goship.config import Config, Options, load_config
from goship.errors import ConfigError, ExitCode, UsageError
from goship.pipeline.interface import PushTarget
from goship.pipeline.plan import plan_pipeline, selected_stages

ENVIRONMENTS = """
[environments.dev]
repository = "registry.example.com/team/app-dev"
branches = ["feature/*"]
tags = ["dev-{short_commit}", "latest-{env}"]

[environments.staging]
branches = ["main"]
tags = ["{version}", "latest-{env}"]
"""


def config_of(directory: Path, text: str, **env: str) -> Config:
    """The Config of a module in DIRECTORY/app (its image is called app)."""
    module = directory / "app"
    module.mkdir(exist_ok=True)
    (module / "go.mod").write_text("module example.com/app\n\ngo 1.22\n")
    (module / "goship.toml").write_text(text)
    return load_config(module, Options(), {"PATH": "/usr/bin:/bin", **env})


def test_until_stops_at_that_stage_of_the_fixed_order(tmp_path: Path) -> None:
    config = config_of(tmp_path, '[pipeline]\nstages = ["test", "build", "push", "sign"]\n')

    assert selected_stages(config, None) == ("test", "build", "push", "sign")
    assert selected_stages(config, "build") == ("test", "build")
    assert selected_stages(config, "scan") == ("test", "build")  # scan is not configured: up to its place
    assert selected_stages(config, "deploy") == ("test", "build", "push", "sign")


def test_an_unknown_until_stage_is_a_usage_error_listing_the_stages(tmp_path: Path) -> None:
    config = config_of(tmp_path, "")

    with pytest.raises(UsageError) as caught:
        plan_pipeline(config, until="scna")

    assert caught.value.exit_code == ExitCode.USAGE
    assert caught.value.message == "--until: unknown stage 'scna'"
    assert caught.value.hint == ("did you mean 'scan'? the stages, in the order they run: test, lint, "
                                 "build, sbom, scan, push, sign, deploy")


def test_until_before_every_configured_stage_is_refused(tmp_path: Path) -> None:
    config = config_of(tmp_path, '[pipeline]\nstages = ["build", "push"]\n')

    with pytest.raises(UsageError, match="no configured stage comes at or before lint"):
        plan_pipeline(config, until="lint")


def test_signing_without_a_key_names_the_key(tmp_path: Path) -> None:
    config = config_of(tmp_path, 'repository = "registry.example.com/app"\n'
                                 '[pipeline]\nstages = ["build", "push", "sign"]\n')

    with pytest.raises(ConfigError) as caught:
        plan_pipeline(config)

    assert caught.value.message.startswith("[pipeline.sign] key is not set")
    assert 'key = "cosign.key"' in caught.value.hint
    assert plan_pipeline(config, until="push").stages == ("build", "push")  # not needed before sign


def test_a_key_file_that_is_not_there_is_named(tmp_path: Path) -> None:
    config = config_of(tmp_path, 'repository = "registry.example.com/app"\n'
                                 '[pipeline]\nstages = ["build", "push", "sign"]\n'
                                 '[pipeline.sign]\nkey = "missing.key"\n')

    with pytest.raises(ConfigError, match=r"\[pipeline.sign\] key names .*missing.key, which is not a file"):
        plan_pipeline(config)


def test_pushing_without_a_repository_names_the_key(tmp_path: Path) -> None:
    config = config_of(tmp_path, '[pipeline]\nstages = ["build", "push"]\n')

    with pytest.raises(ConfigError) as caught:
        plan_pipeline(config)

    assert "`repository` is not set in goship.toml" in caught.value.message
    assert "GOSHIP_REPOSITORY" in caught.value.hint
    assert plan_pipeline(config, until="build").targets == ()


def test_without_environments_the_tags_are_those_of_goship_build(tmp_path: Path) -> None:
    config = config_of(tmp_path, 'repository = "registry.example.com/team/app"\ntags = ["edge", "stable"]\n'
                                 '[pipeline]\nstages = ["build", "push"]\n')

    plan = plan_pipeline(config)

    assert plan.environment is None
    assert plan.tags == ("edge", "stable")
    assert plan.targets == (PushTarget("app", "registry.example.com/team/app"),)
    assert plan.layout == tmp_path / "app" / ".goship" / "oci"
    assert plan.reports == tmp_path / "app" / ".goship" / "reports"


def test_the_branch_chooses_the_environment_its_repository_and_tags(tmp_path: Path) -> None:
    config = config_of(tmp_path, 'repository = "registry.example.com/team/app"\nversion = "1.4.0"\n'
                                 '[pipeline]\nstages = ["build", "push"]\n' + ENVIRONMENTS,
                       GOSHIP_BRANCH="main")

    plan = plan_pipeline(config)

    assert plan.environment is not None and plan.environment.name == "staging"
    assert plan.tags == ("1.4.0", "latest-staging")
    assert plan.targets == (PushTarget("app", "registry.example.com/team/app"),)

    dev = plan_pipeline(config, environment="dev")
    assert dev.targets == (PushTarget("app", "registry.example.com/team/app-dev"),)
    assert dev.tags == ("dev-", "latest-dev")  # no git commit here


def test_a_run_that_neither_pushes_nor_deploys_needs_no_environment(tmp_path: Path) -> None:
    config = config_of(tmp_path, '[pipeline]\nstages = ["test", "build"]\n' + ENVIRONMENTS,
                       GOSHIP_BRANCH="experiment")  # matches no environment's branches

    assert plan_pipeline(config).environment is None
    with pytest.raises(UsageError, match="unknown environment 'prod'"):
        plan_pipeline(config, environment="prod")


def test_deploying_needs_an_environment(tmp_path: Path) -> None:
    config = config_of(tmp_path, 'repository = "registry.example.com/app"\n'
                                 '[pipeline]\nstages = ["build", "push", "deploy"]\n')

    with pytest.raises(ConfigError, match=r"the deploy stage needs an environment.*\[environments.NAME\]"):
        plan_pipeline(config)
