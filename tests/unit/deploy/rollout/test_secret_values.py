"""The values of the Secret, read at deploy time; a missing one is named, its value never."""

from __future__ import annotations

from pathlib import Path

import pytest

from goship.deploy.rollout.secretvalues import read_secret_values
from goship.deploy.settings import SecretValue
from goship.errors import UsageError


def test_values_come_from_the_environment_and_files(tmp_path: Path) -> None:
    key = tmp_path / "tls.key"
    key.write_bytes(b"\x00binary\xff")
    secrets = (SecretValue("DB_PASSWORD", from_env="PROD_DB_PASSWORD"),
               SecretValue("TLS_KEY", from_file=str(key)),
               SecretValue("API_TOKEN", secret="shared", key="token"))

    values = read_secret_values(secrets, {"PROD_DB_PASSWORD": "hunter2"})

    assert values == {"DB_PASSWORD": b"hunter2", "TLS_KEY": b"\x00binary\xff"}


def test_an_unset_variable_is_named() -> None:
    with pytest.raises(UsageError) as unset:
        read_secret_values((SecretValue("DB_PASSWORD", from_env="PROD_DB_PASSWORD"),), {"OTHER": "hunter2"})

    assert unset.value.message == ("the secret DB_PASSWORD comes from the environment variable "
                                   "PROD_DB_PASSWORD, which is not set")
    assert "hunter2" not in unset.value.message + unset.value.hint


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as unreadable:
        read_secret_values((SecretValue("TLS_KEY", from_file=str(tmp_path / "missing.key")),), {})

    assert str(tmp_path / "missing.key") in unreadable.value.message
