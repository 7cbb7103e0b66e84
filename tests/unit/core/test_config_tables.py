"""ConfigTable: how every table of goship.toml is checked, read and pointed at in errors."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from goship.config_tables import (
    ConfigTable,
    is_int,
    is_str,
    is_str_list,
    parse_duration,
    parse_size,
    suggestion,
)
from goship.errors import ConfigError, ExitCode, UsageError

PATH = Path("/project/goship.toml")


def root(text: str) -> ConfigTable:
    return ConfigTable(tomllib.loads(text), PATH, text)


def refused(read: Callable[[], object]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        read()
    assert caught.value.exit_code == ExitCode.CONFIG
    return caught.value


@pytest.mark.parametrize(("text", "seconds"), [
    ("90m", 5400), ("12h", 43200), ("3d", 259200), ("1w", 604800), ("30s", 30), ("1d12h", 129600),
    ("1.5h", 5400), (" 2D ", 172800),
])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "3", "3x", "d", "-1d", "0d", "3 days", "1d-2h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(("text", "size"), [
    ("50MB", 50_000_000), ("40MiB", 41_943_040), ("1.5GB", 1_500_000_000), ("512kB", 512_000),
    ("512 KiB", 524_288), ("1000", 1000), ("7B", 7), ("2gib", 2 * 1024**3),
])
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["fifty", "50XB", "-5MB", "", "MB", "5 M B"])
def test_sizes_that_are_not(text: str) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


@pytest.mark.parametrize(("text", "keys", "key", "line"), [
    # a key in its table's body
    ('go = "1.22"\n\n[release]\ntag-prefix = "v"\n', ("release",), "tag-prefix", 4),
    # a key the table does not hold: the table's header
    ('[release]\ntag-prefix = "v"\n', ("release",), "changelog", 1),
    # a table written inline in the one enclosing it, or as dotted keys at the top level
    ('[environments]\nprod = { tags = 5 }\n', ("environments", "prod"), "tags", 2),
    ('repository = "r.example.com/a"\nrelease.tag-prefix = 1\n', ("release",), "tag-prefix", 2),
    ('[environments.prod]\ndeploy.replicas = 3\n', ("environments", "prod", "deploy"), "replicas", 2),
    # two levels down, inline in the nearest table that has a header
    ('[environments.prod]\ndeploy = { resources = { cpu-request = "x" } }\n',
     ("environments", "prod", "deploy", "resources"), "cpu-request", 2),
    # a [TABLE.KEY] table of its own
    ('[policy]\nallow-shell = true\n\n[policy.severity]\nGS101 = "x"\n', ("policy",), "severity", 4),
    ('[severity]\nGS101 = "x"\n', (), "severity", 1),
    # the table itself
    ('[environments]\nprod = "main"\n', ("environments", "prod"), "", 2),
    # nowhere in the file: no line at all
    ('[environments."bad name"]\ntags = ["x"]\n', ("environments", "bad name"), "", 0),
    ('go = "1.22"\n', ("scan",), "db", 0),
])
def test_errors_point_at_the_line_that_writes_the_key(text: str, keys: tuple[str, ...], key: str,
                                                      line: int) -> None:
    table = ConfigTable({}, PATH, text, keys)
    assert table.line(key) == line
    assert table.where(key) == (f"{PATH}:{line}" if line else str(PATH))


def test_an_array_of_tables_points_at_its_own_header_and_names_its_index() -> None:
    text = '[[retention]]\nkeep-newest = 1\n\n[[retention]]\nkeep-newest = -2\n'
    second = root(text).array("retention", "write [[retention]]")[1]
    assert refused(lambda: second.count("keep-newest")).message == \
        f"{PATH}:5: 'retention.keep-newest' is -2"
    sections = root('[[release.changelog-sections]]\ntype = "feat"\n\n[[release.changelog-sections]]\n')
    last = sections.child("release").array("changelog-sections", "", indexed=True)[1]
    assert (last.name("title"), last.where()) == ("release.changelog-sections[1].title", f"{PATH}:4")


def test_not_an_array_of_tables() -> None:
    error = refused(lambda: root('[retention]\nkeep-newest = 1\n').array("retention", "write [[retention]]"))
    assert error.message == f"{PATH}:1: 'retention' must be an array of tables"
    assert error.hint == "write [[retention]]"


def test_unknown_keys_get_a_close_match_the_known_keys_and_the_docs() -> None:
    table = root('[release]\ntag_prefix = "v"\n').child("release")
    schema = {"tag-prefix": ("a string", is_str), "changelog": ("a string", is_str)}
    error = refused(lambda: table.check(schema))
    assert error.message == f"{PATH}:2: unknown key 'release.tag_prefix'"
    assert error.hint == ("did you mean 'tag-prefix'? keys of [release]: tag-prefix, changelog; "
                          "see docs/configuration.md")


def test_sub_tables_are_known_keys_and_the_top_level_has_its_own_listing() -> None:
    schema = {"go": ("a string", is_str)}
    root('go = "1.22"\n[build]\nflags = []\n').check(schema, sub_tables=("build",))
    error = refused(lambda: root('buidl = 1\n').check(schema, sub_tables=("build",)))
    assert error.message == f"{PATH}:1: unknown key 'buidl'"
    assert error.hint == "did you mean 'build'? top-level keys: go; tables: build; see docs/configuration.md"


def test_a_listing_and_a_docs_page_of_the_caller() -> None:
    table = ConfigTable({"colour": 1}, PATH, "colour = 1\n", docs="docs/deploy.md")
    error = refused(lambda: table.check({"color": ("a number", is_int)}, listing="policy keys: color"))
    assert error.hint == "did you mean 'color'? policy keys: color; see docs/deploy.md"


def test_a_value_of_the_wrong_type() -> None:
    table = root('[pipeline.test]\nflags = "-short"\n').child("pipeline").child("test")
    error = refused(lambda: table.check({"flags": ("a list of strings", is_str_list)}))
    assert error.message == f"{PATH}:2: 'pipeline.test.flags' must be a list of strings"
    assert error.hint == "fix 'pipeline.test.flags' in goship.toml"


def test_a_table_that_is_not_one() -> None:
    error = refused(lambda: root('go = "1"\nscan = 3\n').table("scan", "write [scan]"))
    assert (error.message, error.hint) == (f"{PATH}:2: 'scan' must be a table", "write [scan]")
    assert root('go = "1"\n').table("scan", "write [scan]").data == {}


def test_a_merged_table_points_at_the_layer_that_sets_the_key() -> None:
    text = '[deploy]\nreplicas = 2\ntimeout = "soon"\n\n[environments.prod.deploy]\nreplicas = -1\n'
    file = root(text)
    base = file.child("deploy")
    own = file.child("environments").child("prod").child("deploy")
    merged = ConfigTable.merged({**base.data, **own.data}, (own, base))
    assert refused(lambda: merged.count("replicas", 1)).message == \
        f"{PATH}:6: 'environments.prod.deploy.replicas' is -1"
    assert refused(lambda: merged.duration("timeout", 60.0)).message == \
        f"{PATH}:3: 'deploy.timeout' is 'soon', not a duration"
    assert merged.name("namespace") == "deploy.namespace"  # set nowhere: the base table's
    assert merged.child("probes").name("path") == "deploy.probes.path"


def test_choices_counts_and_flags() -> None:
    table = root('[scan]\nfail-on = "severe"\nkeep = 3\nquiet = true\n').child("scan")
    error = refused(lambda: table.choice("fail-on", ("high", "any"), "any"))
    assert (error.message, error.hint) == (f"{PATH}:2: 'scan.fail-on' is 'severe'", "write one of high, any")
    assert refused(lambda: table.choice("fail-on", ("a",), "a", hint="write a")).hint == "write a"
    assert table.choice("level", ("low", "high"), "low") == "low"
    assert (table.count("keep"), table.count("absent"), table.count("absent", 7)) == (3, None, 7)
    assert refused(lambda: table.count("keep", minimum=4)).hint == "write 4 or more"
    assert (table.flag("quiet", False), table.flag("loud", False)) == (True, False)


@pytest.mark.parametrize(("value", "allow_zero", "seconds"), [
    ('"90s"', False, 90.0), ("30", False, 30.0), ('"0s"', True, 0.0), ("0", True, 0.0),
])
def test_durations_of_a_table(value: str, allow_zero: bool, seconds: float) -> None:
    table = root(f"[t]\nwait = {value}\n").child("t")
    assert table.duration("wait", allow_zero=allow_zero) == seconds


@pytest.mark.parametrize(("value", "message", "hint"), [
    ('"soon"', "'t.wait' is 'soon', not a duration", '"3d"'),
    ('"0s"', "'t.wait' is '0s', not a duration", '"3d"'),
    ("-5", "'t.wait' is -5", "give a positive duration"),
    ("0", "'t.wait' is 0", "give a positive duration"),
])
def test_durations_that_are_not(value: str, message: str, hint: str) -> None:
    table = root(f"[t]\nwait = {value}\n").child("t")
    error = refused(lambda: table.duration("wait"))
    assert error.message == f"{PATH}:2: {message}"
    assert hint in error.hint
    assert table.duration("absent") is None


def test_sizes_of_a_table() -> None:
    table = root('budget = "40MiB"\nbytes = 1000\nbad = "lots"\nnone = 0\n')
    assert (table.size("budget"), table.size("bytes"), table.size("absent")) == (40 * 1024**2, 1000, None)
    assert refused(lambda: table.size("bad")).message == f"{PATH}:3: 'bad' is 'lots'"
    assert refused(lambda: table.size("none")).message == f"{PATH}:4: 'none' must be more than 0"


def test_strings_patterns_and_filled_values() -> None:
    table = root('[r]\ntags = ["a", " "]\nkeep = ["v*", "re:("]\nname = " "\nlist = []\n').child("r")
    assert refused(lambda: table.strings("tags")).message == f"{PATH}:2: 'r.tags' holds an empty string"
    assert table.strings("absent") is None

    def check(pattern: str) -> None:
        if pattern.startswith("re:("):
            raise ValueError("a bad regular expression")

    error = refused(lambda: table.patterns("keep", check, "write a glob"))
    assert (error.message, error.hint) == (f"{PATH}:3: 're:(' in 'r.keep' is a bad regular expression",
                                           "write a glob")
    assert refused(lambda: table.filled("name", "name one")).message == f"{PATH}:4: 'r.name' is empty"
    assert refused(lambda: table.filled("list", "list one")).message == f"{PATH}:5: 'r.list' is empty"
    assert table.filled("absent", "", default="*") == "*"


def test_an_error_of_a_value_parser_is_put_at_the_key() -> None:
    table = root('[policy]\nrequired-platforms = ["linux/amd65"]\n').child("policy")
    error = table.error_from("required-platforms", UsageError("unknown platform", "write linux/amd64"))
    assert (error.message, error.hint) == (f"{PATH}:2: 'policy.required-platforms': unknown platform",
                                           "write linux/amd64")


def test_files_are_relative_to_the_file_that_names_them() -> None:
    table = root("")
    assert table.resolve("keys/cosign.key") == str(PATH.parent / "keys" / "cosign.key")
    assert table.resolve("/etc/key") == "/etc/key"


def test_suggestions() -> None:
    assert suggestion("allowed_bases", ["allowed-bases", "disable"]) == "did you mean 'allowed-bases'? "
    assert suggestion("zzz", ["allowed-bases"]) == ""
