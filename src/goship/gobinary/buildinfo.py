"""Reading the build information Go embeds in its binaries (what ``go version -m`` prints).

Written by hand: no maintained Python library reads it, running ``go version -m`` needs a Go
toolchain of a recent enough version wherever ``goship verify`` runs, and the format is small
and documented in Go's source (``debug/buildinfo/buildinfo.go`` and ``runtime/debug/mod.go``):

- the linker leaves a 32-byte header at a 16-byte aligned address near the start of the
  binary's data: its own section in ELF (``.go.buildinfo``) and Mach-O (``__go_buildinfo``),
  else the first writable data segment (ELF ``PT_LOAD`` with W and not X; the first
  read-write initialised data section in PE);
- the header is the magic ``"\\xff Go buildinf:"`` (14 bytes), the pointer size, and a flags
  byte: bit 0 is the pointers' byte order, bit 1 says the strings follow inline (Go 1.18 and
  later): two varint-length-prefixed strings, the Go version and the module information.
  Before Go 1.18 two pointers to Go string headers (address, length) follow the flags;
- the module information is framed by 16-byte sentinels and holds ``path``, ``mod``, ``dep``,
  ``=>`` (replacement) and ``build key=value`` lines, tab-separated.

Addresses are virtual: they are mapped to file offsets through the segments (sections in PE)
that hold them, as Go does. The stream must be seekable (a temp file for a binary read from
an image layer); only the headers and the data that holds the blob are read. A file that
ends before the data its headers describe, and has no blob in what is left, is reported as
truncated rather than as a program without build information.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from goship.gobinary.moduleinfo import (
    BuildInfo,
    BuildInfoError,
    Module,
    NoBuildInfoError,
    NotExecutableError,
    parse_module_info,
)

MAGIC = b"\xff Go buildinf:"
HEADER_SIZE = 32
ALIGN = 16
SEARCH_CHUNK = 1 << 20
MAX_STRING = 16 << 20  # a longer version or module string is a corrupt header, not a program
MAX_FAT_ARCHES = 20  # Java class files share the fat Mach-O magic; their next word is >= 45
NOT_EXECUTABLE = "not an executable (ELF, PE or Mach-O)"
NOT_GO = "an executable without Go build information (a C program, or built by a Go older than 1.13)"
_FLAG_BIG_ENDIAN = 0x1
_FLAG_INLINE = 0x2
_NOT_GO_HINT = ("check that the file is the Go program (a shell script or a C program has no Go "
                "build information)")

__all__ = ["BuildInfo", "BuildInfoError", "Module", "NoBuildInfoError", "NotExecutableError",
           "executable_format", "read_build_info", "read_build_info_file"]


@dataclass(frozen=True)
class _Mapping:
    """A range of virtual addresses stored in the file: [address, address + size) at offset."""

    address: int
    size: int
    offset: int


class _Executable:
    """The virtual-address view of one executable (see the module docstring)."""

    def __init__(self, stream: BinaryIO, mappings: list[_Mapping], data: tuple[int, int]) -> None:
        self._stream = stream
        self._mappings = mappings
        self.data_start, self.data_size = data

    def described_size(self) -> int:
        """Where the last byte the headers describe ends: more than the file's size when the
        file was cut short."""
        return max((mapping.offset + mapping.size for mapping in self._mappings), default=0)

    def file_size(self) -> int:
        return self._stream.seek(0, 2)

    def read(self, address: int, size: int) -> bytes:
        """Up to ``size`` bytes at ``address``, stopping at the end of its mapping."""
        for mapping in self._mappings:
            if mapping.size and mapping.address <= address < mapping.address + mapping.size:
                remaining = mapping.address + mapping.size - address
                self._stream.seek(mapping.offset + address - mapping.address)
                return self._stream.read(min(size, remaining))
        return b""


def executable_format(head: bytes) -> str | None:
    """``"ELF"``, ``"PE"`` or ``"Mach-O"`` from a file's first 8 bytes (or more), else None.
    "MZ" alone makes a PE candidate: the PE signature it points to is checked on reading."""
    if head.startswith(b"\x7fELF"):
        return "ELF"
    if head.startswith(b"MZ"):
        return "PE"
    if head[:4] in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe"):
        return "Mach-O"
    if head[:4] in (b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf") and len(head) >= 8 and \
            0 < int.from_bytes(head[4:8], "big") < MAX_FAT_ARCHES:
        return "Mach-O"
    return None


def read_build_info(stream: BinaryIO, what: str = "the file") -> BuildInfo:
    """The build information of the Go program in ``stream`` (seekable, binary)."""
    try:
        executable = _open_executable(stream, what)
        version, modinfo = _raw_build_info(executable, what)
    except (struct.error, OSError, ValueError) as exc:
        # struct.error: a header read past the end of the file came back short.
        detail = "its headers point past the end of the file" if isinstance(exc, struct.error) else exc
        raise BuildInfoError(f"{what} is a damaged executable: {detail}", _NOT_GO_HINT,
                             reason=f"a damaged executable: {detail}") from exc
    return parse_module_info(modinfo, version, what)


def read_build_info_file(path: Path) -> BuildInfo:
    try:
        with path.open("rb") as stream:
            return read_build_info(stream, str(path))
    except OSError as exc:
        raise BuildInfoError(f"cannot read {path}: {exc.strerror}", "check the path",
                             reason=f"cannot be read: {exc.strerror}") from exc


# -- locating the blob ----------------------------------------------------------------------


def _open_executable(stream: BinaryIO, what: str) -> _Executable:
    stream.seek(0)
    ident = stream.read(16)
    kind = executable_format(ident) if len(ident) == 16 else None
    if kind == "ELF":
        return _elf(stream, ident)
    if kind == "PE" and _has_pe_signature(stream):
        return _pe(stream)
    if kind == "Mach-O":
        if not ident.startswith((b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf")):
            return _macho(stream, 0)
        stream.seek(8)
        _cpu, _sub, offset, _size, _align = struct.unpack(">5I", stream.read(20))
        return _macho(stream, offset)  # the first architecture, as Go reads it
    raise NotExecutableError(f"{what} is not an executable goship can read (ELF, PE or Mach-O)",
                             _NOT_GO_HINT, reason=NOT_EXECUTABLE)


def _has_pe_signature(stream: BinaryIO) -> bool:
    """Whether the offset at 0x3C of an "MZ" file leads to "PE\\0\\0" (a DOS program does not)."""
    stream.seek(0x3C)
    raw = stream.read(4)
    if len(raw) < 4:
        return False
    stream.seek(int.from_bytes(raw, "little"))
    return stream.read(4) == b"PE\0\0"


def _elf(stream: BinaryIO, ident: bytes) -> _Executable:
    wide = ident[4] == 2
    order = ">" if ident[5] == 2 else "<"
    stream.seek(0)
    header = stream.read(64)
    if wide:
        phoff, shoff = struct.unpack_from(order + "QQ", header, 0x20)
        phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(order + "5H", header, 0x36)
    else:
        phoff, shoff = struct.unpack_from(order + "II", header, 0x1C)
        phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(order + "5H", header, 0x2A)
    segments: list[tuple[int, int, int, int, int, int]] = []  # type, flags, offset, vaddr, filesz, memsz
    for number in range(phnum):
        stream.seek(phoff + number * phentsize)
        entry = stream.read(phentsize)
        if wide:
            kind, flags, offset, vaddr, _paddr, filesz, memsz = struct.unpack_from(order + "IIQQQQQ", entry)
        else:
            kind, offset, vaddr, _paddr, filesz, memsz, flags = struct.unpack_from(order + "7I", entry)
        segments.append((kind, flags, offset, vaddr, filesz, memsz))
    mappings = [_Mapping(vaddr, filesz, offset) for _k, _f, offset, vaddr, filesz, _m in segments]
    for name, address, size in _elf_sections(stream, order, wide, shoff, shentsize, shnum, shstrndx):
        if name == ".go.buildinfo":
            return _Executable(stream, mappings, (address, size))
    pt_load, writable, executable = 1, 0x2, 0x1
    for kind, flags, _offset, vaddr, _filesz, memsz in segments:
        if kind == pt_load and flags & (executable | writable) == writable:
            return _Executable(stream, mappings, (vaddr, memsz))
    return _Executable(stream, mappings, (0, 0))


def _elf_sections(stream: BinaryIO, order: str, wide: bool, shoff: int, shentsize: int,
                  shnum: int, shstrndx: int) -> Iterator[tuple[str, int, int]]:
    """(name, address, size) of each section; none when the table is missing (stripped)."""
    if not shoff or not shnum or shstrndx >= shnum:
        return
    layout = order + ("IIQQQQ" if wide else "6I")
    sections = []
    for number in range(shnum):
        stream.seek(shoff + number * shentsize)
        name, _kind, _flags, address, offset, size = struct.unpack_from(layout, stream.read(shentsize))
        sections.append((name, address, offset, size))
    _, _, names_offset, names_size = sections[shstrndx]
    stream.seek(names_offset)
    names = stream.read(min(names_size, MAX_STRING))
    for name, address, _offset, size in sections:
        end = names.find(b"\0", name)
        yield names[name:end if end >= 0 else None].decode("latin-1"), address, size


def _pe(stream: BinaryIO) -> _Executable:
    stream.seek(0x3C)
    pe_offset, = struct.unpack("<I", stream.read(4))
    stream.seek(pe_offset)
    if stream.read(4) != b"PE\0\0":
        raise ValueError("no PE signature")
    _machine, count, _time, _symbols, _symbol_count, optional_size, _flags = struct.unpack(
        "<HHIIIHH", stream.read(20))
    optional = stream.read(optional_size)
    magic, = struct.unpack_from("<H", optional)
    image_base = struct.unpack_from("<Q", optional, 24)[0] if magic == 0x20B else \
        struct.unpack_from("<I", optional, 28)[0]
    mappings: list[_Mapping] = []
    data = (0, 0)
    wanted = 0x40 | 0x40000000 | 0x80000000  # initialised data, readable, writable
    for _ in range(count):
        (_name, virtual_size, virtual_address, raw_size, raw_offset, _r, _l, _nr, _nl,
         characteristics) = struct.unpack("<8sIIIIIIHHI", stream.read(40))
        mappings.append(_Mapping(image_base + virtual_address, raw_size, raw_offset))
        if data == (0, 0) and virtual_address and raw_size and characteristics & ~0x600000 == wanted:
            data = (image_base + virtual_address, virtual_size)
    return _Executable(stream, mappings, data)


def _macho(stream: BinaryIO, base: int) -> _Executable:
    stream.seek(base)
    head = stream.read(4)
    order = ">" if head in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf") else "<"
    magic, = struct.unpack(order + "I", head)
    wide = magic == 0xFEEDFACF
    _cpu, _sub, _kind, count, _size, _flags = struct.unpack(order + "6I", stream.read(24))
    position = base + (32 if wide else 28)
    mappings: list[_Mapping] = []
    sections: dict[str, tuple[int, int]] = {}
    first_rw: tuple[int, int] | None = None
    for _ in range(count):
        stream.seek(position)
        command, command_size = struct.unpack(order + "II", stream.read(8))
        if command_size < 8:
            raise ValueError("a Mach-O load command shorter than its header")
        if command in (0x1, 0x19):  # LC_SEGMENT, LC_SEGMENT_64
            layout = order + ("16sQQQQiiII" if wide else "16sIIIIiiII")
            name, address, memory_size, file_offset, file_size, max_prot, prot, nsects, _f = \
                struct.unpack(layout, stream.read(struct.calcsize(layout)))
            if name.rstrip(b"\0") != b"__PAGEZERO":
                mappings.append(_Mapping(address, file_size, base + file_offset))
            if first_rw is None and address and file_size and prot == 3 and max_prot == 3:
                first_rw = (address, memory_size)
            section_layout = order + ("16s16sQQ" if wide else "16s16sII")
            section_size = 80 if wide else 68
            for _ in range(nsects):
                entry = stream.read(section_size)
                section, _segment, section_address, size = struct.unpack_from(section_layout, entry)
                sections.setdefault(section.rstrip(b"\0").decode("latin-1"), (section_address, size))
        position += command_size
    data = sections.get("__go_buildinfo") or first_rw or (0, 0)
    return _Executable(stream, mappings, data)


# -- decoding the blob ----------------------------------------------------------------------


def _raw_build_info(executable: _Executable, what: str) -> tuple[str, str]:
    not_go = NoBuildInfoError(f"{what} is {NOT_GO}", _NOT_GO_HINT, reason=NOT_GO)
    address = _search_magic(executable)
    if address is None:
        size, described = executable.file_size(), executable.described_size()
        if described > size:
            reason = f"truncated: it ends at byte {size}, its headers describe {described} bytes"
            raise BuildInfoError(f"{what} is {reason}", "copy or download the file again; a Go "
                                 "program cut short has lost its build information", reason=reason)
        raise not_go
    header = executable.read(address, HEADER_SIZE)
    if len(header) < HEADER_SIZE:
        raise not_go
    flags = header[15]
    if flags & _FLAG_INLINE:
        version, address = _inline_string(executable, address + HEADER_SIZE)
        modinfo, _ = _inline_string(executable, address)
    else:  # before Go 1.18: pointers to Go string headers
        size = header[14]
        if size not in (4, 8):
            raise not_go
        order = ">" if flags & _FLAG_BIG_ENDIAN else "<"
        pointer = order + ("I" if size == 4 else "Q")
        version = _pointed_string(executable, pointer, size, struct.unpack_from(pointer, header, 16)[0])
        modinfo = _pointed_string(executable, pointer, size,
                                  struct.unpack_from(pointer, header, 16 + size)[0])
    if not version:
        raise not_go
    # Module information sits between two 16-byte sentinels (cmd/go's infoStart, infoEnd).
    modinfo = modinfo[16:-16] if len(modinfo) >= 33 and modinfo[-17] == "\n" else ""
    return version, modinfo


def _search_magic(executable: _Executable) -> int | None:
    start = (executable.data_start + ALIGN - 1) & ~(ALIGN - 1)
    end = executable.data_start + executable.data_size
    while start < end:
        chunk = executable.read(start, min(SEARCH_CHUNK, end - start))
        if not chunk:
            return None
        found = chunk.find(MAGIC)
        while found >= 0:
            if found % ALIGN == 0:
                return start + found
            found = chunk.find(MAGIC, found + 1)
        start += len(chunk) if len(chunk) % ALIGN == 0 else len(chunk) - len(chunk) % ALIGN + ALIGN
    return None


def _inline_string(executable: _Executable, address: int) -> tuple[str, int]:
    head = executable.read(address, 10)
    length = shift = used = 0
    for byte in head:
        used += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    else:
        return "", address
    if length > MAX_STRING:
        return "", address
    data = executable.read(address + used, length)
    if len(data) < length:
        return "", address
    return data.decode("utf-8", "replace"), address + used + length


def _pointed_string(executable: _Executable, pointer: str, size: int, address: int) -> str:
    header = executable.read(address, 2 * size)
    if len(header) < 2 * size:
        return ""
    data_address = struct.unpack_from(pointer, header)[0]
    length = struct.unpack_from(pointer, header, size)[0]
    if length > MAX_STRING:
        return ""
    data = executable.read(data_address, length)
    return data.decode("utf-8", "replace") if len(data) == length else ""
