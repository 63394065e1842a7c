"""The ``image`` policy: same size, mode and frames; pixels within a tolerance ([REB-13])."""

from __future__ import annotations

import math
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

