"""The one safetensors header parser: bounded, strict, and shared by the format sniffer
(formats/tensors.py) and the numeric equivalence policy (rebuild/equivalence.py).

A safetensors file is an 8-byte little-endian header length N, N bytes of JSON (tensor
name -> ``{dtype, shape, data_offsets: [begin, end]}`` plus an optional ``__metadata__``
map of strings), then the data buffer. Every tensor's offsets must lie in the buffer and
match its shape and dtype, and the tensors must tile the buffer exactly (no gap, no
overlap), as the reference implementation requires.

Bounds, so that a small header cannot cost unbounded time: the header is at most
:data:`HEADER_CAP` bytes and holds at most :data:`MAX_VALUES` JSON values (counted before
it is parsed); a shape has at most :data:`MAX_DIMS` dimensions, each at most 2^53 - 1; the
element count is multiplied out with an early stop once it exceeds what the buffer can
hold.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rebuildable.load import DuplicateKeyError, unique_keys

#: the largest JSON header read (the reference reader allows 100 MB)
HEADER_CAP = 100 * 1024 * 1024
#: the most dimensions of one tensor (NumPy's own limit is 64)
MAX_DIMS = 64
#: the largest single dimension (I-JSON's exact-integer range)
MAX_DIM = 2**53 - 1
#: problems listed before the rest are summed up
MAX_PROBLEMS = 20
#: the most JSON values (counted by their separators, before parsing) a header may hold:
#: parsing 90 MB of tiny entries took 16 s and 800 MB; a model of 100,000 tensors holds
#: about 600,000
MAX_VALUES = 1_000_000
#: bits per element of each dtype
BITS = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "I16": 16,
    "U16": 16, "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32, "F64": 64, "I64": 64,
    "U64": 64, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "C64": 64,
}
_MIN_BITS = min(BITS.values())


@dataclass(frozen=True, slots=True)
class TensorEntry:
    name: str
    dtype: str
    shape: tuple[int, ...]
    begin: int  # offsets into the data buffer
    end: int
    elements: int


@dataclass
class Header:
    """A parsed header. ``problems`` non-empty means the file is malformed; ``tensors``
    then holds only the entries that were well-formed on their own."""

    length: int
    #: every tensor name in the header, well-formed or not
    names: list[str] = field(default_factory=list)
    tensors: list[TensorEntry] = field(default_factory=list)
    metadata: dict[str, str] | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def dtypes(self) -> Counter[str]:
        return Counter(t.dtype for t in self.tensors)

    @property
    def parameters(self) -> int:
        return sum(t.elements for t in self.tensors)


def header_length(first8: bytes) -> int:
    return int.from_bytes(first8[:8], "little")


def length_problem(length: int, file_size: int) -> str | None:
    """Why a declared header length cannot be read (None when it can)."""
    if length > HEADER_CAP:
        return f"header of {length} bytes exceeds the {HEADER_CAP}-byte limit"
    if length > file_size - 8:
        return f"header length {length} exceeds the file"
    return None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def count_problem(raw: bytes) -> str | None:
    """Why a JSON header is not parsed at all: it holds more values than a header of any
    real model (None when it does not). Counted without parsing, in C."""
    values = raw.count(b",") + 1
    if values > MAX_VALUES:
        return (f"header holds about {values} JSON values, more than the {MAX_VALUES} that "
                "are parsed")
    return None


def parse_header(raw: bytes, buffer_size: int) -> Header:
    """Parse the JSON header ``raw`` of a file whose data buffer holds ``buffer_size``
    bytes. Never raises for bad bytes."""
    header = Header(len(raw))
    too_many = count_problem(raw)
    if too_many is not None:
        header.problems.append(too_many)
        return header
    try:
        # Integers parse in C; past 4,300 digits Python refuses them (ValueError below).
        data = json.loads(raw.decode("utf-8"), object_pairs_hook=unique_keys,
                          parse_constant=_no_constant)
    except DuplicateKeyError as exc:
        header.problems.append(f"header holds the key {exc.key!r} twice")
        return header
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        why = ("an integer literal has thousands of digits"
               if "integer string conversion" in str(exc) else str(exc))
        header.problems.append(f"header is not valid UTF-8 JSON: {why}")
        return header
    if not isinstance(data, dict):
        header.problems.append("header is not a JSON object")
        return header
    metadata = data.pop("__metadata__", None)
    if metadata is not None:
        if isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values()):
            header.metadata = metadata
        else:
            header.problems.append("__metadata__ is not a map of strings")
    header.names = list(data)
    for name, spec in data.items():
        if len(header.problems) >= MAX_PROBLEMS:
            header.problems.append("... (further problems not listed)")
            break
        entry = _entry(name, spec, buffer_size, header.problems)
        if entry is not None:
            header.tensors.append(entry)
    if not header.problems:
        _check_tiling(header, buffer_size)
    return header


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _entry(name: str, spec: Any, buffer_size: int, problems: list[str]) -> TensorEntry | None:
    if not isinstance(spec, dict):
        problems.append(f"tensor {name!r}: entry is not an object")
        return None
    dtype, shape, offsets = spec.get("dtype"), spec.get("shape"), spec.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in BITS:
        problems.append(f"tensor {name!r}: unknown dtype {_short(dtype)}")
        return None
    if isinstance(shape, list) and len(shape) > MAX_DIMS:
        problems.append(f"tensor {name!r}: {len(shape)} dimensions, more than {MAX_DIMS}")
        return None
    if not (isinstance(shape, list) and all(_is_int(d) and 0 <= d <= MAX_DIM for d in shape)):
        problems.append(f"tensor {name!r}: shape is not a list of non-negative integers "
                        f"below 2^53")
        return None
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_is_int, offsets))):
        problems.append(f"tensor {name!r}: data_offsets is not [begin, end]")
        return None
    begin, end = offsets
    if not 0 <= begin <= end <= buffer_size:
        problems.append(f"tensor {name!r}: data_offsets [{begin}, {end}] lie outside the "
                        f"{buffer_size}-byte data buffer")
        return None
    elements = bounded_product(shape, buffer_size * 8 // _MIN_BITS)
    want = None if elements is None else (elements * BITS[dtype] + 7) // 8
    if want != end - begin:
        expected = "more than the buffer holds" if want is None else str(want)
        problems.append(f"tensor {name!r}: {end - begin} bytes for {dtype} shape "
                        f"{_short(shape)} (expected {expected})")
        return None
    return TensorEntry(name, dtype, tuple(shape), begin, end, elements or 0)


def bounded_product(shape: list[int], limit: int) -> int | None:
    """The product of ``shape``, or None once it exceeds ``limit`` (never a huge product)."""
    if 0 in shape:
        return 0
    count = 1
    for dim in shape:
        count *= dim
        if count > limit:
            return None
    return count


def _check_tiling(header: Header, buffer_size: int) -> None:
    pos = 0
    for t in sorted(header.tensors, key=lambda t: (t.begin, t.end)):
        if t.begin != pos:
            what = "overlaps the previous tensor" if t.begin < pos else "leaves a gap before it"
            header.problems.append(f"tensor {t.name!r} starts at {t.begin}: {what}")
            return
        pos = t.end
    if pos != buffer_size:
        header.problems.append(f"tensors cover {pos} bytes but the data buffer holds "
                               f"{buffer_size}: the file size does not match the header")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
