"""How artwork.ora was made: a small procedural painting, drawn layer by layer.

    python tools/draw.py            # needs Pillow; writes artwork.ora

This is the "artist" of the example, not a build step: the layered file it writes is
the release's source, pinned by its digest, and the flat PNG is exported from it by
export.py. The .ora follows the OpenRaster spec: a zip whose first member is an
uncompressed ``mimetype`` holding ``image/openraster``, then ``stack.xml`` (the layer
stack, top layer first), one PNG per layer under ``data/``, the flattened
``mergedimage.png`` and a ``Thumbnails/thumbnail.png`` of at most 256x256. The merged
image is composited with export.py's own compositor, so it equals the exported PNG
pixel for pixel.
"""

from __future__ import annotations

import importlib.util
import io
import math
import zipfile
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
W, H = 192, 128
DATE = (2026, 11, 26, 0, 0, 0)


def _export_module() -> Any:
    spec = importlib.util.spec_from_file_location("export", ROOT / "export.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sky() -> Image.Image:
    img = Image.new("RGBA", (W, H))
    for y in range(H):
        t = y / (H - 1)
        colour = (int(40 + 200 * t), int(60 + 110 * t), int(140 - 40 * t), 255)
        for x in range(W):
            img.putpixel((x, y), colour)
    return img


def sun() -> Image.Image:
    size = 56
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    c = (size - 1) / 2
    for y in range(size):
        for x in range(size):
            r = math.hypot(x - c, y - c)
            if r < 18:
                img.putpixel((x, y), (255, 236, 150, 255))
            elif r < 27:
                glow = int(255 * (27 - r) / 9)
                img.putpixel((x, y), (255, 200, 110, glow))
    return img


def hills() -> Image.Image:
    img = Image.new("RGBA", (W, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse((-60, 10, 120, 140), fill=(58, 112, 64, 255))
    draw.ellipse((70, 0, 260, 150), fill=(44, 92, 58, 255))
    draw.rectangle((0, 44, W, 64), fill=(36, 78, 48, 255))
    return img


def sketch() -> Image.Image:
    img = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.line((0, 80, W, 70), fill=(20, 20, 20, 160), width=1)
    draw.ellipse((120, 18, 176, 74), outline=(20, 20, 20, 160))
    return img


LAYERS = (  # top first, as in stack.xml: (name, image, x, y, opacity, visibility)
    ("sketch", sketch, 0, 0, 0.5, "hidden"),
    ("hills", hills, 0, 64, 1.0, "visible"),
    ("sun", sun, 120, 18, 0.85, "visible"),
    ("sky", sky, 0, 0, 1.0, "visible"),
)


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def main() -> None:
    export = _export_module()
    members: list[tuple[str, bytes]] = []
    canvas = [bytearray(W * 4) for _ in range(H)]
    entries = []
    drawn = {name: make() for name, make, *_ in LAYERS}
    for name, _, x, y, opacity, visibility in LAYERS:
        src = f"data/{name}.png"
        members.append((src, png(drawn[name])))
        entries.append(
            f'    <layer name="{name}" src="{src}" x="{x}" y="{y}" opacity="{opacity}" '
            f'visibility="{visibility}" composite-op="svg:src-over"/>'
        )
    for name, _, x, y, opacity, visibility in reversed(LAYERS):
        if visibility == "visible":
            _, _, pixels = export.decode_png(
                members[[m[0] for m in members].index(f"data/{name}.png")][1], name
            )
            export.composite(canvas, pixels, x, y, opacity)
    merged = Image.frombytes("RGBA", (W, H), b"".join(bytes(r) for r in canvas))
    thumb = merged.copy()
    thumb.thumbnail((256, 256))
    stack = (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        f'<image version="0.0.6" w="{W}" h="{H}" xres="72" yres="72">\n'
        "  <stack>\n" + "\n".join(entries) + "\n  </stack>\n</image>\n"
    )
    out = ROOT / "artwork.ora"
    with zipfile.ZipFile(out, "w") as ora:
        first = zipfile.ZipInfo("mimetype", date_time=DATE)
        first.compress_type = zipfile.ZIP_STORED
        ora.writestr(first, b"image/openraster")
        for name, data in [
            ("stack.xml", stack.encode()),
            *members,
            ("mergedimage.png", png(merged)),
            ("Thumbnails/thumbnail.png", png(thumb)),
        ]:
            info = zipfile.ZipInfo(name, date_time=DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            ora.writestr(info, data)
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
