"""What a CI file is made of, read from the project: the Go version it pins, the services,
the environments deployed automatically and after approval, the secrets each job needs,
the module's place in the repository, and what the user is told."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.pipeline.ci.projects import MAIN, PIPELINE, git, make_project, pipeline_of

from goship.errors import BuildError, ConfigError, ExitCode, UsageError
from goship.pipeline.ci.model import CIPipeline, Trigger


def jobs(pipeline: CIPipeline) -> dict[str, tuple[str, str, str | None, bool]]:
    return {job.name: (job.trigger.name, job.until, job.environment, job.manual) for job in pipeline.jobs}


def secrets(pipeline: CIPipeline, job: str) -> list[str]:
    found = pipeline.job(job)
    assert found is not None
    return [secret.name for secret in found.secrets]


def test_staging_from_the_default_branch_and_production_after_approval(tmp_path: Path) -> None:
    pipeline = pipeline_of(make_project(tmp_path))

    assert jobs(pipeline) == {"verify": ("CHANGE", "scan", None, False),
                              "staging": ("DEFAULT_BRANCH", "deploy", "staging", False),
                              "release": ("RELEASE_TAG", "push", "production", False),
                              "production": ("FINAL_TAG", "deploy", "production", True)}
    assert pipeline.job("production").after == "release"  # type: ignore[union-attr]
    assert pipeline.default_branch == "main"


def test_a_pull_request_gets_no_secret_and_only_deploy_jobs_get_the_kubeconfig(tmp_path: Path) -> None:
    pipeline = pipeline_of(make_project(tmp_path))

    assert secrets(pipeline, "verify") == []
    assert secrets(pipeline, "release") == ["REGISTRY_USERNAME", "REGISTRY_PASSWORD", "COSIGN_KEY",
                                            "COSIGN_PASSWORD"]
    assert secrets(pipeline, "staging") == [*secrets(pipeline, "release"), "KUBECONFIG"]
    key = next(secret for secret in pipeline.secrets if secret.name == "COSIGN_KEY")
    assert key.path == "cosign.key" and key.is_file


def test_the_go_version_comes_from_the_project_pin(tmp_path: Path) -> None:
    go_version_file = make_project(tmp_path / "a", go_version="1.23.4")
    toolchain = make_project(tmp_path / "b", go_version=None,
                             go_mod="module example.com/shop\n\ngo 1.22.0\n\ntoolchain go1.22.7\n")
    go_line = make_project(tmp_path / "c", go_version=None, go_mod="module example.com/shop\n\ngo 1.21.3\n")

    assert pipeline_of(go_version_file).go.install == "1.23.4"
    assert pipeline_of(go_version_file).go.source == ".go-version"
    assert pipeline_of(toolchain).go.install == "1.22.7"
    assert pipeline_of(go_line).go.install == "1.21"  # the newest 1.21.x is installed
    assert pipeline_of(go_line).go.source == "the go line of go.mod"
    assert pipeline_of(toolchain).go.source == "the toolchain line of go.mod"


def test_goship_toml_go_as_a_version_wins_and_as_a_path_is_refused(tmp_path: Path) -> None:
    toml = 'go = "{}"\n[[images]]\nname = "api"\npackage = "./cmd/api"\n'
    as_version = make_project(tmp_path / "a", goship_toml=toml.format("1.24.1"))
    as_path = make_project(tmp_path / "b", goship_toml=toml.format("/usr/local/go"))

    assert pipeline_of(as_version).go.install == "1.24.1"
    with pytest.raises(ConfigError) as caught:
        pipeline_of(as_path)
    assert "a path on this machine" in caught.value.message
    assert caught.value.exit_code == ExitCode.CONFIG


def test_no_goship_toml_is_refused_with_what_to_run(tmp_path: Path) -> None:
    module = make_project(tmp_path, git_init=False)
    (module / "goship.toml").unlink()

    with pytest.raises(ConfigError) as caught:
        pipeline_of(module)

    assert caught.value.message == f"no goship.toml in {module}"
    assert "goship init" in caught.value.hint


def test_an_image_that_is_not_a_main_package_is_refused(tmp_path: Path) -> None:
    toml = '[[images]]\nname = "lib"\npackage = "./internal/lib"\n'
    module = make_project(tmp_path, goship_toml=toml, git_init=False)
    (module / "internal" / "lib").mkdir(parents=True)
    (module / "internal" / "lib" / "lib.go").write_text("package lib\n")
    missing = make_project(tmp_path / "other", goship_toml='[[images]]\npackage = "./cmd/gone"\n',
                           git_init=False)

    with pytest.raises(BuildError) as not_main:
        pipeline_of(module)
    with pytest.raises(BuildError) as no_directory:
        pipeline_of(missing)

    assert "image 'lib' (package ./internal/lib)" in not_main.value.message
    assert "holds no main package" in not_main.value.message
    assert "there is no directory" in no_directory.value.message
    assert not_main.value.exit_code == ExitCode.BUILD


def test_without_images_the_module_root_must_be_a_main_package(tmp_path: Path) -> None:
    module = make_project(tmp_path, goship_toml="", git_init=False)
    with pytest.raises(BuildError, match="holds no main package"):
        pipeline_of(module)

    (module / "main.go").write_text(MAIN)
    assert [service.package for service in pipeline_of(module).services] == ["."]


def test_several_images_are_a_matrix(tmp_path: Path) -> None:
    pipeline = pipeline_of(make_project(tmp_path, services=("api", "worker", "mailer")))

    assert pipeline.matrix
    assert [(service.name, service.package) for service in pipeline.services] == [
        ("api", "./cmd/api"), ("worker", "./cmd/worker"), ("mailer", "./cmd/mailer")]


def test_environments_can_be_named_on_the_command_line(tmp_path: Path) -> None:
    toml = ('[[images]]\nname = "api"\npackage = "./cmd/api"\n[pipeline]\nstages = ["test", "build", "push", '
            '"deploy"]\n[environments.qa]\nbranches = ["develop"]\n[environments.live]\n')
    module = make_project(tmp_path, goship_toml=toml)

    named = pipeline_of(module, staging="qa", production="live")
    unnamed = pipeline_of(module)

    assert jobs(named)["staging"] == ("DEFAULT_BRANCH", "deploy", "qa", False)
    assert jobs(named)["production"] == ("FINAL_TAG", "deploy", "live", True)
    assert set(jobs(unnamed)) == {"verify", "publish", "release"}  # nothing to deploy to by default
    assert any("no production environment" in note for note in unnamed.notes)
    with pytest.raises(UsageError) as caught:
        pipeline_of(module, production="prod")
    assert caught.value.message == \
        "--production prod: goship.toml has no [environments.prod] (configured: qa, live)"


def test_the_environment_matching_the_default_branch_is_staging(tmp_path: Path) -> None:
    toml = ('[[images]]\nname = "api"\npackage = "./cmd/api"\n[pipeline]\nstages = ["test", "build", "push", '
            '"deploy"]\n[environments.dev]\nbranches = ["feature/*"]\n[environments.int]\n'
            'branches = ["trunk"]\n[environments.prod]\n')
    module = make_project(tmp_path, goship_toml=toml)

    pipeline = pipeline_of(module, default_branch="trunk")

    assert jobs(pipeline)["staging"][2] == "int"
    assert jobs(pipeline)["production"][2] == "prod"


def test_without_a_deploy_stage_the_default_branch_and_tags_only_push(tmp_path: Path) -> None:
    toml = ('repository = "registry.example.com/shop"\n[[images]]\nname = "api"\npackage = "./cmd/api"\n'
            '[pipeline]\nstages = ["test", "build", "push"]\n[environments.staging]\nbranches = ["main"]\n'
            '[environments.production]\n')
    pipeline = pipeline_of(make_project(tmp_path, goship_toml=toml))

    assert jobs(pipeline) == {"verify": ("CHANGE", "scan", None, False),
                              "publish": ("DEFAULT_BRANCH", "push", "staging", False),
                              "release": ("RELEASE_TAG", "push", "production", False)}
    assert secrets(pipeline, "publish") == ["REGISTRY_USERNAME", "REGISTRY_PASSWORD"]  # no signing
    assert any("has no sign, deploy" in note for note in pipeline.notes)


def test_a_committed_signing_key_needs_only_its_password(tmp_path: Path) -> None:
    module = make_project(tmp_path, gitignore="")
    (module / "cosign.key").write_text("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
    git(module, "add", "cosign.key")
    git(module, "commit", "-q", "-m", "the encrypted key")

    pipeline = pipeline_of(module)

    assert "COSIGN_KEY" not in secrets(pipeline, "release")
    assert "COSIGN_PASSWORD" in secrets(pipeline, "release")


def test_a_key_git_does_not_ignore_gets_a_note(tmp_path: Path) -> None:
    pipeline = pipeline_of(make_project(tmp_path, gitignore="*.log\n"))

    assert any(note.startswith("add cosign.key to .gitignore") for note in pipeline.notes)


def test_deploy_secrets_read_from_the_environment_are_passed_to_deploy_jobs(tmp_path: Path) -> None:
    toml = ('repository = "registry.example.com/shop"\n[[images]]\nname = "api"\npackage = "./cmd/api"\n'
            '[pipeline]\nstages = ["test", "build", "push", "deploy"]\n[deploy]\n'
            'secrets = { DB_PASSWORD = { from-env = "SHOP_DB_PASSWORD" } }\n'
            '[environments.staging]\nbranches = ["main"]\n[environments.production]\n')
    pipeline = pipeline_of(make_project(tmp_path, goship_toml=toml))

    assert "SHOP_DB_PASSWORD" in secrets(pipeline, "staging")
    assert "SHOP_DB_PASSWORD" in secrets(pipeline, "production")
    assert "SHOP_DB_PASSWORD" not in secrets(pipeline, "release")


def test_a_module_in_a_subdirectory_runs_there(tmp_path: Path) -> None:
    module = make_project(tmp_path, module="services/shop")

    pipeline = pipeline_of(module)

    assert pipeline.workdir == "services/shop"
    assert pipeline.key_files == ("services/shop/go.sum",)
    assert pipeline.in_repository(".goship/reports") == "services/shop/.goship/reports"
    assert next(secret.path for secret in pipeline.secrets if secret.name == "COSIGN_KEY") == \
        "services/shop/cosign.key"


def test_without_go_sum_the_cache_key_comes_from_go_mod(tmp_path: Path) -> None:
    assert pipeline_of(make_project(tmp_path, go_sum=False)).key_files == ("go.mod",)


def test_the_default_branch_is_origins_head(tmp_path: Path) -> None:
    upstream = make_project(tmp_path / "upstream")
    git(upstream, "branch", "-m", "main", "trunk")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(upstream), str(clone))
    git(clone, "checkout", "-q", "-b", "feature/x")

    assert pipeline_of(clone).default_branch == "trunk"


def test_outside_git_the_default_branch_is_main_and_a_note_says_so(tmp_path: Path) -> None:
    pipeline = pipeline_of(make_project(tmp_path, git_init=False))

    assert pipeline.default_branch == "main"
    assert any("not in a git work tree" in note for note in pipeline.notes)


def test_no_repository_anywhere_gets_a_note(tmp_path: Path) -> None:
    toml = '[[images]]\nname = "api"\npackage = "./cmd/api"\n' + PIPELINE
    pipeline = pipeline_of(make_project(tmp_path, goship_toml=toml))

    assert any("names no repository" in note for note in pipeline.notes)


def test_triggers_describe_themselves() -> None:
    assert Trigger.FINAL_TAG.value == "a release tag without a pre-release part"
