"""Weights and arrays: safetensors, GGUF, NumPy ``.npy``; raw pickles and HDF5 by magic.

safetensors: an 8-byte little-endian header length N, N bytes of JSON (tensor name ->
``{dtype, shape, data_offsets: [begin, end]}`` plus an optional ``__metadata__`` map of
strings), then the byte buffer. Every tensor's offsets must lie in the buffer, match its
shape and dtype, and the tensors must tile the buffer exactly (no gap, no overlap), as the
reference implementation requires.

GGUF: magic, version (1, 2, 3), tensor count and key/value count (32-bit in version 1,
64-bit after), the key/values, the tensor infos, then aligned tensor data. All of it up
to the data is walked; tensor data must lie inside the file.

``.npy``: magic ``\\x93NUMPY``, version, a header length and a Python-literal dict read
with :func:`ast.literal_eval` (never unpickled). Object arrays are pickles: flagged.
"""

from __future__ import annotations

import ast
import math
import re
import struct
from collections import Counter
from typing import Any

from rebuildable.formats import safetensors
from rebuildable.formats._base import (
    ENTRY_CAP,
    BudgetExceededError,
    Cursor,
    FormatError,
    FormatInfo,
    Source,
)

FAMILY = "weights"
#: the largest safetensors JSON header read (the reference reader allows 100 MB)
SAFETENSORS_HEADER_CAP = safetensors.HEADER_CAP
#: bits per element of each safetensors dtype
SAFETENSORS_BITS = safetensors.BITS
_NAME_SAMPLE = 20


def matches(head: bytes, size: int) -> bool:
    if head.startswith((b"GGUF", b"\x93NUMPY", b"\x89HDF\r\n\x1a\n")):
        return True
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return _looks_pickle(head)
    return _looks_safetensors(head, size)


def _looks_pickle(head: bytes) -> bool:
    """A PROTO opcode followed by at least three more valid opcodes (or a valid FRAME)."""
    if head[1] >= 4:
        if len(head) < 11 or head[2] != 0x95:  # protocol 4+ pickles begin with a FRAME
            return False
        return int.from_bytes(head[3:11], "little") > 0
    import pickletools  # noqa: PLC0415 - only for bytes that may be a pickle

    ops = 0
    try:
        for _op, _arg, _pos in pickletools.genops(head[:512]):
            ops += 1
            if ops >= 4:
                return True
    except (ValueError, EOFError, UnicodeDecodeError, IndexError, struct.error):
        return False
    return ops >= 2


def _looks_safetensors(head: bytes, size: int) -> bool:
    if len(head) < 10:
        return False
    n = int.from_bytes(head[:8], "little")
    return 2 <= n <= size - 8 and head[8:9] == b"{"


def sniff(src: Source, head: bytes, name: str) -> FormatInfo:
    if head.startswith(b"GGUF"):
        return _gguf(src)
    if head.startswith(b"\x93NUMPY"):
        return npy_header(src, 0, src.size, "npy")
    if head.startswith(b"\x89HDF"):
        return FormatInfo(format="hdf5", family="data")
    if head[0] == 0x80:
        return FormatInfo(format="pickle", family=FAMILY, details={"pickle": True,
                                                                   "protocol": head[1]})
    return _safetensors(src)


# -- safetensors ------------------------------------------------------------------------


def _safetensors(src: Source) -> FormatInfo:
    n = safetensors.header_length(src.read_at(0, 8, "header length"))
    details: dict[str, Any] = {"header_bytes": n}
    problem = safetensors.length_problem(n, src.size)
    if problem is not None:
        return FormatInfo(format="safetensors", family=FAMILY, details=details,
                          problems=[problem])
    raw = src.read_at(8, n, "JSON header")
    too_many = safetensors.count_problem(raw)
    if too_many is not None:
        # Not damage: a header this large is left unread, and the report says so.
        return FormatInfo(format="safetensors", family=FAMILY, details=details,
                          notes=[f"not checked: the {too_many}"])
    header = safetensors.parse_header(raw, src.size - 8 - n)
    if header.metadata is not None:
        details["metadata_keys"] = sorted(header.metadata)[:_NAME_SAMPLE]
    if header.names:
        details.update(tensors=len(header.names), dtypes=dict(sorted(header.dtypes.items())),
                       parameters=header.parameters,
                       tensor_names=sorted(header.names)[:_NAME_SAMPLE])
    return FormatInfo(format="safetensors", family=FAMILY, details=details,
                      problems=header.problems)


# -- GGUF -----------------------------------------------------------------------------

_GGUF_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q",
                 11: "q", 12: "d"}
_GGUF_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING_CAP = 64 * 1024 * 1024
#: the most strings (or nested arrays) of one GGUF array that are walked
_ARRAY_CAP = 2_000_000
#: GGML tensor types: (block size in elements, bytes per block)
_GGML_TYPES = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
    9: (32, 36), 10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176),
    14: (256, 210), 15: (256, 292), 16: (256, 66), 17: (256, 74), 18: (256, 98),
    19: (256, 50), 20: (32, 18), 21: (256, 110), 22: (256, 82), 23: (256, 136),
    24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8), 29: (256, 56), 30: (1, 2),
    34: (256, 54), 35: (256, 66), 39: (32, 17),
}


def _gguf(src: Source) -> FormatInfo:
    cur = Cursor(src, 4)
    version = cur.u32("version")
    if version > 0xFFFF:  # written big-endian
        cur = Cursor(src, 4, big_endian=True)
        version = cur.u32("version")
    details: dict[str, Any] = {"version": version,
                               "byte_order": "big" if cur.endian == ">" else "little"}
    if version not in (1, 2, 3):
        return FormatInfo(format="gguf", family=FAMILY, details=details,
                          problems=[f"unknown GGUF version {version}"])
    wide = version >= 2
    problems: list[str] = []
    try:
        n_tensors = cur.u64("tensor count") if wide else cur.u32("tensor count")
        n_kv = cur.u64("key/value count") if wide else cur.u32("key/value count")
        details.update(tensors=n_tensors, kv=n_kv)
        if n_tensors > 10_000_000 or n_kv > 10_000_000:
            raise FormatError(f"implausible counts: {n_tensors} tensors, {n_kv} key/values")
        if n_tensors > ENTRY_CAP or n_kv > ENTRY_CAP:
            # Not damage, but each info costs Python work: 4 million of them (a 94 MB
            # file) took 20 s. Models hold thousands.
            return FormatInfo(format="gguf", family=FAMILY, details=details,
                              notes=[f"more than {ENTRY_CAP} tensor infos or key/values: "
                                     "not walked"])
        alignment = _gguf_metadata(cur, wide, n_kv, details)
        types: Counter[str] = Counter()
        tensors = [_gguf_tensor(cur, wide, index, alignment, types=types, problems=problems)
                   for index in range(n_tensors)]
        data_start = cur.pos + (-cur.pos) % alignment if n_tensors else cur.pos
        details["data_offset"] = data_start
        details["ggml_types"] = dict(sorted(types.items()))
        for tname, offset, nbytes in tensors:
            if data_start + offset + max(nbytes, 0) > src.size:
                problems.append(f"tensor {tname!r} data (offset {offset}, {nbytes} bytes) "
                                f"runs past the end of the file: truncated")
                break
        if not n_tensors and cur.pos != src.size:
            details["trailing_bytes"] = src.size - cur.pos
    except FormatError as exc:
        problems.append(str(exc))
    except BudgetExceededError as exc:
        return FormatInfo(format="gguf", family=FAMILY, details=details, problems=problems,
                          notes=[f"not fully checked: {exc}"])
    return FormatInfo(format="gguf", family=FAMILY, details=details, problems=problems)


def _gguf_metadata(cur: Cursor, wide: bool, n_kv: int, details: dict[str, Any]) -> int:
    """Read the key/value pairs; note the architecture and name; the data alignment."""
    alignment = 32
    for index in range(n_kv):
        key = _gguf_string(cur, wide, f"key {index}")
        vtype = cur.u32(f"type of {key!r}")
        value = _gguf_value(cur, vtype, wide, key)
        if key == "general.architecture" and isinstance(value, str):
            details["architecture"] = value[:100]
        elif key == "general.name" and isinstance(value, str):
            details["name"] = value[:200]
        elif key == "general.alignment":
            if not isinstance(value, int) or value <= 0 or value & (value - 1):
                raise FormatError(f"general.alignment {value!r} is not a power of two")
            alignment = value
    return alignment


def _gguf_tensor(cur: Cursor, wide: bool, index: int, alignment: int, *,
                 types: Counter[str], problems: list[str]) -> tuple[str, int, int]:
    """One tensor's info: its name, data offset and size in bytes (-1: unknown type)."""
    tname = _gguf_string(cur, wide, f"tensor {index} name")
    n_dims = cur.u32(f"tensor {tname!r} dimension count")
    if n_dims > 8:
        raise FormatError(f"tensor {tname!r} has {n_dims} dimensions")
    dims = [cur.u64("dimension") if wide else cur.u32("dimension") for _ in range(n_dims)]
    ttype = cur.u32(f"tensor {tname!r} type")
    offset = cur.u64(f"tensor {tname!r} offset")
    types[str(ttype)] += 1
    if offset % alignment and len(problems) < safetensors.MAX_PROBLEMS:
        problems.append(f"tensor {tname!r} offset {offset} is not aligned to {alignment}")
    nbytes = -1
    if ttype in _GGML_TYPES:
        block, per = _GGML_TYPES[ttype]
        nbytes = (math.prod(dims) + block - 1) // block * per
    return tname, offset, nbytes


_KEY = re.compile(r"[A-Za-z0-9_.\-]+")


def _gguf_string(cur: Cursor, wide: bool, what: str) -> str:
    n = cur.u64(f"{what} length") if wide else cur.u32(f"{what} length")
    if n > _STRING_CAP:
        raise FormatError(f"{what}: string of {n} bytes at offset {cur.pos}")
    raw = cur.read(n, what)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{what} is not UTF-8 at offset {cur.pos - n}") from exc
    if what.startswith("key ") and not _KEY.fullmatch(text):
        raise FormatError(f"{what} {text[:60]!r} is not a valid key name (offset {cur.pos - n}): "
                        f"the key/value section is corrupt")
    return text


def _gguf_value(cur: Cursor, vtype: int, wide: bool, key: str, depth: int = 0) -> Any:
    if vtype in _GGUF_SCALARS:
        return cur.unpack(_GGUF_SCALARS[vtype], f"value of {key!r}")[0]
    if vtype == 8:
        return _gguf_string(cur, wide, f"value of {key!r}")
    if vtype == 9:
        if depth > 4:
            raise FormatError(f"arrays nested too deep in {key!r}")
        etype = cur.u32(f"array type of {key!r}")
        n = cur.u64(f"array length of {key!r}") if wide else cur.u32(f"array length of {key!r}")
        if etype in _GGUF_SIZES:
            cur.skip(n * _GGUF_SIZES[etype], f"array {key!r}")
            return None
        if etype not in (8, 9):
            raise FormatError(f"array {key!r} has unknown element type {etype}")
        least = 8 if wide else 4  # every string or nested array starts with a length
        if n * least > cur.src.size - cur.pos:
            raise FormatError(f"array {key!r} claims {n} elements, more than the "
                              f"{cur.src.size - cur.pos} bytes left in the file can hold")
        if n > _ARRAY_CAP:
            raise BudgetExceededError(f"array {key!r} holds {n} strings or arrays "
                                      f"(more than {_ARRAY_CAP} are not walked)")
        for _ in range(n):
            _gguf_value(cur, etype, wide, key, depth + 1)
        return None
    raise FormatError(f"key {key!r} has unknown value type {vtype} (offset {cur.pos - 4})")


# -- NumPy ------------------------------------------------------------------------------

#: numpy refuses headers longer than this by default
NPY_HEADER_CAP = 64 * 1024
_DESCR = re.compile(r"[<>|=]?([biufcmMSUVO?])(\d*)(?:\[[^\]]*\])?")


def npy_header(src: Source, start: int, size: int, fmt: str) -> FormatInfo:
    """Parse one .npy header at ``start`` of a member ``size`` bytes long."""
    cur = Cursor(src, start)
    details: dict[str, Any] = {}
    try:
        if cur.read(6, "magic") != b"\x93NUMPY":
            raise FormatError("no \\x93NUMPY magic")
        major, minor = cur.u8("major version"), cur.u8("minor version")
        details["version"] = f"{major}.{minor}"
        if major not in (1, 2, 3):
            raise FormatError(f"unknown .npy version {major}.{minor}")
        hlen = cur.u16("header length") if major == 1 else cur.u32("header length")
        if hlen > NPY_HEADER_CAP:
            raise FormatError(f"header of {hlen} bytes exceeds {NPY_HEADER_CAP}")
        text = cur.read(hlen, "header").decode("utf-8" if major == 3 else "latin-1")
        header = ast.literal_eval(text)
    except (ValueError, SyntaxError, UnicodeDecodeError, MemoryError, RecursionError) as exc:
        return FormatInfo(format=fmt, family=FAMILY, details=details,
                          problems=[f"header is not a Python literal: {exc}"])
    except FormatError as exc:
        return FormatInfo(format=fmt, family=FAMILY, details=details, problems=[str(exc)])
    problems: list[str] = []
    if not (isinstance(header, dict) and {"descr", "fortran_order", "shape"} <= header.keys()):
        return FormatInfo(format=fmt, family=FAMILY, details=details,
                          problems=["header is not a dict with descr, fortran_order and shape"])
    descr, shape = header["descr"], header["shape"]
    if not (isinstance(shape, tuple) and all(isinstance(d, int) and d >= 0 for d in shape)):
        return FormatInfo(format=fmt, family=FAMILY, details=details,
                          problems=[f"shape {shape!r} is not a tuple of non-negative integers"])
    if len(shape) > safetensors.MAX_DIMS:
        return FormatInfo(format=fmt, family=FAMILY, details=details,
                          problems=[f"shape has {len(shape)} dimensions, more than "
                                    f"{safetensors.MAX_DIMS}"])
    details.update(shape=list(shape), descr=descr if isinstance(descr, str) else "structured")
    itemsize = _itemsize(descr)
    if itemsize is None:
        if isinstance(descr, str) and "O" in descr:
            details["pickle"] = True
    else:
        elements = safetensors.bounded_product(list(shape), size)
        want = None if elements is None else cur.pos - start + elements * itemsize
        if want != size:
            end = "past its end" if want is None else f"at byte {want}"
            problems.append(f"array data should end {end} but the "
                            f"{'member' if fmt == 'npz' else 'file'} has {size} bytes")
    if isinstance(descr, list) and "'O'" in repr(descr):
        details["pickle"] = True
    return FormatInfo(format=fmt, family=FAMILY, details=details, problems=problems)


def _itemsize(descr: object) -> int | None:
    if not isinstance(descr, str):
        return None
    m = _DESCR.fullmatch(descr)
    if not m or m.group(1) == "O" or "[" in descr:
        return None
    kind, digits = m.group(1), m.group(2)
    if kind == "?":
        return 1
    if not digits:
        return None
    n = int(digits)
    return n * 4 if kind == "U" else n
