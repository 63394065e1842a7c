"""SVG: an XML document whose root element is ``svg`` in the SVG namespace.

Files up to :data:`XML_CAP` bytes are parsed whole with defusedxml (so malformed XML is
reported); larger ones are read only up to the root element. Entity declarations are
refused (billion laughs); an external DTD is never fetched.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from rebuildable.formats._base import XML_CAP, FormatInfo, Source

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

SVG_NS = "http://www.w3.org/2000/svg"
INKSCAPE_NS = "http://www.inkscape.org/namespaces/inkscape"
def _svg_root_first(head: bytes) -> bool:
    """Whether the document's first element is ``<svg``: skip a BOM, the XML declaration,
    comments, processing instructions and a DOCTYPE (internal subset included), in one
    linear pass."""
    pos = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    n = len(head)
    while True:
        while pos < n and head[pos] in b" \t\r\n":
            pos += 1
        if head.startswith(b"<svg", pos):
            return pos + 4 < n and head[pos + 4] in b" \t\r\n>/"
        if head.startswith(b"<!--", pos):
            end = head.find(b"-->", pos + 4)
            pos = -1 if end < 0 else end + 3
        elif head.startswith(b"<?", pos):
            end = head.find(b"?>", pos + 2)
            pos = -1 if end < 0 else end + 2
        elif head.startswith(b"<!DOCTYPE", pos):
            bracket = head.find(b"[", pos)
            close = head.find(b">", pos)
            if 0 <= bracket < close:
                end = head.find(b"]", bracket)
                close = -1 if end < 0 else head.find(b">", end)
            pos = -1 if close < 0 else close + 1
        else:
            return False
        if pos < 0:
            return False


#: the bytes an SVG head can start with (both tests below need one of them first)
_FIRST = frozenset(b"\xef\xbb\xbf \t\r\n<")


def matches(head: bytes) -> bool:
    if not head or head[0] not in _FIRST:
        return False
    return _svg_root_first(head) or (
        head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and b"<svg" in head)


def sniff(src: Source, head: bytes, name: str) -> FormatInfo:
    if src.size > XML_CAP:
        return _root_only(src)
    data = src.read_at(0, src.size, "document")
    return parse_svg(data)


def parse_svg(data: bytes) -> FormatInfo:
    """Parse a whole SVG document (already bounded by the caller)."""
    # the XML stack is imported by the first XML file, not by every start
    import defusedxml.ElementTree as SafeET  # noqa: PLC0415
    from defusedxml import DefusedXmlException  # noqa: PLC0415

    try:
        root = SafeET.fromstring(data, forbid_dtd=False)
    except (SafeET.ParseError, DefusedXmlException) as exc:
        if not _svg_root_first(data[:4096]):  # not an SVG document: other XML or HTML
            return FormatInfo()
        return FormatInfo(format="svg", family="vector-image",
                          problems=[f"not well-formed, safe XML: {exc}"])
    if root.tag != f"{{{SVG_NS}}}svg":
        if root.tag == "svg":
            return FormatInfo(format="svg", family="vector-image", layered=False,
                              details=_details(root, data),
                              problems=["the <svg> root is not in the SVG namespace "
                                        f"({SVG_NS})"])
        return FormatInfo(details={"xml_root": root.tag[:100]})
    details = _details(root, data)
    layers = details.get("inkscape_layers", 0)
    return FormatInfo(format="svg", family="vector-image", layered=layers > 0,
                      layers=layers or None, details=details)


#: SVG elements that draw vector content (text included: it stays editable)
_SHAPES = frozenset({"path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
                     "text"})


def _details(root: Element, data: bytes) -> dict[str, Any]:
    details: dict[str, Any] = {}
    for attr in ("width", "height", "viewBox", "version"):
        value = root.get(attr)
        if value is not None:
            details[attr.lower() if attr != "viewBox" else "viewbox"] = value[:100]
    layers = sum(1 for e in root.iter(f"{{{SVG_NS}}}g")
                 if e.get(f"{{{INKSCAPE_NS}}}groupmode") == "layer")
    if layers:
        details["inkscape_layers"] = layers
    # What the drawing is made of: an SVG whose only content is <image> is a raster in a
    # vector wrapper, not the vector source of anything (spec/content.md, CON-11).
    shapes = images = 0
    for elem in root.iter():
        tag = elem.tag if isinstance(elem.tag, str) else ""
        if tag.startswith(f"{{{SVG_NS}}}"):
            local = tag[len(SVG_NS) + 2:]
            shapes += local in _SHAPES
            images += local == "image"
    details["vector_elements"] = shapes
    details["raster_images"] = images
    head = data[:4096]
    if INKSCAPE_NS.encode() in head or root.get(f"{{{INKSCAPE_NS}}}version"):
        details["editor"] = "inkscape"
    elif b"Adobe Illustrator" in head:
        details["editor"] = "illustrator"
    elif b"Generated by graphviz" in head:
        details["editor"] = "graphviz"
    elif root.get("host") or root.get("content", "").startswith("&lt;mxfile") or \
            "mxfile" in root.get("content", "")[:100]:
        details["editor"] = "drawio"
    return details


def _root_only(src: Source) -> FormatInfo:
    """Find the root element of a large document without reading it all."""
    import defusedxml.ElementTree as SafeET  # noqa: PLC0415 - as in parse_svg
    from defusedxml import DefusedXmlException  # noqa: PLC0415

    class _Reader(io.RawIOBase):
        def __init__(self) -> None:
            self.pos = 0

        def readable(self) -> bool:
            return True

        def readinto(self, b: Any) -> int:
            data = src.read_upto(self.pos, min(len(b), 64 * 1024))
            b[:len(data)] = data
            self.pos += len(data)
            return len(data)

    try:
        for _event, elem in SafeET.iterparse(io.BufferedReader(_Reader()), events=("start",),
                                             forbid_dtd=False):
            if elem.tag == f"{{{SVG_NS}}}svg":
                return FormatInfo(format="svg", family="vector-image", layered=False,
                                  details={"partial": True},
                                  notes=[f"larger than {XML_CAP} bytes: only the root "
                                            f"element was checked"])
            return FormatInfo(details={"xml_root": str(elem.tag)[:100]})
    except (SafeET.ParseError, DefusedXmlException) as exc:
        return FormatInfo(problems=[f"not well-formed, safe XML: {exc}"])
    return FormatInfo()
