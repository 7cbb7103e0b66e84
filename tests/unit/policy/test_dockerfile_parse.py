"""The Dockerfile model: stages, ARG expansion, directives, heredocs, and bad input that must
become GS001 findings (with their line) instead of exceptions."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from goship.errors import ExitCode, UsageError
from goship.policy.dockerfile import parse, variables
from goship.policy.dockerfile_rules import lint_dockerfile, lint_text
from goship.policy.dockerfile_words import expand, unquote
from goship.policy.interface import PolicySettings

from .dockerfile_cases import GOOD, dockerfile, lines_of


def problems(text: str) -> list[tuple[int, str]]:
    return [(problem.line, problem.message) for problem in parse(text).problems]


# ---------------------------------------------------------------------------- stages and ARGs


def test_stages_with_names_bases_platforms_and_references() -> None:
    model = parse(dockerfile("""
        ARG GO=1.22.5
        ARG RUNTIME=gcr.io/distroless/static-debian12
        FROM --platform=$BUILDPLATFORM golang:${GO}-alpine AS Build
        RUN go build
        FROM ${RUNTIME}:nonroot AS runtime
        FROM runtime
        COPY --from=build /app /app
        """))

    build, runtime, final = model.stages
    assert (build.name, build.base, build.image, build.platform) == (
        "build", "golang:${GO}-alpine", "golang:1.22.5-alpine", "$BUILDPLATFORM")
    assert runtime.image == "gcr.io/distroless/static-debian12:nonroot"
    assert final.parent == 1 and final.name is None
    assert model.final_stage is final
    assert [stage.index for stage in model.lineage(final)] == [1, 2]
    assert model.root(final) is runtime
    assert model.stage_named("BUILD") is build and model.stage_named("0") is build
    assert [item.keyword for item in build.instructions] == ["RUN"]
    assert [variable.name for variable in model.global_args] == ["GO", "RUNTIME"]


def test_build_args_override_defaults_and_fill_args_without_one() -> None:
    text = "ARG GO=1.21\nARG BASE\nFROM golang:${GO}\nFROM ${BASE:-alpine:3.20}\n"

    assert [stage.image for stage in parse(text).stages] == ["golang:1.21", "alpine:3.20"]
    overridden = parse(text, {"GO": "1.23.1", "BASE": "scratch"})
    assert [stage.image for stage in overridden.stages] == ["golang:1.23.1", "scratch"]
    assert overridden.stages[1].is_scratch


def test_from_sees_only_args_declared_before_the_first_from() -> None:
    model = parse("FROM alpine:3.20\nARG TAG=3.19\nFROM alpine:${TAG}\n", {"UNRELATED": "x"})

    assert model.stages[1].image == "alpine:"
    assert model.stages[1].resolved.missing == ("TAG",)


def test_automatic_platform_args_stay_as_written() -> None:
    stage = parse("FROM --platform=$BUILDPLATFORM ${TARGETARCH}/alpine:3.20\n").stages[0]

    assert stage.image == "${TARGETARCH}/alpine:3.20"
    assert stage.resolved.dynamic == ("TARGETARCH",) and not stage.resolved.resolved


@pytest.mark.parametrize(("text", "values", "result"), [
    ("${A:-x}", {}, "x"), ("${A:-x}", {"A": ""}, "x"), ("${A-x}", {"A": ""}, ""),
    ("${A:+y}", {"A": "1"}, "y"), ("${A:+y}", {}, ""), ("$A/$B", {"A": "a", "B": "b"}, "a/b"),
    ("\\$A", {"A": "a"}, "$A"), ("${A}b", {"A": "a"}, "ab"),
])
def test_variable_expansion(text: str, values: dict[str, str], result: str) -> None:
    assert expand(text, values).text == result


def test_values_in_a_stage_come_from_its_args_env_and_parents() -> None:
    model = parse(dockerfile("""
        ARG GLOBAL=g
        FROM alpine:3.20 AS base
        ENV HOME=/home/app PATH=/bin
        FROM base
        ARG GLOBAL
        ARG UID=10001
        ENV DATA=$HOME/data
        USER $UID
        """), {"UID": "20002"})

    values = model.values_at(model.stages[1], 8)
    assert values["DATA"] == "/home/app/data"
    assert values["UID"] == "20002"  # the build arg beats the default
    assert values["GLOBAL"] == "g"  # redeclared without a value: the global one
    assert "UID" not in model.values_at(model.stages[1], 5)  # not declared yet


def test_env_and_label_values_lose_their_quotes() -> None:
    model = parse('FROM scratch\nENV A="x y" B=\'z\' C=plain\nLABEL "k"="v w"\nENV OLD form with spaces\n')
    env, label, old = model.stages[0].instructions

    assert [(item.name, item.value) for item in variables(env)] == [("A", "x y"), ("B", "z"), ("C", "plain")]
    assert [(item.name, item.value) for item in variables(label)] == [("k", "v w")]
    assert [(item.name, item.value) for item in variables(old)] == [("OLD", "form with spaces")]
    assert unquote('"a \\"b\\""') == 'a "b"'


# ------------------------------------------------------------------- the syntax the parser has


def test_windows_escape_directive_joins_backtick_continuations() -> None:
    model = parse("# escape=`\nFROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nRUN echo a `\n  b\n"
                  "WORKDIR C:\\app\n")

    assert model.escape == "`" and model.directives == {"escape": "`"}
    run, workdir = model.stages[0].instructions
    assert (run.start_line, run.end_line, run.text) == (3, 4, "echo a   b")
    assert workdir.text == "C:\\app"
    assert model.problems == ()


def test_directives_after_a_comment_are_comments() -> None:
    model = parse("# syntax=docker/dockerfile:1.7\n# a comment\n# escape=`\nFROM alpine:3.20\n")

    assert model.directives == {"syntax": "docker/dockerfile:1.7"}
    assert model.escape == "\\"
    assert [comment.line for comment in model.comments] == [2, 3]


def test_heredocs_flags_json_form_and_continuations() -> None:
    model = parse(dockerfile("""
        FROM alpine:3.20
        RUN --mount=type=cache,target=/root/.cache \\
            --network=none <<EOF
        set -e
        make
        EOF
        COPY --from=build --chown=1:1 ["a b", "/c/"]
        CMD ["app", "--flag"]
        """))
    run, copy, cmd = model.stages[0].instructions

    assert (run.start_line, run.end_line) == (2, 6)
    assert run.flag_values("mount") == ("type=cache,target=/root/.cache",)
    assert run.flag("network") == "none" and run.flag("security") is None
    assert [(heredoc.name, heredoc.content) for heredoc in run.heredocs] == [("EOF", "set -e\nmake\n")]
    assert copy.exec_form and copy.arguments == ("a b", "/c/") and copy.flag("from") == "build"
    assert cmd.exec_form and cmd.arguments == ("app", "--flag")


def test_crlf_line_ends_and_lower_case_keywords() -> None:
    model = parse("from alpine:3.20 as base\r\nrun echo \\\r\n  hi\r\nuser 1000\r\n")

    assert [(item.keyword, item.start_line) for item in model.instructions] == [
        ("FROM", 1), ("RUN", 2), ("USER", 4)]
    assert model.stages[0].name == "base"
    assert model.problems == ()


# ------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("text", "line", "words"), [
    ("", 1, "empty"),
    ("# only a comment\n\n", 1, "empty"),
    ("hello world\nthis is prose\n", 1, "not a Dockerfile"),
    ("FROM alpine:3.20\nFROB x\nUSER 1\n", 2, "unknown instruction 'FROB'"),
    ('FROM alpine:3.20\nCMD ["a",\n', 2, "not valid JSON"),
    ("FROM alpine:3.20\nCMD ['a']\n", 2, "double quotes"),
    ('FROM alpine:3.20\nCMD ["a", 1]\n', 2, "only strings"),
    ("FROM alpine:3.20\nRUN <<EOF\necho hi\nUSER 1\n", 2, "never closed"),
    ("FROM alpine:3.20\nRUN echo \\\n", 2, "escape character"),
    ("FROM alpine:3.20\nRUN echo \\\n# trailing comment\n\n", 2, "escape character"),
    ("FROM alpine:3.20\nENV\nUSER 1\n", 2, "ENV has no argument"),
    ("FROM alpine:3.20\nLABEL lonely\nUSER 1\n", 2, "key=value"),
    ("FROM alpine:3.20\nCOPY --chwon=1 a b\n", 2, "no flag --chwon"),
    ("FROM alpine:3.20\nCOPY --from build /a /b\n", 2, "has no value"),
    ("FROM alpine:3.20\nSHELL /bin/bash -c\n", 2, "JSON form"),
    ("FROM alpine:3.20\nONBUILD ONBUILD RUN x\n", 2, "ONBUILD cannot hold ONBUILD"),
    ("FROM alpine:3.20 AS\n", 1, "AS name"),
    ("FROM\n", 1, "names no image"),
    ("FROM alpine:3.20\nCOPY onlyone\n", 2, "source and a destination"),
    ("# escape=x\nFROM alpine:3.20\n", 1, "not \\ or `"),
    ("# escape=`\n# escape=`\nFROM alpine:3.20\n", 2, "given twice"),
    ("FROM alpine:3.20\nRUN echo " + "x" * 70000 + "\nUSER 1\n", 2, "65535"),
    ("FROM alpine:3.20\x00\x01\x02", 1, "binary"),
])
def test_bad_input_is_a_finding_with_its_line(text: str, line: int, words: str) -> None:
    findings = lint_text(text, PolicySettings(), display="Dockerfile")

    parse_errors = [finding for finding in findings if finding.rule == "GS001"]
    assert [finding.location.line for finding in parse_errors] == [line]
    assert words in parse_errors[0].message


def test_linting_goes_on_after_a_bad_line() -> None:
    text = "FROM alpine:latest\nLABEL lonely\nENV\nUSER root\nFROB x\nEXPOSE 22\n"
    findings = lint_text(text, PolicySettings(), display="Dockerfile")

    assert lines_of(findings, "GS001") == [2, 3, 5]
    assert lines_of(findings, "GS103") == [1]
    assert lines_of(findings, "GS302") == [4]
    assert lines_of(findings, "GS308") == [6]


def test_absence_rules_stay_quiet_when_part_of_the_file_is_missing() -> None:
    # The unclosed heredoc swallows the rest, USER included: "no USER" would be a guess.
    text = "FROM alpine:3.20\nRUN <<EOF\necho hi\nUSER 10001\n"
    rules = {finding.rule for finding in lint_text(text, PolicySettings(), display="Dockerfile")}

    assert "GS001" in rules
    assert not rules & {"GS301", "GS304", "GS307", "GS312", "GS313"}


def test_a_near_miss_is_not_json_form() -> None:
    assert problems('FROM alpine:3.20\nRUN [ "$A" = 1 ] && echo ok\n') == []


# --------------------------------------------------------------------------------- files


def test_lint_dockerfile_reads_bytes_with_or_without_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    (tmp_path / ".dockerignore").write_text(".git\n")
    path.write_bytes(codecs.BOM_UTF8 + GOOD.encode())

    assert lint_dockerfile(path, PolicySettings()) == []
    findings = lint_dockerfile(path, PolicySettings(), display="svc/Dockerfile",
                               build_args={"X": "1"})
    assert findings == []
    path.write_bytes(b"FROM alpine\n")
    assert {finding.location.path for finding in lint_dockerfile(path, PolicySettings(),
                                                                  display="svc/Dockerfile")} == {
        "svc/Dockerfile"}


def test_undecodable_bytes_are_a_finding_and_the_rest_is_linted(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"FROM alpine:latest\nLABEL note=\"caf\xe9\"\n")

    findings = lint_dockerfile(path, PolicySettings(), display="Dockerfile")
    assert lines_of(findings, "GS001") == [2]
    assert "UTF-8" in findings[[f.rule for f in findings].index("GS001")].message
    assert lines_of(findings, "GS103") == [1]


def test_utf16_is_named(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(codecs.BOM_UTF16_LE + "FROM alpine:3.20\n".encode("utf-16-le"))

    findings = lint_dockerfile(path, PolicySettings())
    assert [(finding.rule, finding.location.line) for finding in findings] == [("GS001", 1)]
    assert "UTF-16" in findings[0].message


def test_a_missing_file_or_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as missing:
        lint_dockerfile(tmp_path / "Dockerfile", PolicySettings(), display="svc/Dockerfile")
    assert "svc/Dockerfile" in missing.value.message and missing.value.hint
    assert missing.value.exit_code == ExitCode.USAGE

    with pytest.raises(UsageError) as directory:
        lint_dockerfile(tmp_path, PolicySettings())
    assert "directory" in directory.value.message
