"""GNU sparse tar members: where their data lies, and whether GNU tar, bsdtar and
Python's tarfile expand them to the same bytes.

A sparse member stores only its data regions; the map says where each goes in the
expanded file, and the rest (the holes) reads as zeros. Extractors read a map that
GNU tar would not write in different ways: GNU tar reads each region from whole
512-byte blocks and writes it at its offset (later regions overwriting earlier ones),
sets the file's size from the last region, and skips stored bytes the map does not
use; bsdtar and tarfile read the regions back to back, and tarfile loops on regions
out of order. So only maps that every one of them reads alike are accepted.
"""

from __future__ import annotations

import tarfile

BLOCK = tarfile.BLOCKSIZE


def is_sparse(info: tarfile.TarInfo) -> bool:
    return info.isreg() and info.sparse is not None


def stored_size(info: tarfile.TarInfo) -> int:
    """The bytes a member's data takes in the archive: its map's regions for a sparse
    member (the declared, expanded size counts against the member bound), else its
    size."""
    if not is_sparse(info):
        return info.size
    return sum(size for _, size in _regions(info))


def sparse_problem(info: tarfile.TarInfo, next_header: int) -> str | None:
    """How extractors would expand ``info`` differently, or None; ``next_header`` is
    where tarfile reads the next header."""
    why: str | None = info.__dict__.get("sparse_problem")
    if why is not None:
        return why
    regions = _regions(info)
    blocks = info.pax_headers.get("GNU.sparse.numblocks")
    if blocks is not None and blocks != str(len(regions)):
        return f"its map has {len(regions)} entries where its header says {blocks}"
    # one pass: a map may hold a megabyte of entries
    last_data = max((i for i, (_, size) in enumerate(regions) if size), default=-1)
    end = 0
    for i, (offset, size) in enumerate(regions):
        if size == 0 and i < last_data:
            return "its map has entries after an empty one"
        if offset < end:
            return "the regions of its map are out of order or overlap"
        if size % BLOCK and i < last_data:
            return (f"a region of its map that is not the last holds {size} bytes, not a "
                    "whole number of 512-byte blocks (GNU tar reads whole blocks)")
        end = offset + size
    if end != info.size:
        return (f"its map ends at byte {end}, not at its size of {info.size} (GNU tar makes "
                "a file as long as the map)")
    header_size: int = info.__dict__.get("header_size", -1)
    stored = header_size - info.__dict__.get("map_bytes", 0)
    data = sum(size for _, size in regions)
    if data != stored or next_header != info.offset_data + _blocks(stored):
        return (f"its map holds {data} bytes of data where its header stores {stored} "
                "(extractors read the rest as data or as headers)")
    return None


def _regions(info: tarfile.TarInfo) -> list[tuple[int, int]]:
    # typeshed says bytes; tarfile keeps (offset, size) pairs
    return list(info.sparse or [])  # type: ignore[arg-type]


def _blocks(size: int) -> int:
    return -(-size // BLOCK) * BLOCK
