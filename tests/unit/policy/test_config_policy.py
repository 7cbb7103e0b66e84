"""[policy] in goship.toml and .goship-policy.toml: every key, every mistake, and which file wins."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from goship import config_policy
from goship.config import Options, load_config
from goship.config_policy import POLICY_FILE, find_policy, read_policy_file
from goship.errors import ConfigError, UsageError
from goship.policy.interface import DEFAULT_ALLOWED_BASES, DEFAULT_REQUIRED_LABELS, PolicySettings, Severity

EVERY_KEY = """\
allowed-registries = ["registry.example.com/*", "gcr.io/distroless/*"]
allowed-bases = ["gcr.io/distroless/static*"]
builder-images = ["golang:1.22*"]
required-labels = ["org.opencontainers.image.source"]
disable = ["GS104"]
size-budget = "40MiB"
required-platforms = ["linux/amd64", "linux/arm", "windows/amd64"]
allow-shell = true
allow-package-manager = true

[severity]
GS101 = "warning"
GS102 = "info"
GS103 = "error"
"""
KNOWN = frozenset({"GS101", "GS102", "GS103", "GS104", "GS201"})


@pytest.fixture(autouse=True)
def known_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """The catalog is replaced by a fixed set of IDs, so that these tests do not depend on
    which rules exist today (one test below checks the real catalog)."""
    monkeypatch.setattr(config_policy, "_catalog_rule_ids", lambda: KNOWN)


def standalone(directory: Path, text: str) -> Path:
    path = directory / POLICY_FILE
    path.write_text(text)
    return path


def in_goship_toml(directory: Path, text: str) -> Path:
    """The same keys as the [policy] table of goship.toml (a [severity] table becomes
    [policy.severity])."""
    path = directory / "goship.toml"
    path.write_text("[policy]\n" + text.replace("[severity]", "[policy.severity]"))
    return path


def expect_every_key(settings: PolicySettings) -> None:
    assert settings.allowed_registries == ("registry.example.com/*", "gcr.io/distroless/*")
    assert settings.allowed_bases == ("gcr.io/distroless/static*",)
    assert settings.builder_images == ("golang:1.22*",)
    assert settings.required_labels == ("org.opencontainers.image.source",)
    assert settings.disabled_rules == frozenset({"GS104"})
    assert settings.size_budget == 40 * 1024 * 1024
    assert settings.required_platforms == ("linux/amd64", "linux/arm/v7", "windows/amd64")
    assert settings.allow_shell is True
    assert settings.allow_package_manager is True
    assert settings.severity_overrides == {"GS101": Severity.WARNING, "GS102": Severity.INFO,
                                           "GS103": Severity.ERROR}


def test_every_key_of_a_standalone_policy_file(tmp_path: Path) -> None:
    path = standalone(tmp_path, EVERY_KEY)
    settings = read_policy_file(path)
    expect_every_key(settings)
    assert settings.source == str(path)


def test_every_key_of_the_policy_table_in_goship_toml(tmp_path: Path) -> None:
    path = in_goship_toml(tmp_path, EVERY_KEY)
    settings = read_policy_file(path)
    expect_every_key(settings)
    assert settings.source == f"{path} [policy]"


def test_config_carries_the_policy_table(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/x\n")
    assert load_config(tmp_path, Options(), {"HOME": str(tmp_path)}).policy == PolicySettings()
    in_goship_toml(tmp_path, EVERY_KEY)
    expect_every_key(load_config(tmp_path, Options(), {"HOME": str(tmp_path)}).policy)


def test_an_empty_table_means_the_defaults(tmp_path: Path) -> None:
    settings = read_policy_file(standalone(tmp_path, "# nothing yet\n"))
    assert settings.allowed_bases == DEFAULT_ALLOWED_BASES
    assert settings.required_labels == DEFAULT_REQUIRED_LABELS
    assert settings.size_budget is None and settings.disabled_rules == frozenset()


def test_an_empty_list_empties_a_default(tmp_path: Path) -> None:
    assert read_policy_file(standalone(tmp_path, "required-labels = []\n")).required_labels == ()


def test_inline_severity_table_and_byte_budget(tmp_path: Path) -> None:
    text = 'size-budget = 52428800\nseverity = { GS101 = "info" }\n'
    settings = read_policy_file(standalone(tmp_path, text))
    assert settings.size_budget == 52428800
    assert settings.severity_overrides == {"GS101": Severity.INFO}


BAD = [
    # (text of .goship-policy.toml, the line, the key named, words of the hint)
    ("allowed_registries = []\n", 1, "'allowed_registries'", "did you mean 'allowed-registries'"),
    ("colour = true\n", 1, "'colour'", "policy keys:"),
    ("allowed-registries = \"registry.example.com\"\n", 1, "'allowed-registries' must be a list", "fix"),
    ("allowed-bases = [1, 2]\n", 1, "'allowed-bases' must be a list", "fix"),
    ("builder-images = \"golang:*\"\n", 1, "'builder-images' must be a list", "fix"),
    ("required-labels = [\"a\", \"\"]\n", 1, "'required-labels' holds an empty string", "remove"),
    ("severity = \"error\"\n", 1, "'severity' must be a table", "fix"),
    ("x = 1\n[severity]\nGS101 = 3\n", 1, "'x'", "policy keys"),
    ("[severity]\nGS101 = 3\n", 1, "'severity' must be a table", "fix"),
    ("[severity]\nGS101 = \"fatal\"\n", 2, "'severity.GS101' is 'fatal'", "\"warning\" or \"info\""),
    ("[severity]\nDL3006 = \"error\"\n", 2, "'DL3006' in 'severity' is not a rule ID", "GS101"),
    ("[severity]\nGS999 = \"error\"\n", 2, "'severity' names the unknown rule GS999", "docs/rules.md"),
    ("disable = \"GS101\"\n", 1, "'disable' must be a list", "fix"),
    ("disable = [\"gs101\"]\n", 1, "'gs101' in 'disable' is not a rule ID", "GS101"),
    ("disable = [\"GS998\"]\n", 1, "'disable' names the unknown rule GS998", "docs/rules.md"),
    ("size-budget = \"fifty megs\"\n", 1, "'size-budget' is 'fifty megs'", "40MiB"),
    ("size-budget = 0\n", 1, "'size-budget' must be more than 0", "positive"),
    ("size-budget = -10\n", 1, "'size-budget' must be more than 0", "positive"),
    ("size-budget = true\n", 1, "'size-budget' must be a number of bytes", "fix"),
    ("size-budget = 1.5\n", 1, "'size-budget' must be a number of bytes", "fix"),
    ("required-platforms = [\"linux/amd65\"]\n", 1, "'required-platforms': unknown platform", "amd64"),
    ("required-platforms = \"linux/amd64\"\n", 1, "'required-platforms' must be a list", "fix"),
    ("allow-shell = \"yes\"\n", 1, "'allow-shell' must be true or false", "fix"),
    ("allow-package-manager = 1\n", 1, "'allow-package-manager' must be true or false", "fix"),
    ("[policy]\nallow-shell = true\n", 1, "a [policy] table in .goship-policy.toml", "top level"),
    ("allow-shell = tru\n", 1, "malformed TOML", "syntax"),
]


@pytest.mark.parametrize(("text", "line", "key", "hint"), BAD)
def test_mistakes_in_a_policy_file_name_the_file_line_and_key(
        tmp_path: Path, text: str, line: int, key: str, hint: str) -> None:
    path = standalone(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        read_policy_file(path)
    message = caught.value.message
    assert message.startswith(f"{path}:{line}: " if line else f"{path}"), message
    assert key in message, message
    assert hint in caught.value.hint or hint in message, caught.value.hint
    assert caught.value.exit_code == 3


@pytest.mark.parametrize(("text", "key"), [
    ("allowed_bases = []\n", "'policy.allowed_bases'"),
    ("allow-shell = \"yes\"\n", "'policy.allow-shell' must be true or false"),
    ("disable = [\"GS997\"]\n", "'policy.disable' names the unknown rule GS997"),
    ("[severity]\nGS101 = \"loud\"\n", "'policy.severity.GS101' is 'loud'"),
])
def test_mistakes_in_goship_toml_name_the_policy_key(tmp_path: Path, text: str, key: str) -> None:
    (tmp_path / "go.mod").write_text("module example.com/x\n")
    path = in_goship_toml(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, Options(), {"HOME": str(tmp_path)})
    assert caught.value.message.startswith(f"{path}:"), caught.value.message
    assert key in caught.value.message, caught.value.message


def test_policy_that_is_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "goship.toml"
    path.write_text('base = "static"\npolicy = "strict"\n')
    with pytest.raises(ConfigError, match=r"goship.toml:2: 'policy' must be a table") as caught:
        read_policy_file(path)
    assert "[policy]" in caught.value.hint


def test_the_severity_line_is_found_in_a_policy_severity_table(tmp_path: Path) -> None:
    path = tmp_path / "goship.toml"
    path.write_text('base = "static"\n\n[policy]\nallow-shell = false\n\n[policy.severity]\n'
                    'GS101 = "warning"\nGS102 = "never"\n')
    with pytest.raises(ConfigError) as caught:
        read_policy_file(path)
    assert caught.value.message.startswith(f"{path}:8: 'policy.severity.GS102' is 'never'")


def test_unknown_rules_are_checked_against_the_real_catalog(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real catalog, not the fixed IDs
    from goship.policy.catalog import all_rules

    rules = all_rules()
    config_policy._catalog_rule_ids.cache_clear()
    some_rule = next(iter(rules))
    unknown = next(f"GS{number:03d}" for number in range(999, 0, -1) if f"GS{number:03d}" not in rules)
    settings = read_policy_file(standalone(tmp_path, f'disable = ["{some_rule}"]\n'))
    assert settings.disabled_rules == frozenset({some_rule})
    with pytest.raises(ConfigError, match=f"unknown rule {unknown}"):
        read_policy_file(standalone(tmp_path, f'disable = ["{unknown}"]\n'))


# --- which file wins ---------------------------------------------------------------------


def git_root(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(directory)], check=True)
    return directory


def test_policy_file_flag_wins(tmp_path: Path) -> None:
    root = git_root(tmp_path / "repo")
    standalone(root, "allow-shell = false\n")
    chosen = tmp_path / "team-policy.toml"
    chosen.write_text("allow-shell = true\n")
    settings = find_policy(root, policy_file=chosen)
    assert settings.allow_shell is True and settings.source == str(chosen)


def test_policy_file_flag_accepts_a_goship_toml(tmp_path: Path) -> None:
    in_goship_toml(tmp_path, "allow-shell = true\n")
    assert find_policy(tmp_path, policy_file=tmp_path / "goship.toml").allow_shell is True


def test_a_missing_policy_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"policy file .*nope\.toml does not exist"):
        find_policy(tmp_path, policy_file=tmp_path / "nope.toml")


def test_standalone_file_in_a_parent_up_to_the_git_root(tmp_path: Path) -> None:
    root = git_root(tmp_path / "repo")
    deep = root / "services" / "api"
    deep.mkdir(parents=True)
    standalone(root, "allow-package-manager = true\n")
    settings = find_policy(deep)
    assert settings.allow_package_manager is True and settings.source == str(root / POLICY_FILE)


def test_nothing_above_the_git_root_is_read(tmp_path: Path) -> None:
    standalone(tmp_path, "allow-shell = true\n")  # outside the repository
    root = git_root(tmp_path / "repo")
    settings = find_policy(root)
    assert settings == PolicySettings(source="defaults")


def test_standalone_file_wins_over_goship_toml(tmp_path: Path) -> None:
    root = git_root(tmp_path / "repo")
    (root / "svc").mkdir()
    in_goship_toml(root / "svc", "allow-shell = true\n")
    standalone(root, "allow-shell = false\nallow-package-manager = true\n")
    settings = find_policy(root / "svc")
    assert settings.allow_shell is False and settings.allow_package_manager is True


def test_goship_toml_policy_table_without_a_standalone_file(tmp_path: Path) -> None:
    root = git_root(tmp_path / "repo")
    (root / "svc" / "cmd").mkdir(parents=True)
    in_goship_toml(root / "svc", "size-budget = \"10MB\"\n")
    assert find_policy(root / "svc" / "cmd").size_budget == 10_000_000


def test_the_nearest_goship_toml_without_policy_means_defaults(tmp_path: Path) -> None:
    root = git_root(tmp_path / "repo")
    in_goship_toml(root, "allow-shell = true\n")
    (root / "svc").mkdir()
    (root / "svc" / "goship.toml").write_text('base = "static"\n')
    assert find_policy(root / "svc") == PolicySettings(source="defaults")
