"""The lower bound we compare `rebuildable validate` with: hash files, nothing else.

    python benchmarks/limit_hash.py CHECKSUMS [--workers 2]

Reads a ``sha256sum``-style checksum file (``<hex>  <path>`` per line, paths relative
to the file's folder), hashes every file with hashlib SHA-256 in 1 MiB chunks on a
thread pool (hashlib releases the GIL while it hashes, so two threads use two cores),
and exits 1 if any digest differs. No manifest parsing, no checks, no report: the
least work a Python validator could do.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb", buffering=0) as fh:
        buffer = bytearray(CHUNK)
        view = memoryview(buffer)
        while n := fh.readinto(buffer):
            h.update(view[:n])
    return h.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checksums", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    base = args.checksums.parent
    jobs: list[tuple[str, Path]] = []
    for line in args.checksums.read_text("utf-8").splitlines():
        digest, _, name = line.partition("  ")
        jobs.append((digest, base / name))
    # Largest first, so the two big files do not end up on one thread.
    jobs.sort(key=lambda job: -job[1].stat().st_size)
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        actual = list(pool.map(lambda job: sha256_file(job[1]), jobs))
    bad = [str(path) for (digest, path), got in zip(jobs, actual, strict=True) if digest != got]
    for path in bad:
        sys.stderr.write(f"{path}: FAILED\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
