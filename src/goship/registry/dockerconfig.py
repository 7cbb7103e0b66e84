"""Credentials from Docker's config.json and Podman's auth.json, including credential helpers.

Files are searched in the order Podman documents (containers-auth.json(5)), then Docker's:

1. ``$REGISTRY_AUTH_FILE``
2. ``$XDG_RUNTIME_DIR/containers/auth.json``
3. ``$XDG_CONFIG_HOME/containers/auth.json`` (``~/.config/containers/auth.json``)
4. ``$DOCKER_CONFIG/config.json`` (``~/.docker/config.json``)

Within one file, a per-host ``credHelpers`` entry wins over the default ``credsStore``,
which wins over an ``auths`` entry, as in the Docker CLI. The first file that yields
credentials for a host wins. Files are read lazily, on the first lookup.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from goship.errors import AuthError, ConfigError
from goship.registry.credentials import Credentials, helper_server_url, normalize_host

HELPER_TIMEOUT = 120.0
_NOT_FOUND = "credentials not found"
_IDENTITY_TOKEN_USERNAME = "<token>"  # noqa: S105 - a marker, not a secret


def auth_file_candidates(env: Mapping[str, str], home: Path) -> list[Path]:
    files: list[Path] = []
    if env.get("REGISTRY_AUTH_FILE"):
        files.append(Path(env["REGISTRY_AUTH_FILE"]))
    if env.get("XDG_RUNTIME_DIR"):
        files.append(Path(env["XDG_RUNTIME_DIR"]) / "containers" / "auth.json")
    config_home = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
    files.append(config_home / "containers" / "auth.json")
    docker_dir = Path(env["DOCKER_CONFIG"]) if env.get("DOCKER_CONFIG") else home / ".docker"
    files.append(docker_dir / "config.json")
    return files


class DockerConfigKeychain:
    def __init__(self, files: Sequence[Path], env: Mapping[str, str]) -> None:
        self.files = tuple(files)
        # The environment helpers run with (PATH to find them, HOME, D-Bus for keyrings).
        self._env = dict(env)
        self._loaded: dict[Path, dict[str, Any] | None] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_environment(cls, env: Mapping[str, str], home: Path) -> DockerConfigKeychain:
        return cls(auth_file_candidates(env, home), env)

    def resolve(self, registry_host: str) -> Credentials | None:
        for path in self.files:
            config = self._load(path)
            if config is None:
                continue
            credentials = self._from_config(path, config, registry_host)
            if credentials is not None:
                return credentials
        return None

    def _load(self, path: Path) -> dict[str, Any] | None:
        with self._lock:
            if path not in self._loaded:
                self._loaded[path] = _read_config(path)
            return self._loaded[path]

    def _from_config(
        self, path: Path, config: dict[str, Any], registry_host: str
    ) -> Credentials | None:
        host = normalize_host(registry_host)
        helpers = _mapping(config, "credHelpers", path)
        for key, helper in helpers.items():
            if normalize_host(key) == host and isinstance(helper, str) and helper:
                return self._run_helper(helper, registry_host, path, "credHelpers")
        store = config.get("credsStore")
        if isinstance(store, str) and store:
            credentials = self._run_helper(store, registry_host, path, "credsStore")
            if credentials is not None:
                return credentials
        return _from_auths(path, _mapping(config, "auths", path), registry_host)

    def _run_helper(
        self, name: str, registry_host: str, path: Path, where: str
    ) -> Credentials | None:
        program = f"docker-credential-{name}"
        executable = shutil.which(program, path=self._env.get("PATH", os.defpath))
        if executable is None:
            raise AuthError(
                f"credential helper {program} (named by {where} in {path}) is not on PATH",
                f"install {program}, or remove '{name}' from {where} in {path} and log in "
                "again with `docker login`",
            )
        try:
            completed = subprocess.run(
                [executable, "get"],
                input=helper_server_url(registry_host).encode(),
                capture_output=True,
                env=self._env,
                timeout=HELPER_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise AuthError(
                f"credential helper {program} could not be run for {registry_host}: {exc}",
                f"check that {program} works: echo {registry_host} | {program} get",
            ) from exc
        if completed.returncode != 0:
            said = (completed.stdout + completed.stderr).decode(errors="replace").strip()
            if _NOT_FOUND in said.lower():
                return None
            raise AuthError(
                f"credential helper {program} failed for {registry_host}: "
                f"{said.splitlines()[0][:200] if said else f'exit code {completed.returncode}'}",
                f"check that {program} works: echo {registry_host} | {program} get",
            )
        try:
            answer = json.loads(completed.stdout)
            username = str(answer.get("Username") or "")
            secret = str(answer.get("Secret") or "")
        except (ValueError, AttributeError) as exc:
            # Never echo the output: it may hold the secret.
            raise AuthError(
                f"credential helper {program} did not answer JSON for {registry_host}",
                f"check that {program} works: echo {registry_host} | {program} get",
            ) from exc
        if not username and not secret:
            return None
        if username == _IDENTITY_TOKEN_USERNAME:
            return Credentials(identity_token=secret)
        return Credentials(username=username, password=secret)


def _read_config(path: Path) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read registry credentials from {path}: {exc}",
            f"fix the permissions of {path} or remove it",
        ) from exc
    if not text.strip():
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"cannot read registry credentials from {path}: not valid JSON "
            f"({exc.msg} at line {exc.lineno} column {exc.colno})",
            f"fix {path}, or remove it and log in again with `docker login`",
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(
            f"cannot read registry credentials from {path}: not a JSON object",
            f"fix {path}, or remove it and log in again with `docker login`",
        )
    return data


def _mapping(config: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = config.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(
            f"cannot read registry credentials from {path}: '{key}' is not a JSON object",
            f"fix {path}, or remove it and log in again with `docker login`",
        )
    return value


def _from_auths(path: Path, auths: dict[str, Any], registry_host: str) -> Credentials | None:
    host = normalize_host(registry_host)
    # An exact key beats a key that only normalises to the host (e.g. with a scheme, or
    # Podman's per-repository keys like quay.io/team).
    keys = sorted(auths, key=lambda key: (key != registry_host, key))
    for key in keys:
        if normalize_host(key) != host:
            continue
        entry = auths[key]
        if not isinstance(entry, dict):
            raise ConfigError(
                f"cannot read registry credentials from {path}: auths entry '{key}' "
                "is not a JSON object",
                f"fix {path}, or log in again with `docker login {host}`",
            )
        credentials = _from_entry(path, key, entry)
        if credentials is not None:
            return credentials
    return None


def _from_entry(path: Path, key: str, entry: dict[str, Any]) -> Credentials | None:
    identity_token = str(entry.get("identitytoken") or "")
    username = str(entry.get("username") or "")
    password = str(entry.get("password") or "")
    encoded = entry.get("auth")
    if isinstance(encoded, str) and encoded:
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, ValueError) as exc:
            raise ConfigError(
                f"cannot read registry credentials from {path}: the 'auth' of '{key}' "
                "is not base64 of username:password",
                f"log in again with `docker login {normalize_host(key)}`",
            ) from exc
        if ":" not in decoded:
            raise ConfigError(
                f"cannot read registry credentials from {path}: the 'auth' of '{key}' "
                "does not hold username:password",
                f"log in again with `docker login {normalize_host(key)}`",
            )
        username, _, password = decoded.partition(":")
    if identity_token:
        return Credentials(username=username, identity_token=identity_token)
    if username or password:
        return Credentials(username=username, password=password)
    return None
