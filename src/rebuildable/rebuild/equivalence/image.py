"""The ``image`` policy: same size, mode and frames; pixels within a tolerance ([REB-13])."""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rebuildable.rebuild.equivalence import optional
from rebuildable.rebuild.equivalence.comparison import Comparison, Nested
from rebuildable.rebuild.equivalence.optional import PILLOW_MISSING

#: pixels of a frame compared at once (as float64: 8 MB per channel)
BLOCK_PIXELS = 1 << 20
#: pixels over all frames an image comparison looks at (a GIF of 800 KB can hold 60
#: frames of 4000x4000: a minute and more of work, outside any step's time limit)
MAX_PIXELS = 1 << 28


class _Unreadable(Exception):  # noqa: N818 - carries which file, for the message
    def __init__(self, label: str, exc: BaseException) -> None:
        super().__init__(str(exc))
        self.label = label


def _frame(np: Any, im: Any, index: int) -> Any:
    """Frame ``index`` of an open image as an array (palette images as RGBA). Frames are
    read one at a time: a small GIF can hold hundreds of frames of 16 million pixels."""
    im.seek(index)
    frame = im.convert("RGBA") if im.mode in ("P", "PA") else im.copy()
    return np.asarray(frame)


def _peak(mode: str, arr: Any) -> float:
    if mode == "1":
        return 1.0
    if mode.startswith("I;16"):
        return 65535.0
    if mode in ("I", "F"):
        return max(float(abs(arr).max()) if arr.size else 1.0, 1.0)
    return 255.0


@dataclass
class _Differences:
    """How the pixels of two images with the same frames, size and mode differ."""

    pixels: int = 0
    #: pixels with a channel that differs by more than the tolerance
    differing: int = 0
    squared: float = 0.0
    samples: int = 0
    max_channel: float = 0.0
    #: the first differing pixel: frame, x, y
    first: tuple[int, int, int] | None = None
    #: the largest value a sample can have (the last frame's, for the PSNR)
    peak: float = 255.0

    @property
    def mse(self) -> float:
        return self.squared / self.samples if self.samples else 0.0

    def add(self, np: Any, index: int, a: Any, b: Any, *, mode: str,
            tolerance: float) -> None:
        """Frame ``index`` of both images, in blocks of rows (float64 copies of a whole
        89-megapixel frame would take gigabytes)."""
        self.peak = _peak(mode, b)
        width = a.shape[1] if a.ndim > 1 else 1
        rows = max(1, BLOCK_PIXELS // max(1, width))
        for top in range(0, a.shape[0], rows):
            d = np.abs(a[top:top + rows].astype(np.float64)
                       - b[top:top + rows].astype(np.float64))
            per_pixel = d.max(axis=2) if d.ndim == 3 else d
            bad = per_pixel > tolerance
            self.pixels += int(per_pixel.size)
            n_bad = int(bad.sum())
            self.differing += n_bad
            self.squared += float((d * d).sum())
            self.samples += int(d.size)
            self.max_channel = max(self.max_channel, float(d.max()) if d.size else 0.0)
            if n_bad and self.first is None:
                y, x = (int(v) for v in np.argwhere(bad)[0])
                self.first = (index, x, top + y)


def compare_image(rebuilt: Path, published: Path, params: dict[str, Any],
        nested: Nested) -> Comparison:
    image_mod, np = optional.pillow_image(), optional.numpy_module()
    if image_mod is None or np is None:
        return Comparison(False, False, "image", PILLOW_MISSING, unavailable=PILLOW_MISSING)
    tolerance = float(params.get("tolerance", 0))
    max_differing = float(params.get("max-differing", 0.0))
    min_psnr = params.get("min-psnr")
    unreadable = (OSError, ValueError, SyntaxError, EOFError, image_mod.DecompressionBombError)
    with contextlib.ExitStack() as stack:
        opened = []
        try:
            for label, path in (("rebuilt", rebuilt), ("published", published)):
                try:
                    im = stack.enter_context(image_mod.open(path))
                    opened.append((im.mode, im.size, getattr(im, "n_frames", 1), im))
                except unreadable as exc:
                    raise _Unreadable(label, exc) from exc
            (mode_a, size_a, frames_a, im_a), (mode_b, size_b, frames_b, im_b) = opened
            details: dict[str, Any] = {"size": list(size_b), "mode": mode_b,
                                       "tolerance": tolerance, "max_differing": max_differing,
                                       "min_psnr": min_psnr}
            unlike = _unlike((mode_a, size_a, frames_a), (mode_b, size_b, frames_b))
            if unlike:
                return Comparison(False, False, "image", unlike, details)
            pixels = size_b[0] * size_b[1] * frames_b
            if pixels > MAX_PIXELS:
                why = (f"the images hold {pixels} pixels ({frames_b} frame(s) of "
                       f"{size_b[0]}x{size_b[1]}), more than the {MAX_PIXELS} the image "
                       "policy compares")
                return Comparison(False, False, "image", why, details, unavailable=why)
            diff = _Differences()
            for i in range(frames_b):
                arrays = []
                for label, im in (("rebuilt", im_a), ("published", im_b)):
                    try:
                        arrays.append(_frame(np, im, i))
                    except unreadable as exc:
                        raise _Unreadable(label, exc) from exc
                diff.add(np, i, arrays[0], arrays[1], mode=mode_b, tolerance=tolerance)
        except _Unreadable as exc:
            return Comparison(False, False, "image",
                              f"the {exc.label} file is not a readable image: {exc}")
    mse = diff.mse
    psnr = None if mse == 0 else 10 * math.log10(diff.peak * diff.peak / mse)
    fraction = diff.differing / diff.pixels if diff.pixels else 0.0
    details.update({"pixels": diff.pixels, "differing_pixels": diff.differing,
                    "differing_fraction": fraction, "max_channel_diff": diff.max_channel,
                    "psnr": psnr, "identical_pixels": mse == 0})
    psnr_text = "∞" if psnr is None else f"{psnr:.2f} dB"
    figures = (f"{diff.differing} of {diff.pixels} pixels differ by more than {tolerance:g}; "
               f"max channel difference {diff.max_channel:g}; PSNR {psnr_text}")
    if diff.first is not None:
        frame, x, y = diff.first
        details["first_pixel"] = {"frame": frame, "x": x, "y": y}
        figures += f"; first at x={x} y={y}" + (f" (frame {frame})" if frames_b > 1 else "")
    ok = fraction <= max_differing and (min_psnr is None or psnr is None or psnr >= min_psnr)
    return Comparison(ok, False, "image", ("equivalent pixels: " if ok else "") + figures,
                      details)


def _unlike(a: tuple[str, tuple[int, int], int], b: tuple[str, tuple[int, int], int]) -> str:
    """How the two images differ in size, mode or frame count; empty when they do not."""
    (mode_a, size_a, frames_a), (mode_b, size_b, frames_b) = a, b
    what = []
    if size_a != size_b:
        what.append(f"size {size_a[0]}x{size_a[1]} rebuilt vs "
                    f"{size_b[0]}x{size_b[1]} published")
    if mode_a != mode_b:
        what.append(f"mode {mode_a} rebuilt vs {mode_b} published")
    if frames_a != frames_b:
        what.append(f"{frames_a} frame(s) rebuilt vs {frames_b} published")
    return "; ".join(what)
