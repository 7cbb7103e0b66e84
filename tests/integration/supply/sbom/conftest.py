"""The SBOM tests' Go programs (programs.py), written and built once per test module."""

from __future__ import annotations

import pytest
from tests.integration.supply.sbom.programs import Programs


@pytest.fixture(scope="module")
def programs(base_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Programs:
    return Programs(tmp_path_factory.mktemp("sbom-programs"), base_env)
