"""The values of the secret variables, read at deploy time from the deploying process's
environment (``from-env``) or from files (``from-file``). goship.toml only names where they
come from; the values go into the Secret and nowhere else (never into a message or a log)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from goship.deploy.settings import SecretValue
from goship.errors import UsageError


def read_secret_values(secrets: Sequence[SecretValue], environ: Mapping[str, str]) -> dict[str, bytes]:
    """variable -> value for every secret goship manages (not the ones naming an existing
    Secret). ``environ`` is the deploying process's environment, as the caller read it."""
    values: dict[str, bytes] = {}
    for secret in secrets:
        if secret.secret:
            continue
        if secret.from_env:
            if secret.from_env not in environ:
                raise UsageError(f"the secret {secret.variable} comes from the environment variable "
                                 f"{secret.from_env}, which is not set",
                                 f"export {secret.from_env} in the environment that runs goship deploy")
            values[secret.variable] = environ[secret.from_env].encode("utf-8")
        elif secret.from_file:
            try:
                with open(secret.from_file, "rb") as handle:  # noqa: PTH123 - a plain read of a secret file
                    values[secret.variable] = handle.read()
            except OSError as exc:
                raise UsageError(f"the secret {secret.variable} comes from the file {secret.from_file}, "
                                 f"which cannot be read: {exc.strerror}",
                                 "create the file (or fix from-file in goship.toml) before "
                                 "deploying") from exc
    return values
