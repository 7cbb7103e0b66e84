"""Secret references, and the Secret `goship deploy` creates at deploy time.

Manifests never hold a secret value: the Deployment refers to each secret variable with a
``secretKeyRef``. Variables whose value comes from the deploying process (``from-env``) or a
file (``from-file``) live in one Secret goship manages, ``<name>-secrets``, created at deploy
time by ``secret_object``; variables naming an existing Secret (``secret`` and ``key``) refer
to it and goship never touches it.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

from goship.deploy.render.labels import metadata
from goship.deploy.settings import DeploySettings, SecretValue
from goship.errors import ConfigError


def secret_name(settings: DeploySettings) -> str:
    """The Secret goship creates for the from-env and from-file variables."""
    return f"{settings.name}-secrets"


def managed(settings: DeploySettings) -> tuple[SecretValue, ...]:
    """The variables whose values goship puts into its own Secret at deploy time."""
    return tuple(secret for secret in settings.secrets if not secret.secret)


def secret_env(settings: DeploySettings) -> list[dict[str, Any]]:
    """The container's ``env`` entries: one secretKeyRef per secret variable, by name."""
    entries = []
    for secret in sorted(settings.secrets, key=lambda item: item.variable):
        if secret.secret:
            reference = {"name": secret.secret, "key": secret.key}
        else:
            reference = {"name": secret_name(settings), "key": secret.variable}
        entries.append({"name": secret.variable, "valueFrom": {"secretKeyRef": reference}})
    return entries


def secret_object(settings: DeploySettings, values: Mapping[str, bytes]) -> dict[str, Any]:
    """The Secret of the from-env and from-file variables, with ``values`` read at deploy
    time (variable -> bytes). Every such variable needs a value, and only those have one."""
    wanted = {secret.variable: secret for secret in managed(settings)}
    unknown = sorted(set(values) - set(wanted))
    if unknown:
        raise ConfigError(f"no secret variable {unknown[0]} is configured for {settings.name}",
                          "list it under [deploy.secrets] with from-env or from-file")
    for variable, secret in wanted.items():
        if variable not in values:
            origin = (f"the environment variable {secret.from_env}" if secret.from_env
                      else f"the file {secret.from_file}")
            raise ConfigError(f"the secret {variable} has no value", f"provide {origin}")
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(settings, secret_name(settings)),
        "type": "Opaque",
        "data": {variable: base64.b64encode(values[variable]).decode("ascii")
                 for variable in sorted(wanted)},
    }


def secret_checksum(values: Mapping[str, bytes]) -> str:
    """A digest of the secret values, for the pod template's annotation: a changed secret
    then rolls the pods as a changed ConfigMap does. Names and values are length-prefixed so
    that no two different sets share a checksum."""
    digest = hashlib.sha256()
    for variable in sorted(values):
        for part in (variable.encode("utf-8"), values[variable]):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
    return f"sha256:{digest.hexdigest()}"
