"""Comparing a rebuilt output with the published one under an equivalence policy.

Policies (``spec/rebuild.md``, [REB-10] to [REB-15]):

* ``exact`` (default): the same bytes;
* ``text``: the same lines once line endings, trailing whitespace on each line and
  blank lines at the end are normalised;
* ``numeric`` (``rtol``, ``atol``): ``.npy``, ``.npz`` and safetensors files hold the same
  tensors (names, dtypes, shapes) whose floating-point values satisfy
  ``|rebuilt - published| <= atol + rtol * |published|`` (numpy.isclose); integer and
  boolean tensors must be equal; needs numpy;
* ``image`` (``tolerance``, ``max-differing``, ``min-psnr``): same size, mode and frame
  count; a pixel differs when a channel differs by more than ``tolerance``; needs Pillow
  and numpy;
* ``archive`` (``members``): zip or tar archives with the same members (names, types,
  link targets, permissions); member contents compared by the ``members`` policy
  (default exact); timestamps, ownership, compression and member order are ignored.

Byte-identical files are always equivalent, whatever the policy, and need no optional
package. Nothing here raises for bad input: a file the comparator cannot read is a
difference, with the reason.
"""

from __future__ import annotations

import contextlib
import math
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from rebuildable.formats import safetensors

CHUNK = 1024 * 1024
CONTEXT = 8  # bytes of hex context on each side of the first differing byte
MAX_ARCHIVE_DEPTH = 4
MAX_EXTRACT_BYTES = 4 * 1024**3  # per comparison, across all nested members
MAX_TEXT_BYTES = 256 * 1024 * 1024
MAX_SAFETENSORS_HEADER = safetensors.HEADER_CAP
MAX_LISTED = 20  # differing members / tensors listed in details

POLICIES = ("exact", "text", "numeric", "image", "archive")
NUMERIC_DEFAULTS = {"rtol": 1e-05, "atol": 1e-08}  # numpy.isclose's defaults


class PolicyError(ValueError):
    """An equivalence policy is not one this version knows."""


@dataclass(frozen=True)
class Policy:
    name: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> Any:
        return {self.name: dict(self.params)} if self.params else self.name


def parse_policy(raw: Any) -> Policy:
    """``"exact"`` or ``{"numeric": {"rtol": 1e-5}}`` -> :class:`Policy`."""
    if raw is None:
        return Policy("exact")
    if isinstance(raw, str):
        if raw not in POLICIES:
            raise PolicyError(f"unknown equivalence policy {raw!r}")
        return Policy(raw)
    if isinstance(raw, dict) and len(raw) == 1:
        (name, params), = raw.items()
        if name not in POLICIES:
            raise PolicyError(f"unknown equivalence policy {name!r}")
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise PolicyError(f"the parameters of {name!r} must be a mapping")
        allowed = {"exact": set(), "text": set(), "numeric": {"rtol", "atol"},
                   "image": {"tolerance", "max-differing", "min-psnr"},
                   "archive": {"members"}}[name]
        unknown = set(params) - allowed
        if unknown:
            raise PolicyError(f"unknown parameter(s) for {name!r}: {', '.join(sorted(unknown))}")
        for key in ("rtol", "atol", "tolerance", "max-differing", "min-psnr"):
            if key in params:
                value = params[key]
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise PolicyError(f"{name}.{key} must be a non-negative number")
        if "members" in params:
            parse_policy(params["members"])
        return Policy(name, dict(params))
    raise PolicyError("an equivalence policy is a name or a mapping with one key")


@dataclass
class Comparison:
    equal: bool  # equivalent under the policy
    identical: bool  # the same bytes
    policy: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    #: set when an optional package the policy needs is missing
    unavailable: str | None = None


# -- bytes ------------------------------------------------------------------------------


def _first_difference(a: IO[bytes], b: IO[bytes]) -> tuple[int | None, int, int]:
    """(offset of the first differing byte or None, size of a, size of b)."""
    offset = 0
    first: int | None = None
    size_a = size_b = 0
    while True:
        ca, cb = a.read(CHUNK), b.read(CHUNK)
        size_a += len(ca)
        size_b += len(cb)
        if first is None and ca != cb:
            n = min(len(ca), len(cb))
            i = next((k for k in range(n) if ca[k] != cb[k]), n)
            first = offset + i
        if not ca and not cb:
            return first, size_a, size_b
        offset += max(len(ca), len(cb))
        if first is not None:
            # keep counting sizes only
            size_a += _drain(a)
            size_b += _drain(b)
            return first, size_a, size_b


def _drain(fh: IO[bytes]) -> int:
    n = 0
    while chunk := fh.read(CHUNK):
        n += len(chunk)
    return n


def _context(path: Path, offset: int) -> str:
    with path.open("rb") as fh:
        fh.seek(max(0, offset - CONTEXT))
        return fh.read(2 * CONTEXT).hex(" ")


def byte_difference(rebuilt: Path, published: Path) -> dict[str, Any] | None:
    """None when identical; else where the bytes first differ, with hex context."""
    with rebuilt.open("rb") as a, published.open("rb") as b:
        first, size_a, size_b = _first_difference(a, b)
    if first is None:
        return None
    return {
        "offset": first,
        "rebuilt_size": size_a,
        "published_size": size_b,
        "context_start": max(0, first - CONTEXT),
        "rebuilt_hex": _context(rebuilt, first),
        "published_hex": _context(published, first),
    }


def _describe_bytes(diff: dict[str, Any]) -> str:
    size = ""
    if diff["rebuilt_size"] != diff["published_size"]:
        size = f" (sizes {diff['rebuilt_size']} rebuilt, {diff['published_size']} published)"
    return (f"first differing byte at offset {diff['offset']}{size}: "
            f"rebuilt [{diff['rebuilt_hex']}] vs published [{diff['published_hex']}] "
            f"from offset {diff['context_start']}")


# -- dispatch ---------------------------------------------------------------------------


@dataclass
class _Budget:
    left: int


def compare(rebuilt: Path, published: Path, policy: Policy | None = None) -> Comparison:
    """Compare two files on disk under ``policy`` (default exact)."""
    return _compare(rebuilt, published, policy or Policy("exact"), 0, _Budget(MAX_EXTRACT_BYTES))


def _compare(rebuilt: Path, published: Path, policy: Policy, depth: int,
             budget: _Budget) -> Comparison:
    diff = byte_difference(rebuilt, published)
    if diff is None:
        return Comparison(True, True, policy.name, "identical bytes")
    comparator = _COMPARATORS[policy.name]
    result = comparator(rebuilt, published, policy.params, depth, budget)
    result.details.setdefault("bytes", diff)
    return result


def _exact(rebuilt: Path, published: Path, params: dict[str, Any], depth: int,
           budget: _Budget) -> Comparison:
    diff = byte_difference(rebuilt, published)
    assert diff is not None
    return Comparison(False, False, "exact", _describe_bytes(diff), {"bytes": diff})


# -- text -------------------------------------------------------------------------------


def _normalised_lines(path: Path) -> list[str]:
    data = path.read_bytes()
    text = data.decode("utf-8", "surrogateescape")
    lines = [ln.rstrip(" \t\f\v") for ln in text.replace("\r\n", "\n").replace("\r", "\n")
             .split("\n")]
    while lines and lines[-1] == "":
        lines.pop()
    return lines


def _clip(s: str, n: int = 200) -> str:
    s = s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return s if len(s) <= n else s[:n] + "…"


def _text(rebuilt: Path, published: Path, params: dict[str, Any], depth: int,
          budget: _Budget) -> Comparison:
    if max(rebuilt.stat().st_size, published.stat().st_size) > MAX_TEXT_BYTES:
        result = _exact(rebuilt, published, {}, depth, budget)
        result.policy = "text"
        result.summary = "too large for a text comparison; " + result.summary
        return result
    a, b = _normalised_lines(rebuilt), _normalised_lines(published)
    if a == b:
        return Comparison(True, False, "text",
                          "same text once line endings and trailing whitespace are normalised",
                          {"lines": len(a)})
    n = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
    details = {"line": n + 1, "rebuilt_lines": len(a), "published_lines": len(b),
               "rebuilt": _clip(a[n]) if n < len(a) else None,
               "published": _clip(b[n]) if n < len(b) else None}
    if n >= len(a):
        what = (f"the rebuilt text ends after line {len(a)}; "
                f"published line {n + 1}: {details['published']!r}")
    elif n >= len(b):
        what = (f"the published text ends after line {len(b)}; "
                f"rebuilt line {n + 1}: {details['rebuilt']!r}")
    else:
        what = (f"first differing line {n + 1}: rebuilt {details['rebuilt']!r} "
                f"vs published {details['published']!r}")
    return Comparison(False, False, "text", what, details)


# -- numeric ----------------------------------------------------------------------------

NUMPY_MISSING = "the numeric policy needs numpy: pip install 'rebuildable[numeric]'"
PILLOW_MISSING = "the image policy needs Pillow and numpy: pip install 'rebuildable[image]'"


def _numpy() -> Any:
    try:
        import numpy  # noqa: PLC0415 - optional extra
    except ImportError:
        return None
    return numpy


class FormatError(ValueError):
    pass


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
    np = _numpy()
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
    np = _numpy()
    with path.open("rb") as fh:
        magic = fh.read(6)
    try:
        if magic == b"\x93NUMPY":
            arr = np.load(path, allow_pickle=False, mmap_mode="r")
            return TensorFile("npy", {"": Tensor(str(arr.dtype), arr)})
        if magic[:4] == b"PK\x03\x04":
            with np.load(path, allow_pickle=False) as npz:
                loaded = {k: npz[k] for k in npz.files}
            return TensorFile("npz", {k: Tensor(str(v.dtype), v) for k, v in loaded.items()})
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise FormatError(str(exc)) from exc
    return read_safetensors(path)


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


def _numeric(rebuilt: Path, published: Path, params: dict[str, Any], depth: int,
             budget: _Budget) -> Comparison:
    np = _numpy()
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
    details.update({"elements": total, "differing": differing, "max_abs_diff": max_abs,
                    "max_rel_diff": max_rel, "tensors": len(tb.tensors)})
    if first is not None:
        details["first_difference"] = first
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


# -- image ------------------------------------------------------------------------------


def _pillow() -> Any:
    try:
        from PIL import Image  # noqa: PLC0415 - optional extra
    except ImportError:
        return None
    return Image


def _frames(image_mod: Any, path: Path) -> tuple[str, tuple[int, int], list[Any]]:
    np = _numpy()
    with image_mod.open(path) as im:
        mode, size = im.mode, im.size
        frames = []
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            frame = im.convert("RGBA") if im.mode in ("P", "PA") else im.copy()
            frames.append(np.asarray(frame))
    return mode, size, frames


def _peak(mode: str, arr: Any) -> float:
    if mode == "1":
        return 1.0
    if mode.startswith("I;16"):
        return 65535.0
    if mode in ("I", "F"):
        return max(float(abs(arr).max()) if arr.size else 1.0, 1.0)
    return 255.0


def _image(rebuilt: Path, published: Path, params: dict[str, Any], depth: int,
           budget: _Budget) -> Comparison:
    image_mod, np = _pillow(), _numpy()
    if image_mod is None or np is None:
        return Comparison(False, False, "image", PILLOW_MISSING, unavailable=PILLOW_MISSING)
    tolerance = float(params.get("tolerance", 0))
    max_differing = float(params.get("max-differing", 0.0))
    min_psnr = params.get("min-psnr")
    frames = []
    for label, path in (("rebuilt", rebuilt), ("published", published)):
        try:
            frames.append(_frames(image_mod, path))
        except (OSError, ValueError, SyntaxError, image_mod.DecompressionBombError) as exc:
            return Comparison(False, False, "image",
                              f"the {label} file is not a readable image: {exc}")
    (mode_a, size_a, fa), (mode_b, size_b, fb) = frames
    details: dict[str, Any] = {"size": list(size_b), "mode": mode_b, "tolerance": tolerance,
                               "max_differing": max_differing, "min_psnr": min_psnr}
    if size_a != size_b or mode_a != mode_b or len(fa) != len(fb):
        what = []
        if size_a != size_b:
            what.append(f"size {size_a[0]}x{size_a[1]} rebuilt vs "
                        f"{size_b[0]}x{size_b[1]} published")
        if mode_a != mode_b:
            what.append(f"mode {mode_a} rebuilt vs {mode_b} published")
        if len(fa) != len(fb):
            what.append(f"{len(fa)} frame(s) rebuilt vs {len(fb)} published")
        return Comparison(False, False, "image", "; ".join(what), details)
    pixels = differing = 0
    sq = 0.0
    samples = 0
    max_channel = 0.0
    first: list[int] | None = None
    peak = 255.0
    for i, (a, b) in enumerate(zip(fa, fb, strict=True)):
        peak = _peak(mode_b, b)
        d = np.abs(a.astype(np.float64) - b.astype(np.float64))
        per_pixel = d.max(axis=2) if d.ndim == 3 else d
        bad = per_pixel > tolerance
        pixels += int(per_pixel.size)
        n_bad = int(bad.sum())
        differing += n_bad
        sq += float((d * d).sum())
        samples += int(d.size)
        max_channel = max(max_channel, float(d.max()) if d.size else 0.0)
        if n_bad and first is None:
            y, x = (int(v) for v in np.argwhere(bad)[0])
            first = [i, x, y]
    mse = sq / samples if samples else 0.0
    psnr = None if mse == 0 else 10 * math.log10(peak * peak / mse)
    fraction = differing / pixels if pixels else 0.0
    details.update({"pixels": pixels, "differing_pixels": differing,
                    "differing_fraction": fraction, "max_channel_diff": max_channel,
                    "psnr": psnr, "identical_pixels": mse == 0})
    psnr_text = "∞" if psnr is None else f"{psnr:.2f} dB"
    figures = (f"{differing} of {pixels} pixels differ by more than {tolerance:g}; "
               f"max channel difference {max_channel:g}; PSNR {psnr_text}")
    if first is not None:
        details["first_pixel"] = {"frame": first[0], "x": first[1], "y": first[2]}
        figures += f"; first at x={first[1]} y={first[2]}" + (f" (frame {first[0]})"
                                                              if len(fb) > 1 else "")
    ok = fraction <= max_differing and (min_psnr is None or psnr is None or psnr >= min_psnr)
    return Comparison(ok, False, "image", ("equivalent pixels: " if ok else "") + figures,
                      details)


# -- archives ---------------------------------------------------------------------------


@dataclass
class _Member:
    name: str
    type: str  # file, dir, symlink, hardlink, other
    mode: int | None
    link: str | None
    size: int
    opener: Callable[[], IO[bytes]] | None


def _zip_members(zf: zipfile.ZipFile) -> list[_Member]:
    out = []
    for info in zf.infolist():
        unix = info.external_attr >> 16 if info.create_system == 3 else 0
        name = info.filename
        if info.is_dir():
            out.append(_Member(name.rstrip("/"), "dir", None, None, 0, None))
            continue
        mode = stat.S_IMODE(unix) if unix else None
        if unix and stat.S_ISLNK(unix):
            out.append(_Member(name, "symlink", None, zf.read(info).decode("utf-8", "replace"),
                               0, None))
            continue
        out.append(_Member(name, "file", mode, None, info.file_size,
                           lambda info=info: zf.open(info)))  # type: ignore[misc]
    return out


def _tar_members(tf: tarfile.TarFile) -> list[_Member]:
    out = []
    for info in tf.getmembers():
        name = info.name.rstrip("/")
        mode = stat.S_IMODE(info.mode)
        if info.isdir():
            out.append(_Member(name, "dir", mode, None, 0, None))
        elif info.issym():
            out.append(_Member(name, "symlink", None, info.linkname, 0, None))
        elif info.islnk():
            out.append(_Member(name, "hardlink", None, info.linkname, 0, None))
        elif info.isfile():
            def opener(info: tarfile.TarInfo = info) -> IO[bytes]:
                fh = tf.extractfile(info)
                if fh is None:  # pragma: no cover - isfile() members always have data
                    raise OSError("member has no data")
                return fh
            out.append(_Member(name, "file", mode, None, info.size, opener))
        else:
            out.append(_Member(name, "other", mode, None, 0, None))
    return out


@contextlib.contextmanager
def _open_archive(path: Path) -> Iterator[tuple[str, list[_Member]]]:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            yield "zip", _zip_members(zf)
        return
    try:
        is_tar = tarfile.is_tarfile(path)
    except OSError:
        is_tar = False
    if is_tar:
        with tarfile.open(path, "r:*") as tf:
            yield "tar", _tar_members(tf)
        return
    raise FormatError("neither a zip nor a tar archive")


def _copy_bounded(src: IO[bytes], dst: IO[bytes], budget: _Budget) -> None:
    while chunk := src.read(CHUNK):
        budget.left -= len(chunk)
        if budget.left < 0:
            raise FormatError("archive members too large to compare "
                              f"(more than {MAX_EXTRACT_BYTES} bytes extracted)")
        dst.write(chunk)


def _archive(rebuilt: Path, published: Path, params: dict[str, Any], depth: int,
             budget: _Budget) -> Comparison:
    member_policy = parse_policy(params.get("members", "exact"))
    if depth >= MAX_ARCHIVE_DEPTH:
        return Comparison(False, False, "archive", "archives nested too deeply to compare")
    try:
        with _open_archive(rebuilt) as (kind_a, ma), _open_archive(published) as (kind_b, mb):
            return _compare_members(kind_a, ma, kind_b, mb, policy=member_policy, depth=depth,
                                    budget=budget)
    except FormatError as exc:
        return Comparison(False, False, "archive", f"cannot compare as archives: {exc}")
    except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError, RuntimeError) as exc:
        return Comparison(False, False, "archive", f"cannot read the archives: {exc}")


def _compare_members(kind_a: str, ma: list[_Member], kind_b: str, mb: list[_Member], *,
                     policy: Policy, depth: int, budget: _Budget) -> Comparison:
    problems: list[str] = []
    details: dict[str, Any] = {"format": kind_b, "members": len(mb),
                               "member_policy": policy.to_dict()}
    if kind_a != kind_b:
        problems.append(f"{kind_a} archive rebuilt vs {kind_b} published")
    for label, members in (("rebuilt", ma), ("published", mb)):
        names = [m.name for m in members]
        dups = sorted({n for n in names if names.count(n) > 1})
        if dups:
            problems.append(f"the {label} archive holds duplicate members: {', '.join(dups[:5])}")
    ia, ib = {m.name: m for m in ma}, {m.name: m for m in mb}
    missing = sorted(set(ib) - set(ia))
    extra = sorted(set(ia) - set(ib))
    if missing:
        problems.append("members missing from the rebuilt archive: "
                        + ", ".join(missing[:MAX_LISTED]))
        details["missing_members"] = missing[:MAX_LISTED]
    if extra:
        problems.append(f"members only in the rebuilt archive: {', '.join(extra[:MAX_LISTED])}")
        details["extra_members"] = extra[:MAX_LISTED]
    differing: list[dict[str, Any]] = []
    tolerated: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="rebuildable-cmp-") as tmp:
        for n, name in enumerate(sorted(set(ia) & set(ib))):
            a, b = ia[name], ib[name]
            if (a.type, a.link) != (b.type, b.link):
                differing.append({"member": name, "why": f"{a.type} {a.link or ''} rebuilt vs "
                                                         f"{b.type} {b.link or ''} published"})
                continue
            if a.mode is not None and b.mode is not None and a.mode != b.mode:
                differing.append({"member": name,
                                  "why": f"permissions {a.mode:o} rebuilt vs {b.mode:o} published"})
                continue
            if a.type != "file" or a.opener is None or b.opener is None:
                continue
            pa, pb = Path(tmp, f"{n}.a"), Path(tmp, f"{n}.b")
            with a.opener() as src, pa.open("wb") as dst:
                _copy_bounded(src, dst, budget)
            with b.opener() as src, pb.open("wb") as dst:
                _copy_bounded(src, dst, budget)
            result = _compare(pa, pb, policy, depth + 1, budget)
            pa.unlink()
            pb.unlink()
            if not result.equal:
                differing.append({"member": name, "why": result.summary})
            elif not result.identical:
                tolerated.append({"member": name, "why": result.summary})
    if differing:
        details["differing_members"] = differing[:MAX_LISTED]
        first = differing[0]
        problems.append(f"{len(differing)} member(s) differ; first {first['member']!r}: "
                        f"{first['why']}")
    if tolerated:
        details["equivalent_members"] = tolerated[:MAX_LISTED]
    if problems:
        return Comparison(False, False, "archive", "; ".join(problems), details)
    note = (f"; {len(tolerated)} member(s) equivalent under {policy.name}" if tolerated else "")
    return Comparison(True, False, "archive",
                      f"same {len(mb)} members and contents (timestamps, order and compression "
                      f"ignored){note}", details)


_COMPARATORS: dict[str, Callable[[Path, Path, dict[str, Any], int, _Budget], Comparison]] = {
    "exact": _exact,
    "text": _text,
    "numeric": _numeric,
    "image": _image,
    "archive": _archive,
}

__all__ = ["POLICIES", "Comparison", "Policy", "PolicyError", "byte_difference", "compare",
           "parse_policy", "read_safetensors", "read_tensors"]

