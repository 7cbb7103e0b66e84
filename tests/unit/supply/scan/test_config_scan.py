"""goship.toml's [scan] table and [[scan.waiver]] tables, and the flags over them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from goship.config import Options, load_config
from goship.config_scan import find_scan_settings, resolve_scan_settings
from goship.errors import ConfigError, ExitCode, UsageError
from goship.supply.scan.interface import ScanSettings, Waiver

VALID = """\
[scan]
fail-on = "high"
db = "vulndb"

[[scan.waiver]]
id = "GO-2022-0229"
reason = "only 64-bit builds"
expires = 2026-12-31

[[scan.waiver]]
id = "CVE-2022-31836"
reason = "the router is not exposed"
expires = "2026-06-30"
module = "github.com/beego/beego/v2"
image = "registry.example.com/api:*"
"""


def write(directory: Path, text: str) -> Path:
    (directory / "goship.toml").write_text(text)
    return directory / "goship.toml"


def test_the_scan_table_is_read_into_the_config(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)

    config = load_config(tmp_path, Options(), {})

    assert config.scan == ScanSettings(
        fail_on="high",
        database=str(tmp_path / "vulndb"),  # relative to goship.toml
        waivers=(
            Waiver("GO-2022-0229", "only 64-bit builds", date(2026, 12, 31), location=f"{path}:6"),
            Waiver("CVE-2022-31836", "the router is not exposed", date(2026, 6, 30),
                   module="github.com/beego/beego/v2", image="registry.example.com/api:*",
                   location=f"{path}:11"),
        ),
        source=str(path),
    )


def test_without_a_scan_table_the_defaults_apply(tmp_path: Path) -> None:
    write(tmp_path, 'repository = "registry.example.com/app"\n')

    assert load_config(tmp_path, Options(), {}).scan == ScanSettings()
    assert find_scan_settings(tmp_path).fail_on == "any"


@pytest.mark.parametrize(("text", "line", "says"), [
    ('[scan]\nfail-on = "severe"\n', 2, "'scan.fail-on' is 'severe'"),
    ('[scan]\nfail_on = "high"\n', 2, "unknown key 'scan.fail_on'"),
    ('[scan]\ndb = ""\n', 2, "'scan.db' is empty"),
    ("[scan]\n\n[[scan.waiver]]\nid = \"GO-2022-0229\"\nexpires = 2026-12-31\n", 3, "has no 'reason'"),
    ("[[scan.waiver]]\nid = \"GO-2022-0229\"\nreason = \"x\"\n", 1, "has no 'expires'"),
    ("[[scan.waiver]]\nid = \"GO-1\"\nreason = \"x\"\nexpires = 2026-12-31\n"
     "[[scan.waiver]]\nid = \"GO-2\"\nreason = \"   \"\nexpires = 2026-12-31\n", 7,
     "'scan.waiver.reason' is empty"),
    ("[[scan.waiver]]\nid = \"GO-1\"\nreason = \"x\"\nexpires = 2026-12-31T10:00:00Z\n", 4,
     "'scan.waiver.expires' must be a date"),
    ("[[scan.waiver]]\nid = \"GO-1\"\nreason = \"x\"\nexpires = \"next year\"\n", 4, "not a date"),
    ("[[scan.waiver]]\nid = \"GO-1\"\nreason = \"x\"\nexpires = 2026-12-31\nexpiry = 2027-01-01\n", 5,
     "unknown key 'scan.waiver.expiry'"),
    ("[[scan.waiver]]\nid = \"GO 1\"\nreason = \"x\"\nexpires = 2026-12-31\n", 2,
     "'scan.waiver.id' is 'GO 1'"),
    ('[scan]\nwaiver = "GO-1"\n', 2, "'scan.waiver' must be an array of tables"),
    ('scan = 3\n', 1, "'scan' must be a table"),
])
def test_mistakes_name_the_file_line_and_key(tmp_path: Path, text: str, line: int, says: str) -> None:
    path = write(tmp_path, text)

    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, Options(), {})

    assert caught.value.exit_code is ExitCode.CONFIG
    assert caught.value.message.startswith(f"{path}:{line}: "), caught.value.message
    assert says in caught.value.message
    assert caught.value.hint


def test_a_misspelt_key_gets_a_suggestion(tmp_path: Path) -> None:
    write(tmp_path, "[[scan.waiver]]\nid = \"GO-1\"\nreasons = \"x\"\nexpires = 2026-12-31\n")

    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, Options(), {})

    assert "did you mean 'reason'?" in caught.value.hint


def test_flags_and_variables_over_the_file(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path, VALID)
    nested = tmp_path / "cmd" / "api"
    nested.mkdir(parents=True)

    from_file = resolve_scan_settings(nested, {})
    from_env = resolve_scan_settings(nested, {"GOSHIP_VULNDB": "https://vuln.example.com",
                                              "GOSHIP_OFFLINE": "1"})
    from_flags = resolve_scan_settings(nested, {"GOSHIP_VULNDB": "https://vuln.example.com"},
                                       database="/srv/vulndb", fail_on="never")

    assert (from_file.fail_on, from_file.database, from_file.offline) == (
        "high", str(tmp_path / "vulndb"), False)
    assert len(from_file.waivers) == 2
    assert (from_env.database, from_env.offline) == ("https://vuln.example.com", True)
    assert (from_flags.database, from_flags.fail_on, from_flags.waivers) == ("/srv/vulndb", "never",
                                                                              from_file.waivers)
    with pytest.raises(UsageError):
        resolve_scan_settings(nested, {}, fail_on="severe")


def test_a_goship_toml_above_the_repository_is_not_read(tmp_path: Path) -> None:
    write(tmp_path, VALID)
    repository = tmp_path / "repo"
    (repository / ".git").mkdir(parents=True)

    assert find_scan_settings(repository) == ScanSettings()
