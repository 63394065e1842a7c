"""The ``numeric`` policy: ``.npy``, ``.npz`` and safetensors files holding the same
tensors whose values agree within ``rtol``/``atol`` ([REB-12])."""

from __future__ import annotations

import math
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rebuildable.formats import safetensors
from rebuildable.rebuild.equivalence import optional
from rebuildable.rebuild.equivalence.comparison import (
    DECOMPRESSION_ERRORS,
    MAX_LISTED,
    Comparison,
    FormatError,
    Nested,
)
from rebuildable.rebuild.equivalence.optional import NUMPY_MISSING
from rebuildable.rebuild.equivalence.policy import NUMERIC_DEFAULTS

MAX_SAFETENSORS_HEADER = safetensors.HEADER_CAP
#: uncompressed bytes of an .npz read into memory, per file
NPZ_MAX_BYTES = 4 * 1024**3
#: numpy's own default bound on an .npy header
MAX_NPY_HEADER = 10000
#: what zipfile raises for a member it cannot read: encrypted (RuntimeError), an
#: unknown compression method (NotImplementedError), corrupt data
_UNREADABLE: tuple[type[Exception], ...] = (
    zipfile.BadZipFile, RuntimeError, ValueError, OSError, EOFError, *DECOMPRESSION_ERRORS)

_ST_DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
    "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?",
    "BF16": "<u2", "F8_E4M3": "u1", "F8_E5M2": "u1",
}


@dataclass
class Tensor:
    dtype: str  # as the file names it ("F32", "float32", ...)
    array: Any  # numpy array (floats for BF16, raw bytes for F8 kinds)
    exact_only: bool = False


@dataclass
class TensorFile:
    format: str
    tensors: dict[str, Tensor]
    metadata: dict[str, Any] | None = None


def read_safetensors(path: Path) -> TensorFile:
    """Parse a safetensors file with the one header parser (formats/safetensors.py)."""
    np = optional.numpy_module()
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise FormatError("shorter than a safetensors header")
        n = safetensors.header_length(head)
        problem = safetensors.length_problem(n, size)
        if problem is not None:
            raise FormatError(problem)
        header = safetensors.parse_header(fh.read(n), size - 8 - n)
    if header.problems:
        raise FormatError(header.problems[0])
    start = 8 + n
    length = size - start
    buf = (np.memmap(path, dtype=np.uint8, mode="r", offset=start, shape=(length,))
           if length else np.zeros(0, dtype=np.uint8))
    tensors: dict[str, Tensor] = {}
    for t in header.tensors:
        if t.dtype not in _ST_DTYPES:
            raise FormatError(f"tensor {t.name!r}: dtype {t.dtype} has no numeric comparison")
        arr = buf[t.begin:t.end].view(np.dtype(_ST_DTYPES[t.dtype])).reshape(t.shape)
        if t.dtype == "BF16":
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
        tensors[t.name] = Tensor(t.dtype, arr, exact_only=t.dtype.startswith("F8_"))
    return TensorFile("safetensors", tensors, header.metadata)


def read_tensors(path: Path) -> TensorFile:
    """Read a .npy, .npz or safetensors file (by content, not by name)."""
    np = optional.numpy_module()
    with path.open("rb") as fh:
        magic = fh.read(6)
    try:
        if magic == b"\x93NUMPY":
            arr = np.load(path, allow_pickle=False, mmap_mode="r")
            return TensorFile("npy", {"": Tensor(str(arr.dtype), arr)})
        if magic[:4] == b"PK\x03\x04":
            _check_npz(np, path)
            with np.load(path, allow_pickle=False) as npz:
                loaded = {k: npz[k] for k in npz.files}
            # numpy hands back a member that is not a .npy file as its raw bytes
            odd = sorted(k for k, v in loaded.items() if not isinstance(v, np.ndarray))
            if odd:
                raise FormatError(f"member(s) {', '.join(odd[:5])} of the .npz are not arrays")
            return TensorFile("npz", {k: Tensor(str(v.dtype), v) for k, v in loaded.items()})
    except _UNREADABLE as exc:
        raise FormatError(str(exc)) from exc
    return read_safetensors(path)


def _check_npz(np: Any, path: Path) -> None:
    """Refuse an .npz that would take more memory than its bytes can fill: numpy reads
    every member whole, allocating what the member's header says first (a header of
    2**40 floats over 64 bytes of data is 8 TiB asked of the allocator)."""
    fmt = np.lib.format
    total = 0
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            total += info.file_size
            if total > NPZ_MAX_BYTES:
                raise FormatError(f"its members hold more than {NPZ_MAX_BYTES} bytes "
                                  "uncompressed, more than is compared in memory")
            if info.is_dir():
                continue
            with zf.open(info) as fh:
                # numpy reads any member (whatever its name) that starts so as an array
                if fh.read(6) != fmt.MAGIC_PREFIX:
                    continue
                major = fh.read(2)[:1]
                read_header = (fmt.read_array_header_1_0 if major == b"\x01"
                               else fmt.read_array_header_2_0)
                shape, _, dtype = read_header(fh, max_header_size=MAX_NPY_HEADER)
                header = fh.tell()
            needed = dtype.itemsize
            for dim in shape:
                needed *= dim
                if needed > info.file_size:
                    break
            if needed > info.file_size - header:
                raise FormatError(f"member {info.filename!r}: its header says shape "
                                  f"{list(shape)[:8]} of {dtype}, more than the "
                                  f"{info.file_size} bytes it holds")


def _index(flat: int, shape: tuple[int, ...]) -> list[int]:
    out = []
    for dim in reversed(shape):
        out.append(flat % dim if dim else 0)
        flat = flat // dim if dim else 0
    return list(reversed(out))


def _compare_tensor(np: Any, a: Tensor, b: Tensor, rtol: float, atol: float) -> dict[str, Any]:
    """Element-wise comparison in chunks; returns figures for one tensor."""
    fa, fb = a.array.reshape(-1), b.array.reshape(-1)
    kind = fb.dtype.kind
    tolerant = kind in "fc" and not (a.exact_only or b.exact_only)
    work = np.complex128 if kind == "c" else np.float64
    differing = 0
    first: int | None = None
    max_abs = 0.0
    max_rel = 0.0
    step = 1 << 20
    for lo in range(0, fb.size, step):
        ca, cb = np.asarray(fa[lo:lo + step]), np.asarray(fb[lo:lo + step])
        if tolerant:
            xa, xb = ca.astype(work), cb.astype(work)
            close = np.isclose(xa, xb, rtol=rtol, atol=atol, equal_nan=True)
            with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
                absd = np.abs(xa - xb)
                finite = np.isfinite(absd)
                if finite.any():
                    max_abs = max(max_abs, float(absd[finite].max()))
                    denom = np.abs(xb)
                    rel_ok = finite & (denom > 0)
                    if rel_ok.any():
                        max_rel = max(max_rel, float((absd[rel_ok] / denom[rel_ok]).max()))
        else:
            close = ca == cb
        bad = np.flatnonzero(~close)
        if bad.size:
            differing += int(bad.size)
            if first is None:
                first = lo + int(bad[0])
    out: dict[str, Any] = {"elements": int(fb.size), "differing": differing,
                           "max_abs_diff": max_abs, "max_rel_diff": max_rel,
                           "compared": "tolerance" if tolerant else "exact"}
    if first is not None:
        idx = _index(first, tuple(b.array.shape))
        out["first_index"] = idx
        out["rebuilt_value"] = _scalar(fa[first])
        out["published_value"] = _scalar(fb[first])
    return out


def _scalar(value: Any) -> Any:
    item = value.item()
    if isinstance(item, complex):
        return str(item)
    if isinstance(item, float) and not math.isfinite(item):
        return str(item)
    return item


def compare_numeric(rebuilt: Path, published: Path, params: dict[str, Any],
        nested: Nested) -> Comparison:
    np = optional.numpy_module()
    if np is None:
        return Comparison(False, False, "numeric", NUMPY_MISSING, unavailable=NUMPY_MISSING)
    rtol = float(params.get("rtol", NUMERIC_DEFAULTS["rtol"]))
    atol = float(params.get("atol", NUMERIC_DEFAULTS["atol"]))
    try:
        ta = read_tensors(rebuilt)
    except FormatError as exc:
        return Comparison(False, False, "numeric",
                          f"the rebuilt file is not a readable tensor file: {exc}")
    try:
        tb = read_tensors(published)
    except FormatError as exc:
        return Comparison(False, False, "numeric",
                          f"the published file is not a readable tensor file: {exc}")
    problems: list[str] = []
    details: dict[str, Any] = {"rtol": rtol, "atol": atol, "format": tb.format}
    _file_problems(ta, tb, problems, details)
    details.update(_tensor_figures(np, ta, tb, (rtol, atol), problems))
    total, differing = details["elements"], details["differing"]
    max_abs, max_rel = details["max_abs_diff"], details["max_rel_diff"]
    first: dict[str, Any] | None = details.get("first_difference")
    if problems:
        details["problems"] = problems
        return Comparison(False, False, "numeric", "; ".join(problems), details)
    figures_text = (f"max |Δ| {max_abs:.3g}, max relative {max_rel:.3g} over {total} elements "
                    f"in {len(tb.tensors)} tensor(s)")
    if differing:
        assert first is not None
        return Comparison(
            False, False, "numeric",
            f"{differing} of {total} elements beyond rtol={rtol:g} atol={atol:g}; first at "
            f"tensor {first['tensor']!r} index {first['index']}: rebuilt {first['rebuilt']} vs "
            f"published {first['published']}; {figures_text}", details)
    return Comparison(True, False, "numeric",
                      f"within rtol={rtol:g} atol={atol:g}: {figures_text}", details)


def _file_problems(ta: TensorFile, tb: TensorFile, problems: list[str],
                   details: dict[str, Any]) -> None:
    """What differs between the two files as wholes: format, tensor names, metadata."""
    if ta.format != tb.format:
        problems.append(f"format {ta.format} rebuilt vs {tb.format} published")
    missing = sorted(set(tb.tensors) - set(ta.tensors))
    extra = sorted(set(ta.tensors) - set(tb.tensors))
    if missing:
        problems.append(f"tensors missing from the rebuilt file: {', '.join(missing[:MAX_LISTED])}")
        details["missing_tensors"] = missing[:MAX_LISTED]
    if extra:
        problems.append(f"tensors only in the rebuilt file: {', '.join(extra[:MAX_LISTED])}")
        details["extra_tensors"] = extra[:MAX_LISTED]
    if ta.metadata != tb.metadata:
        problems.append("the safetensors __metadata__ differs")


def _tensor_figures(np: Any, ta: TensorFile, tb: TensorFile, tolerance: tuple[float, float],
                    problems: list[str]) -> dict[str, Any]:
    """The tensors both files hold, compared element by element (a dtype or shape that
    differs is a problem, not a figure): counts, largest differences, the first one."""
    rtol, atol = tolerance
    total = differing = 0
    max_abs = max_rel = 0.0
    first: dict[str, Any] | None = None
    for name in sorted(set(ta.tensors) & set(tb.tensors)):
        a, b = ta.tensors[name], tb.tensors[name]
        label = name or "array"
        if a.dtype != b.dtype:
            problems.append(f"tensor {label!r}: dtype {a.dtype} rebuilt vs {b.dtype} published")
            continue
        if tuple(a.array.shape) != tuple(b.array.shape):
            problems.append(f"tensor {label!r}: shape {list(a.array.shape)} rebuilt vs "
                            f"{list(b.array.shape)} published")
            continue
        figures = _compare_tensor(np, a, b, rtol, atol)
        total += figures["elements"]
        differing += figures["differing"]
        max_abs = max(max_abs, figures["max_abs_diff"])
        max_rel = max(max_rel, figures["max_rel_diff"])
        if first is None and "first_index" in figures:
            first = {"tensor": label, "index": figures["first_index"],
                     "rebuilt": figures["rebuilt_value"], "published": figures["published_value"]}
    out: dict[str, Any] = {"elements": total, "differing": differing, "max_abs_diff": max_abs,
                           "max_rel_diff": max_rel, "tensors": len(tb.tensors)}
    if first is not None:
        out["first_difference"] = first
    return out
