"""Documents recognised by magic: PDF (``%PDF-``, with its trailing ``%%EOF``)."""

from __future__ import annotations

import re

from rebuildable.formats._base import FormatInfo, Source

_VERSION = re.compile(rb"%PDF-(\d\.\d)")


def matches(head: bytes) -> bool:
    return head.startswith(b"%PDF-")


def sniff(src: Source, head: bytes, name: str) -> FormatInfo:
    m = _VERSION.match(head)
    details = {"version": m.group(1).decode()} if m else {}
    tail = src.read_upto(max(0, src.size - 2048), 2048)
    problems = [] if b"%%EOF" in tail else ["no %%EOF marker near the end: truncated"]
    if b"Adobe Illustrator" in head or b"/Illustrator" in head:
        details["editor"] = "illustrator"
    return FormatInfo(format="pdf", family="document", details=details, problems=problems)
