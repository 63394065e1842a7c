"""Export an OpenRaster (.ora) layered image to a flat PNG, the same bytes everywhere.

Run from the release root:

    python3 export.py artwork.ora exports/artwork.png

Standard library only (Python 3.9+): the layers are read from the .ora zip without
extracting it, decoded (8-bit RGBA PNGs, any filter), composited bottom to top with
their offsets and opacities ("svg:src-over", hidden layers skipped), and written as an
8-bit RGBA PNG. The PNG's image data is deflate-*stored* (uncompressed blocks) and
holds no timestamp or text chunk, so the output depends on the pixels alone, not on
the zlib build, Pillow version, clock or platform.
"""

from __future__ import annotations

import struct
import sys
import zipfile
import zlib
from pathlib import Path
from xml.etree import ElementTree

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MIMETYPE = b"image/openraster"
MAX_MEMBER = 64 * 1024 * 1024  # refuse members that inflate beyond this (zip bomb guard)
MAX_PIXELS = 16_000_000

Pixels = list[bytearray]  # rows of RGBA bytes


def read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > MAX_MEMBER:
        raise SystemExit(f"{name}: {info.file_size} bytes is over the limit")
    return archive.read(info)


def decode_png(data: bytes, name: str) -> tuple[int, int, Pixels]:
    if not data.startswith(PNG_SIGNATURE):
        raise SystemExit(f"{name}: not a PNG")
    pos, idat, header = 8, bytearray(), None
    while pos < len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    if header is None:
        raise SystemExit(f"{name}: no IHDR chunk")
    width, height, depth, colour, _, _, interlace = header
    if (depth, colour, interlace) != (8, 6, 0) or width * height > MAX_PIXELS:
        raise SystemExit(f"{name}: only non-interlaced 8-bit RGBA layers are supported")
    inflater = zlib.decompressobj()
    raw = inflater.decompress(bytes(idat), height * (width * 4 + 1) + 1)
    stride = width * 4
    rows: Pixels = []
    prior = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        unfilter(kind, line, prior)
        rows.append(line)
        prior = line
    return width, height, rows


def unfilter(kind: int, line: bytearray, prior: bytearray) -> None:
    """Undo one PNG filter (None, Sub, Up, Average, Paeth) in place; 4 bytes per pixel."""
    if kind == 0:
        return
    for i in range(len(line)):
        left = line[i - 4] if i >= 4 else 0
        up = prior[i]
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
        elif kind == 4:
            corner = prior[i - 4] if i >= 4 else 0
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            pred = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
            line[i] = (line[i] + pred) & 0xFF
        else:
            raise SystemExit(f"unknown PNG filter type {kind}")


def composite(canvas: Pixels, layer: Pixels, x0: int, y0: int, opacity: float) -> None:
    """Source-over with the layer's opacity, on straight (not premultiplied) alpha."""
    height, width = len(canvas), len(canvas[0]) // 4
    for ly, row in enumerate(layer):
        y = y0 + ly
        if not 0 <= y < height:
            continue
        out = canvas[y]
        for lx in range(len(row) // 4):
            x = x0 + lx
            if not 0 <= x < width:
                continue
            s, d = lx * 4, x * 4
            sa = row[s + 3] / 255.0 * opacity
            if sa <= 0.0:
                continue
            da = out[d + 3] / 255.0
            oa = sa + da * (1.0 - sa)
            for c in range(3):
                value = (row[s + c] * sa + out[d + c] * da * (1.0 - sa)) / oa
                out[d + c] = min(255, int(value + 0.5))
            out[d + 3] = min(255, int(oa * 255.0 + 0.5))


def flatten(ora: Path) -> tuple[int, int, Pixels]:
    with zipfile.ZipFile(ora) as archive:
        names = archive.namelist()
        if not names or names[0] != "mimetype" or read_member(archive, "mimetype") != MIMETYPE:
            raise SystemExit(f"{ora}: not an OpenRaster file")
        stack_xml = read_member(archive, "stack.xml")
        if b"<!DOCTYPE" in stack_xml or b"<!ENTITY" in stack_xml:
            raise SystemExit(f"{ora}: stack.xml must not declare a DTD or entities")
        image = ElementTree.fromstring(stack_xml)  # noqa: S314 - no DTD, bounded size
        width, height = int(image.get("w", "0")), int(image.get("h", "0"))
        if not 0 < width * height <= MAX_PIXELS:
            raise SystemExit(f"{ora}: bad canvas size {width}x{height}")
        canvas: Pixels = [bytearray(width * 4) for _ in range(height)]
        stack = image.find("stack")
        layers = [] if stack is None else list(stack.iter("layer"))
        for layer in reversed(layers):  # the first layer in stack.xml is the top one
            if layer.get("visibility", "visible") == "hidden":
                continue
            if layer.get("composite-op", "svg:src-over") != "svg:src-over":
                raise SystemExit(f"{ora}: only svg:src-over layers are supported")
            src = layer.get("src", "")
            _, _, pixels = decode_png(read_member(archive, src), src)
            composite(
                canvas,
                pixels,
                int(layer.get("x", "0")),
                int(layer.get("y", "0")),
                float(layer.get("opacity", "1")),
            )
    return width, height, canvas


def stored_zlib(data: bytes) -> bytes:
    """A zlib stream of uncompressed deflate blocks: identical under every zlib build."""
    out = bytearray(b"\x78\x01")
    blocks = [data[i : i + 65535] for i in range(0, len(data), 65535)] or [b""]
    for i, block in enumerate(blocks):
        out.append(1 if i == len(blocks) - 1 else 0)
        out += struct.pack("<HH", len(block), len(block) ^ 0xFFFF)
        out += block
    out += struct.pack(">I", zlib.adler32(data))
    return bytes(out)


def encode_png(width: int, height: int, rows: Pixels) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    raw = b"".join(b"\x00" + bytes(row) for row in rows)  # filter type 0 on every row
    return (
        PNG_SIGNATURE
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
        + chunk(b"IDAT", stored_zlib(raw))
        + chunk(b"IEND", b"")
    )


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python3 export.py INPUT.ora OUTPUT.png\n")
        return 2
    source, target = Path(argv[0]), Path(argv[1])
    width, height, canvas = flatten(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(encode_png(width, height, canvas))
    sys.stdout.write(f"wrote {target} ({width}x{height})\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
