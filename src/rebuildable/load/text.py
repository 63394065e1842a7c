"""Manifest bytes to text: bounded, strict UTF-8, no NUL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from rebuildable.findings import Finding, Location, finding
from rebuildable.load.document import Document, Limits, join_pointer, line_col_of_offset


def decode(raw: bytes, file: str, limits: Limits) -> tuple[str | None, list[Finding]]:
    """Bytes to text: bounded, strict UTF-8, no NUL; a UTF-8 BOM is dropped with a warning."""
    out: list[Finding] = []
    if len(raw) > limits.max_bytes:
        out.append(
            finding(
                "load.too-large",
                f"{file} is {len(raw)} bytes; the limit is {limits.max_bytes}",
                location=Location(file, None, None, ""),
                hint="A manifest is read whole into memory. If this one is meant to be so "
                     "large, raise the bound (`rebuildable validate --max-manifest-size "
                     "BYTES`).",
            )
        )
        return None, out
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        out.append(
            finding(
                "load.encoding",
                f"{file} is UTF-16 or UTF-32; manifests are UTF-8",
                location=Location(file, 1, 1, ""),
            )
        )
        return None, out
    if raw.startswith(b"\xef\xbb\xbf"):
        out.append(
            finding(
                "load.bom",
                f"{file} starts with a UTF-8 byte order mark",
                location=Location(file, 1, 1, ""),
            )
        )
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        out.append(
            finding(
                "load.encoding",
                f"{file}: invalid UTF-8 byte 0x{raw[exc.start]:02x} at byte {exc.start}",
                location=Location(file, line, col, None),
            )
        )
        return None, out
    nul = text.find("\x00")
    if nul >= 0:
        line, col = line_col_of_offset(text, nul)
        out.append(
            finding(
                "load.encoding",
                f"{file}: NUL character at line {line}",
                location=Location(file, line, col, None),
            )
        )
        return None, out
    return text, out


def surrogate_findings(doc: Document) -> Iterator[Finding]:
    """A lone surrogate escape (``"\\ud800"``) gives a string that is no Unicode text:
    other readers refuse it or read U+FFFD, and as a path it would match a file name
    that is not UTF-8. Each such key or value is an error at its place."""
    stack: list[tuple[Any, str]] = [(doc.data, "")]
    while stack:
        value, pointer = stack.pop()
        if isinstance(value, dict):
            for k, v in value.items():
                where = join_pointer(pointer, k)
                if _SURROGATE.search(k):
                    yield _surrogate_finding(doc, k, where)
                stack.append((v, where))
        elif isinstance(value, list):
            stack.extend((v, f"{pointer}/{i}") for i, v in enumerate(value))
        elif isinstance(value, str) and _SURROGATE.search(value):
            yield _surrogate_finding(doc, value, pointer)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _surrogate_finding(doc: Document, text: str, pointer: str) -> Finding:
    found = _SURROGATE.search(text)
    code = f"\\u{ord(found.group()):04x}" if found else "a surrogate"
    return finding("load.encoding",
                   f"{doc.file}: {pointer or '/'} holds a lone surrogate ({code}), which is "
                   "not a Unicode character", location=doc.locate(pointer))
