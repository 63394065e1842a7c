"""The ``image`` policy: same size, mode and frames; pixels within a tolerance ([REB-13])."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rebuildable.rebuild.equivalence import optional
from rebuildable.rebuild.equivalence.comparison import Comparison, Nested
from rebuildable.rebuild.equivalence.optional import PILLOW_MISSING


def _frames(image_mod: Any, path: Path) -> tuple[str, tuple[int, int], list[Any]]:
    np = optional.numpy_module()
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


def compare_image(rebuilt: Path, published: Path, params: dict[str, Any],
        nested: Nested) -> Comparison:
    image_mod, np = optional.pillow_image(), optional.numpy_module()
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
    (_, _, fa), (mode_b, size_b, fb) = frames
    details: dict[str, Any] = {"size": list(size_b), "mode": mode_b, "tolerance": tolerance,
                               "max_differing": max_differing, "min_psnr": min_psnr}
    unlike = _unlike(frames[0], frames[1])
    if unlike:
        return Comparison(False, False, "image", unlike, details)
    diff = _differences(np, fa, fb, mode_b, tolerance)
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
        figures += f"; first at x={x} y={y}" + (f" (frame {frame})" if len(fb) > 1 else "")
    ok = fraction <= max_differing and (min_psnr is None or psnr is None or psnr >= min_psnr)
    return Comparison(ok, False, "image", ("equivalent pixels: " if ok else "") + figures,
                      details)


def _unlike(a: tuple[str, tuple[int, int], list[Any]],
            b: tuple[str, tuple[int, int], list[Any]]) -> str:
    """How the two images differ in size, mode or frame count; empty when they do not."""
    (mode_a, size_a, fa), (mode_b, size_b, fb) = a, b
    what = []
    if size_a != size_b:
        what.append(f"size {size_a[0]}x{size_a[1]} rebuilt vs "
                    f"{size_b[0]}x{size_b[1]} published")
    if mode_a != mode_b:
        what.append(f"mode {mode_a} rebuilt vs {mode_b} published")
    if len(fa) != len(fb):
        what.append(f"{len(fa)} frame(s) rebuilt vs {len(fb)} published")
    return "; ".join(what)


def _differences(np: Any, fa: list[Any], fb: list[Any], mode: str,
                 tolerance: float) -> _Differences:
    out = _Differences()
    for i, (a, b) in enumerate(zip(fa, fb, strict=True)):
        out.peak = _peak(mode, b)
        d = np.abs(a.astype(np.float64) - b.astype(np.float64))
        per_pixel = d.max(axis=2) if d.ndim == 3 else d
        bad = per_pixel > tolerance
        out.pixels += int(per_pixel.size)
        n_bad = int(bad.sum())
        out.differing += n_bad
        out.squared += float((d * d).sum())
        out.samples += int(d.size)
        out.max_channel = max(out.max_channel, float(d.max()) if d.size else 0.0)
        if n_bad and out.first is None:
            y, x = (int(v) for v in np.argwhere(bad)[0])
            out.first = (i, x, y)
    return out
