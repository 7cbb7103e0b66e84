"""Bad input gets a one-line error, a hint and its documented exit code; nothing is half-written."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import Goship, Result

pytestmark = pytest.mark.integration

USAGE, CONFIG, BUILD, IMAGE, REGISTRY, AUTH, OUTPUT = 2, 3, 4, 5, 6, 7, 8


def assert_clean_failure(result: Result, code: int, *needles: str) -> None:
    assert result.code == code, result.output
    assert "Traceback" not in result.output
    error = result.stderr[result.stderr.index("goship: error: "):]
    assert "\nhint: " in error, error
    for needle in needles:
        assert needle in error, f"{needle!r} not in {error!r}"
    assert result.stdout == ""


def assert_nothing_written(module: Path) -> None:
    assert not (module / ".goship" / "oci").exists()


def test_no_go_mod(goship: Goship, tmp_path: Path) -> None:
    assert_clean_failure(goship("build", cwd=tmp_path), BUILD, "no go.mod")


def test_package_that_is_not_main(goship: Goship, example: Path) -> None:
    (example / "lib").mkdir()
    (example / "lib" / "lib.go").write_text("package lib\n\nfunc F() {}\n")
    assert_clean_failure(goship("build", "./lib", cwd=example), BUILD, "./lib is not a main package")
    assert_nothing_written(example)


def test_package_that_does_not_exist(goship: Goship, example: Path) -> None:
    assert_clean_failure(goship("build", "./cmd/nope", cwd=example), BUILD, "./cmd/nope does not exist")


def test_compile_error_shows_gos_own_message(goship: Goship, example: Path) -> None:
    main = example / "cmd" / "hello" / "main.go"
    main.write_text(main.read_text().replace("flag.Parse()", "flag.Parse()\n\tundefinedThing()"))
    result = goship("build", cwd=example)
    assert_clean_failure(result, BUILD, "undefined: undefinedThing", "main.go:")
    assert_nothing_written(example)


def test_malformed_toml_names_file_and_line(goship: Goship, example: Path) -> None:
    (example / "goship.toml").write_text('platforms = ["linux/amd64"]\nbase = \n')
    assert_clean_failure(goship("build", cwd=example), CONFIG, "goship.toml:2", "malformed TOML")


def test_unknown_key_names_file_line_and_key(goship: Goship, example: Path) -> None:
    (example / "goship.toml").write_text(
        '[[images]]\nname = "hello"\npackage = "./cmd/hello"\nport = 8080\n'
    )
    assert_clean_failure(goship("build", cwd=example), CONFIG, "goship.toml:4", "unknown key 'images.port'")


def test_wrong_type_names_the_key(goship: Goship, example: Path) -> None:
    (example / "goship.toml").write_text('platforms = "linux/amd64"\n')
    assert_clean_failure(goship("build", cwd=example), CONFIG, "goship.toml:1", "'platforms' must be a list")


def test_unknown_platform(goship: Goship, example: Path) -> None:
    assert_clean_failure(goship("build", "--platform", "linux/amd65", cwd=example), USAGE,
                         "unknown platform 'linux/amd65'")
    assert_clean_failure(goship("build", "--platform", "plan9/amd64", cwd=example), USAGE,
                         "unknown platform")


def test_bad_push_reference(goship: Goship, example: Path) -> None:
    assert_clean_failure(goship("build", "--push", "127.0.0.1:5000/Bad Name", cwd=example), USAGE,
                         "not an image reference")
    assert_nothing_written(example)


def test_bad_tag(goship: Goship, example: Path) -> None:
    assert_clean_failure(goship("build", "--tag=-bad", cwd=example), USAGE, "'-bad' is not a valid tag")


def test_missing_go_toolchain(goship: Goship, example: Path) -> None:
    result = goship("build", cwd=example, env={"GOSHIP_GO": "/nonexistent/go"})
    assert_clean_failure(result, BUILD, "/nonexistent/go")


def test_go_version_not_installed(goship: Goship, example: Path) -> None:
    (example / "goship.toml").write_text('go = "1.19.13"\n')
    assert_clean_failure(goship("build", cwd=example), BUILD, "Go 1.19.13 is wanted but not installed")


def test_layout_path_that_is_a_file(goship: Goship, example: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    assert_clean_failure(goship("build", "--oci-layout", str(blocker), cwd=example), OUTPUT, str(blocker))
    assert blocker.read_text() == "not a directory"


def test_unknown_command_line_flag(goship: Goship, example: Path) -> None:
    result = goship("build", "--no-such-flag", cwd=example)
    assert result.code == USAGE and "Traceback" not in result.output
    assert "unrecognized arguments: --no-such-flag" in result.stderr


def test_base_image_that_does_not_exist(goship: Goship, example: Path, registry_plain) -> None:
    result = goship("build", "--base", f"{registry_plain.host}/nothing/here:1", cwd=example)
    assert_clean_failure(result, IMAGE, "nothing/here:1")
    assert_nothing_written(example)


def test_registry_that_is_down(goship: Goship, example: Path) -> None:
    result = goship("build", "--push", "127.0.0.1:9/team/hello", cwd=example)
    assert_clean_failure(result, REGISTRY, "127.0.0.1:9")


def test_registry_that_answers_html(goship: Goship, example: Path, html_server: str) -> None:
    result = goship("build", "--push", f"{html_server}/team/hello", cwd=example)
    assert_clean_failure(result, REGISTRY, html_server)


def test_registry_that_refuses_credentials(goship: Goship, example: Path, registry_tls) -> None:
    result = goship("build", "--push", f"{registry_tls.host}/team/hello", "--ca-file",
                    str(registry_tls.ca_file), cwd=example,
                    env={"GOSHIP_REGISTRY_USERNAME": registry_tls.username,
                         "GOSHIP_REGISTRY_PASSWORD": "wrong-password-123"})
    assert_clean_failure(result, AUTH, registry_tls.host)
    assert "wrong-password-123" not in result.output


def test_registry_with_untrusted_certificate(goship: Goship, example: Path, registry_tls) -> None:
    result = goship("build", "--push", f"{registry_tls.host}/team/hello", cwd=example,
                    env={"GOSHIP_REGISTRY_USERNAME": registry_tls.username,
                         "GOSHIP_REGISTRY_PASSWORD": registry_tls.password})
    assert_clean_failure(result, REGISTRY, "certificate")


def test_registry_that_denies_the_push(goship: Goship, example: Path, registry_token) -> None:
    result = goship("build", "--push", f"{registry_token.host}/team/hello", cwd=example,
                    env={"GOSHIP_REGISTRY_USERNAME": registry_token.reader_username,
                         "GOSHIP_REGISTRY_PASSWORD": registry_token.reader_password})
    assert_clean_failure(result, AUTH, registry_token.host)
    assert registry_token.reader_password not in result.output
