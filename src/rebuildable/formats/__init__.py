"""Format sniffing: what the bytes of a file are, read in bounded pieces.

``sniff(open_member, name, size)`` recognises layered images (PSD/PSB, XCF, KRA, ORA),
vector and raster images (SVG, PNG, JPEG, WebP, GIF, BMP, TIFF), weights (safetensors,
GGUF, NumPy ``.npy``/``.npz``, PyTorch zip and raw pickle, HDF5, ONNX), executables (ELF, PE,
Mach-O, WebAssembly, Java class, jar, wheel, Python zipapp), archives (zip, tar, gzip,
bzip2, xz, zstd, 7z) and documents (PDF, OpenDocument, OOXML). It never raises for bad
bytes and never reads more than :data:`READ_BUDGET` bytes: damage is reported in
``FormatInfo.problems``.

The name is a hint only (it tells an ``.npz`` from a plain zip, never a format from
bytes that say otherwise).
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from typing import BinaryIO

from rebuildable.formats import (
    documents,
    executables,
    onnx,
    psd,
    raster,
    svg,
    tar,
    tensors,
    xcf,
    zipped,
)
from rebuildable.formats._base import (
    ENTRY_CAP,
    READ_BUDGET,
    XML_CAP,
    BudgetExceededError,
    FormatError,
    FormatInfo,
    Source,
)

__all__ = [
    "ENTRY_CAP",
    "LAYERED_EDITORS",
    "READ_BUDGET",
    "XML_CAP",
    "FormatInfo",
    "editor_of",
    "sniff",
    "sniff_open",
    "sniff_path",
]

#: editors whose files keep layers; a raster whose metadata names one of them was
#: probably exported from a layered project file
LAYERED_EDITORS = frozenset({"photoshop", "gimp", "krita", "mypaint", "affinity", "paint.net",
                             "clip-studio", "procreate", "pixelmator", "inkscape",
                             "illustrator"})

#: how much of a non-seekable stream is copied to a temporary file to be sniffed
SPOOL_CAP = 64 * 1024 * 1024
_HEAD = 4096

Sniffer = Callable[[Source, bytes, str], FormatInfo | None]

#: what bytes of no known format are: one frozen instance for all of them (a data release
#: of 100,000 files otherwise holds 100,000 equal results with four empty containers each;
#: like every FormatInfo, its containers are never changed once it is built)
_UNRECOGNISED = FormatInfo()


def sniff(open_member: Callable[[], BinaryIO], name: str, size: int) -> FormatInfo:
    """Recognise the format of one file. Never raises for bad bytes or I/O errors."""
    try:
        fh = open_member()
    except OSError as exc:
        return FormatInfo(notes=[f"could not be opened: {exc.strerror or exc}"])
    try:
        with fh:
            return _sniff_stream(fh, name, size)
    except OSError as exc:
        return FormatInfo(notes=[f"could not be read: {exc.strerror or exc}"])
    except Exception as exc:  # a release's member stream may raise its own errors
        return FormatInfo(notes=[f"could not be read: {exc}"])


def sniff_open(name: str, fh: BinaryIO, size: int) -> FormatInfo:
    """Like :func:`sniff`, on a stream its caller opened and keeps open (the hashing pass
    hands each member over before closing it). Never raises for bad bytes or I/O errors."""
    try:
        return _sniff_stream(fh, name, size)
    except OSError as exc:
        return FormatInfo(notes=[f"could not be read: {exc.strerror or exc}"])
    except Exception as exc:  # a release's member stream may raise its own errors
        return FormatInfo(notes=[f"could not be read: {exc}"])


def sniff_path(path: str, size: int | None = None) -> FormatInfo:
    """Convenience: sniff a file on disk."""
    real = size if size is not None else os.stat(path).st_size
    return sniff(lambda: open(path, "rb"), os.path.basename(path), real)


def editor_of(info: FormatInfo) -> str | None:
    """The editor named by a file's metadata ("photoshop", "gimp", "krita", ...), if any."""
    editor = info.details.get("editor")
    return editor if isinstance(editor, str) else None


def _sniff_stream(fh: BinaryIO, name: str, size: int) -> FormatInfo:
    seekable = False
    try:
        seekable = fh.seekable()
    except (OSError, ValueError):
        seekable = False
    if seekable:
        return sniff_source(Source(fh, size), name)
    if size <= SPOOL_CAP:
        with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
            shutil.copyfileobj(_Limited(fh, SPOOL_CAP), spool)
            real = spool.tell()
            spool.seek(0)
            return sniff_source(Source(spool, real), name)  # type: ignore[arg-type]
    # Too large to copy: sniff the head only, and say so.
    head = fh.read(_HEAD * 16)
    info = sniff_source(Source(io.BytesIO(head), len(head)), name)
    return FormatInfo(format=info.format, family=info.family, layered=info.layered,
                      layers=None, details={**info.details, "partial": True}, problems=[],
                      warnings=info.warnings,
                      notes=[*info.notes,
                             "stream is not seekable and too large: only its head was checked"])


class _Limited(io.RawIOBase):
    def __init__(self, fh: BinaryIO, cap: int) -> None:
        self.fh = fh
        self.left = cap

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        n = self.left if n < 0 else min(n, self.left)
        data = self.fh.read(n)
        self.left -= len(data)
        return data


def sniff_source(src: Source, name: str) -> FormatInfo:
    """Sniff a seekable :class:`Source` (the engine behind :func:`sniff`)."""
    try:
        head = src.read_upto(0, _HEAD)
    except OSError as exc:
        return FormatInfo(notes=[f"could not be read: {exc.strerror or exc}"])
    sniffer = _choose(head, src.size, name)
    if sniffer is None:
        return _UNRECOGNISED
    try:
        info = sniffer(src, head, name)
        # a sniffer that found the bytes are not its format after all (ONNX has no magic)
        return _UNRECOGNISED if info is None else info
    except BudgetExceededError as exc:
        return FormatInfo(format=_guess(head), notes=[f"not fully checked: {exc}"])
    except FormatError as exc:
        return FormatInfo(format=_guess(head), problems=[str(exc)])
    except OSError as exc:
        return FormatInfo(format=_guess(head), notes=[f"could not be read: {exc.strerror or exc}"])
    except (ValueError, OverflowError, RecursionError, LookupError, EOFError,
            NotImplementedError, RuntimeError, struct.error, zipfile.BadZipFile,
            zlib.error) as exc:
        # a parser library (zipfile, zlib, json) choking on bad bytes
        return FormatInfo(format=_guess(head), problems=[f"unreadable structure: {exc}"])
    except Exception as exc:  # a sniffer bug must not fail the whole check
        return FormatInfo(format=_guess(head),
                          notes=[f"not checked: the {_guess(head) or 'format'} reader failed "
                                 f"({type(exc).__name__}: {exc})"])


def _guess(head: bytes) -> str | None:
    for magic, fmt in _MAGICS:
        if head.startswith(magic):
            return fmt
    return None


_MAGICS: tuple[tuple[bytes, str], ...] = (
    (b"8BPS", "psd"),
    (b"gimp xcf ", "xcf"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GGUF", "gguf"),
    (b"\x93NUMPY", "npy"),
    (b"\x7fELF", "elf"),
    (b"\x1f\x8b", "gzip"),
)


def _choose(head: bytes, size: int, name: str) -> Sniffer | None:
    if head.startswith(b"8BPS"):
        return psd.sniff
    if head.startswith(b"gimp xcf "):
        return xcf.sniff
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")) or zipped.is_zipapp(head):
        return zipped.sniff
    if raster.matches(head):
        return raster.sniff
    if tensors.matches(head, size):
        return tensors.sniff
    if executables.matches(head):
        return executables.sniff
    if tar.matches(head):
        return tar.sniff
    if documents.matches(head):
        return documents.sniff
    if svg.matches(head):
        return svg.sniff
    if onnx.matches(head):
        return onnx.sniff
    return None
