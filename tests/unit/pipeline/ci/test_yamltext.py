"""The YAML writer: what it writes reads back as the same data (PyYAML, a YAML 1.1 reader,
is the strict judge: it turns `on`, `yes`, `1.22` and dates into other types), scalars stay
plain where people write them plain, and scripts are literal blocks."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from goship.pipeline.ci.yamltext import Flow, SpacedMapping, SpacedSequence, document, documents, scalar


def read(text: str) -> Any:
    return yaml.safe_load(text)


def test_words_a_yaml_reader_would_turn_into_other_types_are_quoted() -> None:
    values = {"on": "on", "version": "1.22", "patch": "1.22.10", "date": "2024-10-01", "time": "12:30",
              "yes": "yes", "null": "null", "tilde": "~", "empty": "", "flag": "-modcacherw",
              "star": "*.sarif", "comment": "a # b", "colon": "key: value", "hex": "0x1F", "int": "0755"}

    text = document(values)

    assert read(text) == values
    assert '"on": "on"' in text and 'version: "1.22"' in text and 'flag: "-modcacherw"' in text


def test_expressions_paths_and_commands_stay_plain() -> None:
    values = {"if": "github.event_name == 'pull_request'", "group": "goship-${{ github.ref }}",
              "path": "~/.cache/goship-ci", "glob": "refs/tags/v[0-9]*", "rule": "$CI_COMMIT_TAG =~ /^v1$/"}

    text = document(values)

    assert read(text) == values
    assert all(f"{key}: {value}" in text for key, value in values.items())


def test_a_script_is_a_literal_block_and_keeps_every_character() -> None:
    script = 'umask 077\nif [ -n "$KEY" ]; then\n  printf \'%s\\n\' "$KEY" > key\nfi\n'
    no_newline = "one\ntwo"

    text = document({"run": script, "other": no_newline})

    assert read(text) == {"run": script, "other": no_newline}
    assert "run: |\n  umask 077\n" in text and "other: |-\n" in text


def test_layout_markers() -> None:
    text = documents([SpacedMapping({"a": 1, "b": {"c": Flow(["push", "a,b"])}}),
                      {"steps": SpacedSequence([{"name": "x"}, {"name": "z"}])}], comments=["head"])

    assert text.startswith("# head\na: 1\n\nb:\n  c: [push, \"a,b\"]\n---\n")
    assert "  - name: x\n\n  - name: z\n" in text
    assert list(yaml.safe_load_all(text)) == [{"a": 1, "b": {"c": ["push", "a,b"]}},
                                              {"steps": [{"name": "x"}, {"name": "z"}]}]


def test_scalars_of_other_types() -> None:
    assert [scalar(True), scalar(False), scalar(0), scalar(None)] == ["true", "false", "0", "null"]


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
_keys = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
_leaves = st.one_of(_text, st.integers(-10**6, 10**6), st.booleans(), st.none())
_nodes = st.recursive(_leaves, lambda children: st.one_of(
    st.lists(children, max_size=4).filter(lambda items: not any(isinstance(item, list) for item in items)),
    st.dictionaries(_keys, children, max_size=4)), max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(_keys, _nodes, min_size=1, max_size=5))
def test_any_data_reads_back_unchanged(data: dict[str, Any]) -> None:
    assert read(document(data)) == data


@settings(max_examples=300, deadline=None)
@given(st.lists(_text, min_size=1, max_size=5))
def test_flow_lists_read_back_unchanged(items: list[str]) -> None:
    assert read(document({"items": Flow(items)})) == {"items": items}
