"""`goship ci init` and `goship ci summary` as a user runs them: the file written where the
CI system looks, never replaced behind the user's back (the diff instead, exit code 2), and
clear refusals of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from tests.conftest import Goship
from tests.unit.pipeline.ci.projects import file_errors, make_project

from goship import __version__
from goship.errors import ExitCode

PATHS = {"github": ".github/workflows/goship.yml", "gitlab": ".gitlab-ci.yml", "drone": ".drone.yml"}


@pytest.mark.parametrize("system", sorted(PATHS))
def test_init_writes_the_file_where_the_system_reads_it(tmp_path: Path, goship: Goship, system: str) -> None:
    module = make_project(tmp_path, services=("api", "worker"))

    done = goship("ci", "init", f"--{system}", cwd=module)

    assert done.code == 0, done.output
    written = module / PATHS[system]
    assert f"wrote {PATHS[system]}: jobs verify, staging, release, production; services api, worker; " \
           "Go 1.22.10" in done.stderr
    assert "hint: add the secrets REGISTRY_USERNAME, REGISTRY_PASSWORD, COSIGN_KEY" in done.stderr
    text = written.read_text()
    assert f'"{__version__}"' in text  # pip installs exactly this goship
    assert file_errors(system, text) == []
    assert not list(written.parent.glob(f".{written.name}.*"))  # no temporary file left behind


def test_running_it_again_says_the_file_is_up_to_date(tmp_path: Path, goship: Goship) -> None:
    module = make_project(tmp_path)
    goship("ci", "init", "--gitlab", cwd=module)
    before = (module / ".gitlab-ci.yml").stat().st_mtime_ns

    done = goship("ci", "init", "--gitlab", cwd=module)

    assert done.code == 0
    assert ".gitlab-ci.yml is up to date" in done.stderr
    assert (module / ".gitlab-ci.yml").stat().st_mtime_ns == before


def test_a_file_that_differs_is_not_replaced_and_the_diff_is_shown(tmp_path: Path, goship: Goship) -> None:
    module = make_project(tmp_path)
    own = "steps:\n  - name: build\n    image: golang:1.22\n"
    (module / ".drone.yml").write_text(own)

    refused = goship("ci", "init", "--drone", cwd=module)

    assert refused.code == ExitCode.USAGE
    assert (module / ".drone.yml").read_text() == own
    assert refused.stdout.startswith("--- a/.drone.yml\n+++ b/.drone.yml\n")
    assert "-  - name: build\n" in refused.stdout and "+kind: pipeline\n" in refused.stdout
    assert "goship: error: .drone.yml exists and differs from what goship would write" in refused.stderr
    assert "hint: run `goship ci init --drone --force` to replace it" in refused.stderr

    forced = goship("ci", "init", "--drone", "--force", cwd=module)

    assert forced.code == 0
    assert "replaced .drone.yml" in forced.stderr
    assert (module / ".drone.yml").read_text().count("kind: pipeline") == 2


def test_a_changed_goship_toml_shows_up_as_the_diff(tmp_path: Path, goship: Goship) -> None:
    module = make_project(tmp_path, services=("api",))
    goship("ci", "init", "--github", cwd=module)
    (module / ".go-version").write_text("1.23.2\n")

    done = goship("ci", "init", "--github", cwd=module)

    assert done.code == ExitCode.USAGE
    assert '-  GO_VERSION: "1.22.10"\n+  GO_VERSION: "1.23.2"\n' in done.stdout


def test_stdout_prints_instead_of_writing(tmp_path: Path, goship: Goship) -> None:
    module = make_project(tmp_path)

    done = goship("ci", "init", "--gitlab", "--stdout", cwd=module)

    assert done.code == 0
    assert yaml.safe_load(done.stdout)["production"]["rules"][0]["when"] == "manual"
    assert not (module / ".gitlab-ci.yml").exists()


def test_json_reports_the_jobs_and_secrets(tmp_path: Path, goship: Goship) -> None:
    module = make_project(tmp_path)

    done = goship("ci", "init", "--github", "--json", cwd=module)

    report = json.loads(done.stdout)
    assert report["status"] == "new" and report["path"] == str(module / PATHS["github"])
    assert report["go"] == "1.22.10" and report["default_branch"] == "main"
    assert [job["command"] for job in report["jobs"]] == [
        "goship pipeline --until scan", "goship pipeline --until deploy --env staging",
        "goship pipeline --until push --env production", "goship pipeline --until deploy --env production"]
    assert [job["manual"] for job in report["jobs"]] == [False, False, False, True]
    assert report["jobs"][0]["secrets"] == []


def test_the_file_goes_to_the_repository_root_from_a_module_below_it(tmp_path: Path, goship: Goship) -> None:
    module = make_project(tmp_path, module="services/shop")

    done = goship("ci", "init", "--github", cwd=module / "cmd" / "api")

    assert done.code == 0, done.output
    workflow = yaml.safe_load((tmp_path / PATHS["github"]).read_text())
    assert workflow["defaults"]["run"]["working-directory"] == "services/shop"


def test_two_systems_at_once_are_refused(tmp_path: Path, goship: Goship) -> None:
    module = make_project(tmp_path)

    done = goship("ci", "init", "--github", "--gitlab", cwd=module)
    none = goship("ci", "init", cwd=module)

    assert done.code == ExitCode.USAGE
    assert "argument --gitlab: not allowed with argument --github" in done.stderr
    assert none.code == ExitCode.USAGE
    assert "one of the arguments --github --gitlab --drone is required" in none.stderr
    assert not any((module / path).exists() for path in PATHS.values())


def test_no_goship_toml_is_a_config_error(tmp_path: Path, goship: Goship) -> None:
    module = make_project(tmp_path, git_init=False)
    (module / "goship.toml").unlink()

    done = goship("ci", "init", "--github", cwd=module)

    assert done.code == ExitCode.CONFIG
    assert f"goship: error: no goship.toml in {module}" in done.stderr
    assert "hint: run `goship init` to write one" in done.stderr
    assert "Traceback" not in done.stderr


def test_no_go_module_is_a_build_error(tmp_path: Path, goship: Goship) -> None:
    done = goship("ci", "init", "--drone", cwd=tmp_path)

    assert done.code == ExitCode.BUILD
    assert f"goship: error: no go.mod in {tmp_path} or above" in done.stderr


def test_no_main_package_is_named(tmp_path: Path, goship: Goship) -> None:
    module = make_project(tmp_path, goship_toml='[[images]]\nname = "api"\npackage = "./cmd/gone"\n',
                          git_init=False)

    done = goship("ci", "init", "--gitlab", cwd=module)

    assert done.code == ExitCode.BUILD
    assert "image 'api' (package ./cmd/gone): there is no directory" in done.stderr


def test_an_unknown_environment_is_refused(tmp_path: Path, goship: Goship) -> None:
    module = make_project(tmp_path)

    done = goship("ci", "init", "--github", "--staging", "qa", cwd=module)

    assert done.code == ExitCode.USAGE
    assert "--staging qa: goship.toml has no [environments.qa] (configured: staging, production)" \
        in done.stderr


def test_this_shells_goship_settings_do_not_leak_into_the_file(tmp_path: Path, goship: Goship) -> None:
    module = make_project(tmp_path)

    done = goship("ci", "init", "--github", "--stdout", cwd=module,
                  env={"GOSHIP_GO": "/opt/go/bin/go", "GOSHIP_GO_VERSION": "1.19.1"})

    assert done.code == 0, done.output
    assert 'GO_VERSION: "1.22.10"' in done.stdout


def test_summary_prints_the_junit_report_as_markdown(tmp_path: Path, goship: Goship) -> None:
    report = tmp_path / ".goship" / "reports" / "junit.xml"
    report.parent.mkdir(parents=True)
    report.write_text('<testsuites><testsuite name="example.com/shop" tests="2" failures="1" skipped="0" '
                      'time="0.5"><testcase classname="example.com/shop" name="TestA" time="0.1"/>'
                      '<testcase classname="example.com/shop" name="TestB" time="0.4">'
                      '<failure message="failed">want 2, got 3</failure></testcase></testsuite></testsuites>')

    done = goship("ci", "summary", cwd=tmp_path)
    missing = goship("ci", "summary", "nowhere.xml", cwd=tmp_path)

    assert done.code == 0
    assert done.stdout.startswith("### Go tests failed\n\n2 tests: 1 passed, 1 failed, 0 skipped")
    assert "want 2, got 3" in done.stdout
    assert missing.code == ExitCode.USAGE
    assert "goship: error: no JUnit report at nowhere.xml" in missing.stderr
