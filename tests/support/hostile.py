"""Builders for hostile release archives, made at test time (no binary blobs in git).

Each function writes one archive under a folder and returns its path. The archives
carry a valid manifest so that the hostile member, not a missing manifest, is what
the validator meets.
"""

from __future__ import annotations

import io
import struct
import tarfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

from hypothesis import strategies as st

from tests.support.releases import make_release

__all__ = [
    "manifest_bytes",
    "tar_fifo",
    "tar_link",
    "tar_with",
    "zip_bomb_declared_small",
    "zip_overlapping",
    "zip_symlink",
    "zip_with",
]


def manifest_bytes(tmp: Path, files: dict[str, bytes]) -> bytes:
    """The bytes of a valid rebuild.yaml listing ``files`` (built with make_release)."""
    root = make_release(tmp / "manifest-src", files)
    return (root / "rebuild.yaml").read_bytes()


def _tar_info(name: str, data: bytes = b"", type_: bytes = tarfile.REGTYPE,
              linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = type_
    info.size = len(data) if type_ == tarfile.REGTYPE else 0
    info.linkname = linkname
    info.mode = 0o644
    return info


def tar_with(path: Path, members: Iterable[tuple[str, bytes] | tarfile.TarInfo],
             mode: str = "w") -> Path:
    """A tar holding regular ``(name, data)`` members and any prepared ``TarInfo``
    (links, devices), in order; ``mode`` "w:gz" etc. compresses it."""
    with tarfile.open(path, mode, format=tarfile.PAX_FORMAT) as tf:  # type: ignore[call-overload]
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                tf.addfile(member)
            else:
                name, data = member
                tf.addfile(_tar_info(name, data), io.BytesIO(data))
    return path


def tar_link(name: str, target: str, hard: bool = False) -> tarfile.TarInfo:
    return _tar_info(name, type_=tarfile.LNKTYPE if hard else tarfile.SYMTYPE, linkname=target)


def tar_fifo(name: str) -> tarfile.TarInfo:
    return _tar_info(name, type_=tarfile.FIFOTYPE)


def zip_with(path: Path, members: Iterable[tuple[str | zipfile.ZipInfo, bytes]],
             compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """A zip of ``(name or ZipInfo, data)`` members, in order; duplicates allowed."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names
        with zipfile.ZipFile(path, "w", compression) as zf:
            for name, data in members:
                zf.writestr(name, data)
    return path


def zip_symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (0o120777 << 16)
    return info


def zip_bomb_declared_small(path: Path, manifest: bytes, name: str, declared: int,
                            real: bytes) -> Path:
    """A zip whose member ``name`` declares ``declared`` bytes but inflates to ``real``
    (central directory and local header both lie; the CRC is the real data's)."""
    zip_with(path, [("rebuild.yaml", manifest), (name, real)])
    raw = bytearray(path.read_bytes())
    target = name.encode()
    # Patch the uncompressed size in the local header and the central directory entry.
    pos = 0
    while True:
        pos = raw.find(b"PK\x03\x04", pos)
        if pos < 0:
            break
        n, m = struct.unpack_from("<HH", raw, pos + 26)
        if raw[pos + 30: pos + 30 + n] == target:
            struct.pack_into("<I", raw, pos + 22, declared)
        pos += 30 + n + m
    pos = 0
    while True:
        pos = raw.find(b"PK\x01\x02", pos)
        if pos < 0:
            break
        n = struct.unpack_from("<H", raw, pos + 28)[0]
        if raw[pos + 46: pos + 46 + n] == target:
            struct.pack_into("<I", raw, pos + 24, declared)
        pos += 46
    path.write_bytes(bytes(raw))
    return path


def zip_overlapping(path: Path, manifest: bytes, data: bytes) -> Path:
    """A zip whose central directory lists two names for one local file's data (the
    'overlapping files' zip bomb)."""
    zip_with(path, [("rebuild.yaml", manifest), ("a.bin", data)], zipfile.ZIP_STORED)
    raw = path.read_bytes()
    cd = raw.find(b"PK\x01\x02", raw.find(b"a.bin") + 1)
    entries = [cd]
    p = cd
    while True:
        p = raw.find(b"PK\x01\x02", p + 46)
        if p < 0:
            break
        entries.append(p)
    eocd = raw.rfind(b"PK\x05\x06")
    first_cd = entries[0]
    # Duplicate the last central directory entry ("a.bin") under the name "b.bin".
    last = raw[entries[-1]:eocd]
    copy = last.replace(b"a.bin", b"b.bin", 1)
    body = raw[:eocd] + copy
    count, = struct.unpack_from("<H", raw, eocd + 10)
    cd_size = eocd - first_cd + len(copy)
    eocd_rec = bytearray(raw[eocd:])
    struct.pack_into("<HHI", eocd_rec, 8, count + 1, count + 1, cd_size)
    path.write_bytes(body + bytes(eocd_rec))
    # The local header still names a.bin; the listing shows two members sharing it.
    return path


# -- paths that every reader must refuse ---------------------------------------------

_segment = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7e,
                                          exclude_characters="/\\"), min_size=1, max_size=8)


@st.composite
def hostile_paths(draw: st.DrawFn) -> str:
    parts = draw(st.lists(_segment, min_size=1, max_size=4))
    kind = draw(st.sampled_from(["dotdot", "absolute", "drive", "backslash", "dot", "empty",
                                 "trailing"]))
    at = draw(st.integers(min_value=0, max_value=len(parts)))
    if kind == "dotdot":
        parts.insert(at, "..")
    elif kind == "dot":
        parts.insert(at, ".")
    elif kind == "empty":
        parts.insert(min(at, len(parts) - 1) + 1 if len(parts) > 1 else 1, "")
        if parts[-1] == "":
            parts.append("x")
    path = "/".join(parts)
    if kind == "absolute":
        path = "/" + path
    elif kind == "drive":
        path = draw(st.sampled_from("ACZacz")) + ":" + draw(st.sampled_from(["/", "\\", ""])) + path
    elif kind == "backslash":
        path = path.replace("/", "\\") + "\\" + draw(_segment)
    elif kind == "trailing":
        path += "/"
    return path
