"""The image policy on images a step made to exhaust the rebuilder: frames are read one
at a time, pixels compared in blocks, and the pixels of all frames bounded."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("PIL")

from PIL import Image

from rebuildable.rebuild.equivalence import EquivalencePolicy, compare, image

#: one pixel of colour index 0 or 1, LZW-coded with a minimum code size of 2:
#: clear (4), the index, end (5), three bits each, least significant first
_ONE_PIXEL = {0: b"\x02\x02\x44\x01\x00", 1: b"\x02\x02\x4c\x01\x00"}


def gif_frames_bomb(path: Path, width: int, height: int, frames: int,
                    *, last_pixel: int = 0, at: tuple[int, int] = (0, 0)) -> Path:
    """Hostile asset: a GIF of a ``width`` x ``height`` screen and ``frames`` frames, each
    of which paints one pixel: a few bytes a frame on disk, ``width * height`` pixels a
    frame once decoded (4000 x 4000 x 60: 3.8 GB as RGBA, 30 GB as float64). The last
    frame paints ``at`` with colour ``last_pixel``."""
    out = bytearray(b"GIF89a" + struct.pack("<HH", width, height) + b"\x80\x00\x00")
    out += b"\x00\x00\x00\xff\xff\xff"  # two colours: black, white
    for n in range(frames):
        colour, (x, y) = (last_pixel, at) if n == frames - 1 else (0, (0, 0))
        out += b"\x21\xf9\x04\x04\x00\x00\x00\x00"  # graphic control: keep the frame
        out += b"\x2c" + struct.pack("<HHHH", x, y, 1, 1) + b"\x00"
        out += _ONE_PIXEL[colour]
    out += b"\x3b"
    path.write_bytes(bytes(out))
    return path


def test_the_pixels_of_all_frames_are_bounded(tmp_path: Path) -> None:
    """Two 4000x4000 GIFs of 60 frames that differ in one pixel of the last: the old
    comparator decoded every frame of both into memory at once (MemoryError under a
    3 GiB limit, minutes without one). It runs here under a 3 GiB address-space limit."""
    a = gif_frames_bomb(tmp_path / "a.gif", 4000, 4000, 60)
    b = gif_frames_bomb(tmp_path / "b.gif", 4000, 4000, 60, last_pixel=1)
    code = ("import resource, sys; from pathlib import Path\n"
            "resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))\n"
            "from rebuildable.rebuild.equivalence import EquivalencePolicy, compare\n"
            f"r = compare(Path({str(a)!r}), Path({str(b)!r}), EquivalencePolicy('image'))\n"
            "print(r.equal, r.unavailable)\n")
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert time.monotonic() - start < 20
    assert done.stdout.startswith("False the images hold 960000000 pixels (60 frame(s)")


def test_frames_are_compared_one_by_one_in_blocks(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image, "BLOCK_PIXELS", 7)  # a few rows per block
    a = gif_frames_bomb(tmp_path / "a.gif", 5, 9, 3)
    b = gif_frames_bomb(tmp_path / "b.gif", 5, 9, 3, last_pixel=1, at=(3, 7))
    with Image.open(b) as im:
        assert getattr(im, "n_frames", 1) == 3
    result = compare(a, b, EquivalencePolicy("image"))
    assert not result.equal
    assert result.details["first_pixel"] == {"frame": 2, "x": 3, "y": 7}
    assert result.details["differing_pixels"] == 1
    assert result.details["pixels"] == 3 * 5 * 9
