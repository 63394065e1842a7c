"""Executables and compiled code: ELF, PE (Windows), Mach-O (thin and fat), WebAssembly,
Java class files. Headers only; tables are checked to lie inside the file."""

from __future__ import annotations

import struct
from typing import Any

from rebuildable.formats._base import Cursor, FormatError, FormatInfo, Source

FAMILY = "binary"
_MACHO = {b"\xfe\xed\xfa\xce": (">", 32), b"\xce\xfa\xed\xfe": ("<", 32),
          b"\xfe\xed\xfa\xcf": (">", 64), b"\xcf\xfa\xed\xfe": ("<", 64)}
_FAT = (b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf")
_ELF_TYPES = {1: "relocatable", 2: "executable", 3: "shared-object", 4: "core"}
_ELF_MACHINES = {3: "x86", 8: "mips", 20: "ppc", 21: "ppc64", 40: "arm", 62: "x86-64",
                 183: "aarch64", 243: "riscv"}
_PE_MACHINES = {0x14C: "x86", 0x8664: "x86-64", 0xAA64: "arm64", 0x1C0: "arm", 0x1C4: "armnt"}
_MACHO_CPU = {7: "x86", 0x01000007: "x86-64", 12: "arm", 0x0100000C: "arm64", 18: "ppc"}


def matches(head: bytes) -> bool:
    if head.startswith((b"\x7fELF", b"\0asm")) or head[:4] in _MACHO:
        return True
    if head[:4] in _FAT and len(head) >= 8:
        return True  # fat Mach-O or a Java class file; told apart in sniff
    return head[:2] == b"MZ" and len(head) >= 64 and _pe_offset(head) is not None


def _pe_offset(head: bytes) -> int | None:
    (offset,) = struct.unpack_from("<I", head, 0x3C)
    return offset if 0x40 <= offset <= 0x10000000 else None


def sniff(src: Source, head: bytes, name: str) -> FormatInfo:
    try:
        if head.startswith(b"\x7fELF"):
            return _elf(src, head)
        if head.startswith(b"\0asm"):
            version = int.from_bytes(head[4:8], "little") if len(head) >= 8 else None
            return FormatInfo(format="wasm", family=FAMILY, details={"version": version})
        if head[:4] in _MACHO:
            return _macho(src, head)
        if head[:4] in _FAT:
            return _fat(src, head)
        return _pe(src, head)
    except FormatError as exc:
        fmt = {b"\x7fE": "elf", b"MZ": "pe"}.get(head[:2], "macho")
        return FormatInfo(format=fmt, family=FAMILY, problems=[str(exc)])


def _elf(src: Source, head: bytes) -> FormatInfo:
    if len(head) < 52:
        return FormatInfo(format="elf", family=FAMILY, problems=["ELF header is truncated"])
    bits = {1: 32, 2: 64}.get(head[4])
    endian = {1: "<", 2: ">"}.get(head[5])
    if bits is None or endian is None:
        return FormatInfo(format="elf", family=FAMILY,
                          problems=[f"bad ELF class {head[4]} or data encoding {head[5]}"])
    e_type, machine = struct.unpack_from(endian + "HH", head, 16)
    details: dict[str, Any] = {"bits": bits, "byte_order": "little" if endian == "<" else "big",
                               "type": _ELF_TYPES.get(e_type, str(e_type)),
                               "machine": _ELF_MACHINES.get(machine, str(machine))}
    if bits == 64:
        if len(head) < 64:
            return FormatInfo(format="elf", family=FAMILY, details=details,
                              problems=["ELF header is truncated"])
        phoff, shoff = struct.unpack_from(endian + "QQ", head, 32)
        phentsize, phnum, shentsize, shnum = struct.unpack_from(endian + "HHHH", head, 54)
    else:
        phoff, shoff = struct.unpack_from(endian + "II", head, 28)
        phentsize, phnum, shentsize, shnum = struct.unpack_from(endian + "HHHH", head, 42)
    problems = []
    if phnum and phoff + phentsize * phnum > src.size:
        problems.append("program header table runs past the end of the file: truncated")
    if shnum and shoff + shentsize * shnum > src.size:
        problems.append("section header table runs past the end of the file: truncated")
    return FormatInfo(format="elf", family=FAMILY, details=details, problems=problems)


def _pe(src: Source, head: bytes) -> FormatInfo:
    offset = _pe_offset(head)
    assert offset is not None
    cur = Cursor(src, offset)
    if cur.read(4, "PE signature") != b"PE\0\0":
        return FormatInfo(format="msdos", family=FAMILY,
                          details={"note": "MZ header without a PE signature"})
    machine, sections, _ts, _sym, _nsym, opt_size, chars = cur.unpack("HHIIIHH", "COFF header")
    details: dict[str, Any] = {"machine": _PE_MACHINES.get(machine, hex(machine)),
                               "sections": sections, "dll": bool(chars & 0x2000)}
    if opt_size >= 2:
        magic = cur.u16("optional header magic")
        details["pe_type"] = {0x10B: "pe32", 0x20B: "pe32+"}.get(magic, hex(magic))
        if magic in (0x10B, 0x20B) and opt_size >= 70:
            cur.skip(66, "optional header")
            details["subsystem"] = cur.u16("subsystem")
    problems: list[str] = []
    table = offset + 24 + opt_size
    if table + 40 * sections > src.size:
        problems.append("section table runs past the end of the file: truncated")
    return FormatInfo(format="pe", family=FAMILY, details=details, problems=problems)


def _macho(src: Source, head: bytes) -> FormatInfo:
    endian, bits = _MACHO[head[:4]]
    if len(head) < 28:
        return FormatInfo(format="macho", family=FAMILY, problems=["Mach-O header is truncated"])
    cpu, _sub, ftype, ncmds, cmds_size = struct.unpack_from(endian + "iiIII", head, 4)
    details = {"bits": bits, "cpu": _MACHO_CPU.get(cpu, str(cpu)), "filetype": ftype,
               "commands": ncmds}
    problems = []
    if (32 if bits == 64 else 28) + cmds_size > src.size:
        problems.append("load commands run past the end of the file: truncated")
    return FormatInfo(format="macho", family=FAMILY, details=details, problems=problems)


def _fat(src: Source, head: bytes) -> FormatInfo:
    (count,) = struct.unpack_from(">I", head, 4)
    if count >= 30:  # Java class files share the magic; their next word is the version
        minor, major = struct.unpack_from(">HH", head, 4)
        return FormatInfo(format="java-class", family=FAMILY,
                          details={"major_version": major, "minor_version": minor})
    wide = head[:4] == b"\xca\xfe\xba\xbf"
    cur = Cursor(src, 8, big_endian=True)
    arches: list[str] = []
    problems: list[str] = []
    for _ in range(count):
        if wide:
            cpu, _sub, offset, size, _align, _res = cur.unpack("iiQQII", "fat arch")
        else:
            cpu, _sub, offset, size, _align = cur.unpack("iiIII", "fat arch")
        arches.append(_MACHO_CPU.get(cpu, str(cpu)))
        if offset + size > src.size:
            problems.append(f"the {arches[-1]} slice runs past the end of the file: truncated")
    return FormatInfo(format="macho", family=FAMILY, details={"fat": True, "arches": arches},
                      problems=problems)
