"""Manifest bytes to text: bounded, strict UTF-8, no NUL."""

from __future__ import annotations

from rebuildable.findings import Finding, Location, finding
from rebuildable.load.document import Limits, line_col_of_offset


def decode(raw: bytes, file: str, limits: Limits) -> tuple[str | None, list[Finding]]:
    """Bytes to text: bounded, strict UTF-8, no NUL; a UTF-8 BOM is dropped with a warning."""
    out: list[Finding] = []
    if len(raw) > limits.max_bytes:
        out.append(
            finding(
                "load.too-large",
                f"{file} is {len(raw)} bytes; the limit is {limits.max_bytes}",
                location=Location(file, None, None, ""),
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

