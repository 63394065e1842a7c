"""Archive member names: what makes one unusable as a release path."""

from __future__ import annotations

import re

_DRIVE = re.compile(r"[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def unsafe_reason(name: str) -> str | None:
    """Why an archive member name cannot be used as a release path (None when it can).

    ``name`` has already lost a leading ``./`` and a directory's trailing ``/``.
    """
    if _CONTROL.search(name):
        return "holds a control character"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid UTF-8"
    if "\\" in name:
        return "holds a backslash"
    if name.startswith("/"):
        return "is absolute"
    if _DRIVE.match(name):
        return "starts with a drive letter"
    parts = name.split("/")
    if ".." in parts:
        return "escapes the archive with '..'"
    if any(p in ("", ".") for p in parts):
        return "has an empty or '.' segment"
    return None


def printable(name: str) -> str:
    """``name`` with undecodable bytes shown as escapes (safe to print and to JSON)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def normalise(raw: str, is_dir: bool) -> str:
    name = raw
    while name.startswith("./"):
        name = name[2:]
    if is_dir or name.endswith("/"):
        name = name.rstrip("/") if name.strip("/") else name
    return name
