"""Minimal, spec-following writers for the formats that no installed library writes
(PSD layer records, XCF, KRA, ORA, safetensors, GGUF, ONNX, PyTorch zips), used by the
format and content tests. Each writes exactly what the format's documentation lays out,
nothing more."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rebuildable.formats import FormatInfo

# -- PSD / PSB -------------------------------------------------------------------------

#: one layer record: (name, section divider type or None). 1/2 = group folder, 3 = divider
Layer = tuple[str, int | None]


def _pascal4(name: str) -> bytes:
    raw = name.encode("latin-1")[:255]
    out = bytes([len(raw)]) + raw
    return out + b"\0" * ((-len(out)) % 4)


def _record(name: str, divider: int | None, wide: bool) -> bytes:
    extra = struct.pack(">I", 0) + struct.pack(">I", 0) + _pascal4(name)
    if divider is not None:
        extra += b"8BIMlsct" + struct.pack(">II", 4, divider)
    length = struct.pack(">Q", 2) if wide else struct.pack(">I", 2)
    return (struct.pack(">iiiiH", 0, 0, 0, 0, 1) + struct.pack(">h", 0) + length
            + b"8BIMnorm" + bytes([255, 0, 0, 0]) + struct.pack(">I", len(extra)) + extra)


def _layer_info_body(layers: Sequence[Layer], wide: bool, negative: bool) -> bytes:
    count = -len(layers) if negative else len(layers)
    body = struct.pack(">h", count)
    body += b"".join(_record(n, d, wide) for n, d in layers)
    body += b"\0\0" * len(layers)  # one channel per layer: a compression word, no pixels
    return body + b"\0" * ((-len(body)) % 4)


def psd(layers: Sequence[Layer] = (("Background", None),), *, version: int = 1,
        store: str = "layer-info", negative: bool = False, depth: int = 8,
        width: int = 4, height: int = 3) -> bytes:
    """A PSD (version 1) or PSB (version 2) with the given layer records.

    ``store``: "layer-info" (8-bit documents), "Lr16"/"Lr32" (layers in a global tagged
    block after an empty layer info), or "none" (an empty layer and mask section).
    """
    wide = version == 2
    header = b"8BPS" + struct.pack(">H", version) + b"\0" * 6 + struct.pack(
        ">HIIHH", 3, height, width, depth, 3)
    out = header + struct.pack(">I", 0) + struct.pack(">I", 0)  # colour mode data, resources
    n = struct.Struct(">Q" if wide else ">I")
    if store == "none":
        section = b""
    elif store == "layer-info":
        body = _layer_info_body(layers, wide, negative)
        section = n.pack(len(body)) + body + struct.pack(">I", 0)
    else:
        body = _layer_info_body(layers, wide, negative)
        block = b"8BIM" + store.encode() + n.pack(len(body)) + body
        section = n.pack(0) + struct.pack(">I", 0) + block
    out += n.pack(len(section)) + section
    out += struct.pack(">H", 0) + b"\0" * (width * height * 3 * (depth // 8 or 1))
    return out


# -- XCF ------------------------------------------------------------------------------


def xcf(items: Sequence[bool] = (False,), *, version: int = 11, channels: int = 0,
        width: int = 8, height: int = 8) -> bytes:
    """An XCF whose layer list holds ``items`` (True = a layer group)."""
    wide = version >= 11
    ptr = struct.Struct(">Q" if wide else ">I")
    tag = b"file" if version == 0 else f"v{version:03d}".encode()
    head = b"gimp xcf " + tag + b"\0" + struct.pack(">III", width, height, 0)
    if version >= 4:
        head += struct.pack(">I", 150)
    # image properties: PROP_COMPRESSION (17) = zlib, a parasite-like blob, PROP_END
    head += struct.pack(">II", 17, 1) + b"\x01"
    head += struct.pack(">II", 21, 8) + b"\0" * 8
    head += struct.pack(">II", 0, 0)
    table_len = ptr.size * (len(items) + 1 + channels + 1)
    first = len(head) + table_len
    bodies: list[bytes] = []
    for i, group in enumerate(items):
        name = f"layer {i}".encode() + b"\0"
        props = struct.pack(">II", 6, 4) + struct.pack(">I", 255)  # PROP_OPACITY
        if group:
            props += struct.pack(">II", 29, 0)  # PROP_GROUP_ITEM
        props += struct.pack(">II", 0, 0)
        bodies.append(struct.pack(">III", width, height, 0) + struct.pack(">I", len(name))
                      + name + props + ptr.pack(0) + ptr.pack(0))
    for i in range(channels):
        name = f"channel {i}".encode() + b"\0"
        bodies.append(struct.pack(">II", width, height) + struct.pack(">I", len(name)) + name
                      + struct.pack(">II", 0, 0) + ptr.pack(0))
    offsets: list[int] = []
    pos = first
    for body in bodies:
        offsets.append(pos)
        pos += len(body)
    table = b"".join(ptr.pack(o) for o in offsets[:len(items)]) + ptr.pack(0)
    table += b"".join(ptr.pack(o) for o in offsets[len(items):]) + ptr.pack(0)
    return head + table + b"".join(bodies)


# -- KRA / ORA --------------------------------------------------------------------------

#: a layer tree: a name (a leaf layer) or (name, [children]) (a group)
Tree = Sequence[Any]


def _zip(members: Sequence[tuple[str, bytes]], mimetype: bytes | None, *,
         mimetype_first: bool = True, mimetype_stored: bool = True) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        def put_mime() -> None:
            if mimetype is not None:
                zf.writestr(zipfile.ZipInfo("mimetype"), mimetype,
                            compress_type=zipfile.ZIP_STORED if mimetype_stored
                            else zipfile.ZIP_DEFLATED)
        if mimetype_first:
            put_mime()
        for name, data in members:  # a ZipInfo of its own: a fixed time, the same bytes
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
        if not mimetype_first:
            put_mime()
    return buf.getvalue()


def _kra_layers(tree: Tree) -> str:
    out = []
    for node in tree:
        if isinstance(node, str):
            out.append(f'<layer name="{node}" nodetype="paintlayer" filename="{node}"/>')
        else:
            name, children = node
            out.append(f'<layer name="{name}" nodetype="grouplayer"><layers>'
                       f'{_kra_layers(children)}</layers></layer>')
    return "".join(out)


def kra(tree: Tree, *, mimetype_first: bool = True, width: int = 64, height: int = 32) -> bytes:
    doc = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<!DOCTYPE DOC PUBLIC \'-//KDE//DTD krita 2.0//EN\' '
           '\'http://www.calligra.org/DTD/krita-2.0.dtd\'>\n'
           '<DOC xmlns="http://www.calligra.org/DTD/krita" editor="Krita" '
           'kritaVersion="5.2.0" syntaxVersion="2.0">'
           f'<IMAGE name="x" width="{width}" height="{height}" colorspacename="RGBA">'
           f'<layers>{_kra_layers(tree)}</layers></IMAGE></DOC>')
    return _zip([("maindoc.xml", doc.encode()), ("mergedimage.png", b"png")],
                b"application/x-krita", mimetype_first=mimetype_first)


def _ora_stack(tree: Tree) -> str:
    out = []
    for node in tree:
        if isinstance(node, str):
            out.append(f'<layer name="{node}" src="data/{node}.png"/>')
        else:
            name, children = node
            out.append(f'<stack name="{name}">{_ora_stack(children)}</stack>')
    return "".join(out)


def _ora_sources(tree: Tree) -> list[str]:
    out: list[str] = []
    for node in tree:
        if isinstance(node, str):
            out.append(f"data/{node}.png")
        else:
            out.extend(_ora_sources(node[1]))
    return out


def ora(tree: Tree, *, mimetype_first: bool = True, mimetype_stored: bool = True,
        drop_sources: bool = False) -> bytes:
    stack = ('<?xml version="1.0" encoding="UTF-8"?>'
             f'<image version="0.0.5" w="40" h="30"><stack>{_ora_stack(tree)}</stack></image>')
    members = [("stack.xml", stack.encode()), ("mergedimage.png", b"png")]
    if not drop_sources:
        members += [(s, b"png") for s in _ora_sources(tree)]
    return _zip(members, b"image/openraster", mimetype_first=mimetype_first,
                mimetype_stored=mimetype_stored)


# -- safetensors / GGUF -----------------------------------------------------------------


def safetensors(tensors: dict[str, tuple[str, list[int], bytes]], *,
                metadata: dict[str, str] | None = None,
                header_override: dict[str, Any] | None = None, tail: bytes = b"") -> bytes:
    """A safetensors file; ``header_override`` replaces the computed header."""
    header: dict[str, Any] = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    buf = b""
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(buf), len(buf) + len(data)]}
        buf += data
    raw = json.dumps(header_override if header_override is not None else header).encode()
    raw += b" " * ((-len(raw)) % 8)
    return struct.pack("<Q", len(raw)) + raw + buf + tail


def _gguf_str(s: str, wide: bool) -> bytes:
    raw = s.encode()
    return struct.pack("<Q" if wide else "<I", len(raw)) + raw


def gguf(*, version: int = 3, kv: Sequence[tuple[str, int, Any]] = (),
         tensors: Sequence[tuple[str, list[int], int, bytes]] = (), alignment: int = 32) -> bytes:
    """A GGUF file. ``kv``: (key, type, value) with type 4 (u32), 8 (string) or 9 (string
    array); ``tensors``: (name, dims, ggml type, data)."""
    wide = version >= 2
    count = struct.Struct("<Q" if wide else "<I")
    out = b"GGUF" + struct.pack("<I", version) + count.pack(len(tensors)) + count.pack(len(kv))
    for key, vtype, value in kv:
        out += _gguf_str(key, wide) + struct.pack("<I", vtype)
        if vtype == 4:
            out += struct.pack("<I", value)
        elif vtype == 8:
            out += _gguf_str(value, wide)
        elif vtype == 9:
            out += struct.pack("<I", 8) + count.pack(len(value))
            out += b"".join(_gguf_str(v, wide) for v in value)
        else:
            raise ValueError(vtype)
    offset = 0
    blobs = b""
    for name, dims, ttype, data in tensors:
        out += _gguf_str(name, wide) + struct.pack("<I", len(dims))
        out += b"".join(count.pack(d) for d in dims) + struct.pack("<IQ", ttype, offset)
        pad = b"\0" * ((-len(data)) % alignment)
        blobs += data + pad
        offset += len(data) + len(pad)
    if tensors:
        out += b"\0" * ((-len(out)) % alignment)
    return out + blobs


# -- ONNX / PyTorch --------------------------------------------------------------------


def _varint(n: int) -> bytes:
    out = b""
    while True:
        low, n = n & 0x7F, n >> 7
        if not n:
            return out + bytes([low])
        out += bytes([low | 0x80])


def _pb(field: int, data: bytes | int) -> bytes:
    """One protocol-buffers field: a varint (int) or length-delimited bytes."""
    if isinstance(data, int):
        return _varint(field << 3) + _varint(data)
    return _varint(field << 3 | 2) + _varint(len(data)) + data


def onnx(*, weights: bytes = b"\0" * 16, ir_version: int = 8, graph: bool = True) -> bytes:
    """An ONNX ModelProto, as onnx.save writes one: ir_version, producer, a graph of one
    MatMul whose second input is an initializer holding ``weights`` (FLOAT raw_data),
    then opset_import (domain "", version 17)."""
    tensor = _pb(1, 2) + _pb(1, len(weights) // 8) + _pb(2, 1) + _pb(8, b"W") + _pb(9, weights)
    node = _pb(1, b"X") + _pb(1, b"W") + _pb(2, b"Y") + _pb(4, b"MatMul")
    value = _pb(1, b"X")
    body = _pb(1, node) + _pb(2, b"g") + _pb(5, tensor) + _pb(11, value) + _pb(12, _pb(1, b"Y"))
    out = _pb(1, ir_version) + _pb(2, b"pytorch") + _pb(3, b"2.3.0")
    if graph:
        out += _pb(7, body)
    return out + _pb(8, _pb(1, b"") + _pb(2, 17))


def pytorch(weights: bytes = b"\0" * 16) -> bytes:
    """A PyTorch zip as torch.save writes one: ``<name>/data.pkl``, ``<name>/version`` and
    one storage under ``<name>/data/``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("model/data.pkl", b"\x80\x02}q\x00.")
        zf.writestr("model/version", b"3\n")
        zf.writestr("model/data/0", weights)
    return buf.getvalue()


def sniff_bytes(data: bytes, name: str = "file") -> FormatInfo:
    """Sniff bytes in memory, as the content check sniffs a member."""
    from rebuildable.formats import sniff

    return sniff(lambda: io.BytesIO(data), name, len(data))


def sniff_corpus(rel: str) -> FormatInfo:
    """Sniff a file of the shared corpus in place (the test is skipped when absent)."""
    from tests.support import corpus_file

    path = corpus_file(rel)
    from rebuildable.formats import sniff

    return sniff(lambda: path.open("rb"), path.name, path.stat().st_size)
