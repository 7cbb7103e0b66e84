"""Credential lookup from Docker/Podman config files and credential helpers."""

from __future__ import annotations

import base64
import json
import os
import stat
import sys
from pathlib import Path

import pytest

from goship.errors import AuthError, ConfigError, ExitCode
from goship.registry.keychain import (
    AnonymousKeychain,
    Credentials,
    DockerConfigKeychain,
    MultiKeychain,
    StaticKeychain,
)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def write_json(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


def make_helper(directory: Path, name: str, store: dict[str, dict[str, str]]) -> Path:
    """A fake ``docker-credential-<name>`` speaking the helper protocol; it logs the server
    URLs it is asked for to ``calls.log`` beside it."""
    if sys.platform == "win32":
        pytest.skip("the fake credential helper is a POSIX script")
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / f"docker-credential-{name}"
    log = directory / "calls.log"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"store = {store!r}\n"
        "action = sys.argv[1]\n"
        "server = sys.stdin.read().strip()\n"
        f"open({str(log)!r}, 'a').write(action + ' ' + server + '\\n')\n"
        "if server not in store:\n"
        "    print('credentials not found in native keychain')\n"
        "    sys.exit(1)\n"
        "print(json.dumps(dict(store[server], ServerURL=server)))\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script


def env_with(path_dir: Path | None = None, **values: str) -> dict[str, str]:
    env = dict(values)
    if path_dir is not None:
        env["PATH"] = str(path_dir) + os.pathsep + "/usr/bin:/bin"
    return env


def test_auths_with_base64_auth(tmp_path: Path, home: Path) -> None:
    write_json(home / ".docker/config.json",
               {"auths": {"127.0.0.1:5000": {"auth": b64("alice:pa:ss")}}})
    keychain = DockerConfigKeychain.from_environment({}, home)
    assert keychain.resolve("127.0.0.1:5000") == Credentials("alice", "pa:ss")
    assert keychain.resolve("127.0.0.1:5001") is None


def test_auths_with_username_password_and_identity_token(home: Path) -> None:
    write_json(home / ".docker/config.json", {"auths": {
        "reg.example": {"username": "bob", "password": "pw"},
        "tok.example": {"auth": b64("carol:"), "identitytoken": "refresh-me"},
    }})
    keychain = DockerConfigKeychain.from_environment({}, home)
    assert keychain.resolve("reg.example") == Credentials("bob", "pw")
    assert keychain.resolve("tok.example") == Credentials("carol", identity_token="refresh-me")


@pytest.mark.parametrize("registry", ["docker.io", "index.docker.io", "registry-1.docker.io"])
def test_docker_hub_v1_key_serves_every_hub_alias(home: Path, registry: str) -> None:
    write_json(home / ".docker/config.json",
               {"auths": {"https://index.docker.io/v1/": {"auth": b64("hubuser:hubpw")}}})
    keychain = DockerConfigKeychain.from_environment({}, home)
    assert keychain.resolve(registry) == Credentials("hubuser", "hubpw")


def test_keys_with_scheme_and_path_match_the_host(home: Path) -> None:
    write_json(home / ".docker/config.json",
               {"auths": {"https://reg.example:5000/v2/": {"auth": b64("u:p")}}})
    keychain = DockerConfigKeychain.from_environment({}, home)
    assert keychain.resolve("reg.example:5000") == Credentials("u", "p")
    assert keychain.resolve("REG.EXAMPLE:5000") == Credentials("u", "p")


def test_docker_config_variable_moves_the_file(tmp_path: Path, home: Path) -> None:
    write_json(home / ".docker/config.json", {"auths": {"r.example": {"auth": b64("home:x")}}})
    write_json(tmp_path / "elsewhere/config.json",
               {"auths": {"r.example": {"auth": b64("moved:y")}}})
    keychain = DockerConfigKeychain.from_environment(
        {"DOCKER_CONFIG": str(tmp_path / "elsewhere")}, home
    )
    assert keychain.resolve("r.example") == Credentials("moved", "y")


def test_registry_auth_file_is_checked_before_docker_config(tmp_path: Path, home: Path) -> None:
    write_json(home / ".docker/config.json", {"auths": {
        "r.example": {"auth": b64("docker:1")}, "only-docker.example": {"auth": b64("d:2")},
    }})
    podman = write_json(tmp_path / "podman/auth.json",
                        {"auths": {"r.example": {"auth": b64("podman:3")}}})
    keychain = DockerConfigKeychain.from_environment({"REGISTRY_AUTH_FILE": str(podman)}, home)
    assert keychain.resolve("r.example") == Credentials("podman", "3")
    # A host the first file does not know falls through to the next one.
    assert keychain.resolve("only-docker.example") == Credentials("d", "2")


def test_xdg_runtime_dir_auth_json(tmp_path: Path, home: Path) -> None:
    write_json(tmp_path / "run/containers/auth.json",
               {"auths": {"quay.io/team": {"auth": b64("robot:tok")}}})
    write_json(home / ".docker/config.json", {"auths": {"quay.io": {"auth": b64("docker:x")}}})
    keychain = DockerConfigKeychain.from_environment({"XDG_RUNTIME_DIR": str(tmp_path / "run")},
                                                     home)
    assert keychain.resolve("quay.io") == Credentials("robot", "tok")


def test_cred_helper_per_host(tmp_path: Path, home: Path) -> None:
    bin_dir = tmp_path / "bin"
    make_helper(bin_dir, "test", {"reg.example": {"Username": "helped", "Secret": "s3cret"}})
    write_json(home / ".docker/config.json", {
        "credHelpers": {"reg.example": "test"},
        "auths": {"reg.example": {"auth": b64("from-auths:x")}},
    })
    keychain = DockerConfigKeychain.from_environment(env_with(bin_dir), home)
    assert keychain.resolve("reg.example") == Credentials("helped", "s3cret")
    assert (bin_dir / "calls.log").read_text() == "get reg.example\n"


def test_creds_store_with_identity_token_and_hub_server_url(tmp_path: Path, home: Path) -> None:
    bin_dir = tmp_path / "bin"
    make_helper(bin_dir, "store", {
        "https://index.docker.io/v1/": {"Username": "<token>", "Secret": "refresh-token"},
    })
    write_json(home / ".docker/config.json", {
        "credsStore": "store",
        "auths": {"fallback.example": {"auth": b64("filed:pw")}},
    })
    keychain = DockerConfigKeychain.from_environment(env_with(bin_dir), home)
    assert keychain.resolve("docker.io") == Credentials(identity_token="refresh-token")
    # Not in the store: the auths entry of the same file is used.
    assert keychain.resolve("fallback.example") == Credentials("filed", "pw")
    assert keychain.resolve("unknown.example") is None
    assert "get https://index.docker.io/v1/" in (bin_dir / "calls.log").read_text()


def test_missing_helper_binary_is_an_auth_error_naming_the_file(tmp_path: Path,
                                                                 home: Path) -> None:
    config = write_json(home / ".docker/config.json", {"credHelpers": {"reg.example": "nope"}})
    keychain = DockerConfigKeychain.from_environment(env_with(tmp_path / "empty-bin"), home)
    with pytest.raises(AuthError) as caught:
        keychain.resolve("reg.example")
    assert "docker-credential-nope" in caught.value.message
    assert str(config) in caught.value.message
    assert caught.value.hint
    assert caught.value.exit_code == ExitCode.AUTH


def test_failing_helper_is_an_auth_error(tmp_path: Path, home: Path) -> None:
    if sys.platform == "win32":
        pytest.skip("POSIX script")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "docker-credential-broken"
    script.write_text("#!/bin/sh\necho 'keyring is locked' >&2\nexit 3\n")
    script.chmod(0o755)
    write_json(home / ".docker/config.json", {"credsStore": "broken"})
    keychain = DockerConfigKeychain.from_environment(env_with(bin_dir), home)
    with pytest.raises(AuthError, match=r"docker-credential-broken failed.*keyring is locked"):
        keychain.resolve("reg.example")


def test_malformed_config_is_a_config_error_naming_the_file(home: Path) -> None:
    config = home / ".docker/config.json"
    config.parent.mkdir()
    config.write_text('{"auths": {"r": ')
    keychain = DockerConfigKeychain.from_environment({}, home)
    with pytest.raises(ConfigError) as caught:
        keychain.resolve("r")
    assert str(config) in caught.value.message
    assert "not valid JSON" in caught.value.message
    assert caught.value.exit_code == ExitCode.CONFIG


def test_bad_base64_auth_is_a_config_error_without_the_value(home: Path) -> None:
    write_json(home / ".docker/config.json", {"auths": {"r.example": {"auth": "%%%secret%%%"}}})
    keychain = DockerConfigKeychain.from_environment({}, home)
    with pytest.raises(ConfigError) as caught:
        keychain.resolve("r.example")
    assert "r.example" in caught.value.message
    assert "secret" not in caught.value.message


def test_no_files_means_anonymous(home: Path) -> None:
    assert DockerConfigKeychain.from_environment({}, home).resolve("r.example") is None


def test_static_keychain_limited_to_hosts_and_multi_keychain_order(home: Path) -> None:
    write_json(home / ".docker/config.json", {"auths": {
        "a.example": {"auth": b64("file:1")}, "b.example": {"auth": b64("file:2")},
    }})
    keychain = MultiKeychain(
        StaticKeychain.from_username_password("explicit", "pw", ("a.example",)),
        DockerConfigKeychain.from_environment({}, home),
    )
    assert keychain.resolve("a.example") == Credentials("explicit", "pw")
    assert keychain.resolve("b.example") == Credentials("file", "2")
    assert StaticKeychain(Credentials("x", "y")).resolve("any.example") == Credentials("x", "y")
    assert AnonymousKeychain().resolve("a.example") is None


def test_multi_keychain_refuses_an_empty_list() -> None:
    with pytest.raises(ValueError, match="at least one"):
        MultiKeychain()
