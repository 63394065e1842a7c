"""Build dist/hello.pyz, a zipapp, byte for byte the same on every machine.

Run from the release root: ``python3 build.py``. Needs only the Python standard
library (3.8 or later). What makes the output reproducible:

* members are written in a fixed order with a fixed timestamp (1980-01-01 00:00,
  the earliest a zip can hold), fixed permissions and a fixed "made by" system;
* members are STORED, not deflated: deflate output differs between zlib builds
  (zlib, zlib-ng), stored bytes do not;
* source text is read as bytes and copied unchanged (no newline translation);
* nothing is read from the environment, the clock or the file system's metadata.
"""

import io
import os
import pathlib
import sys
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent
SOURCES = ("hello/__init__.py", "hello/__main__.py")
OUTPUT = ROOT / "dist" / "hello.pyz"
SHEBANG = b"#!/usr/bin/env python3\n"
LAUNCHER = b"import sys\n\nfrom hello.__main__ import main\n\nsys.exit(main())\n"
EPOCH = (1980, 1, 1, 0, 0, 0)


def member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=EPOCH)
    info.compress_type = zipfile.ZIP_STORED
    info.create_system = 3  # Unix, whatever system builds it
    info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
    return info


def build() -> bytes:
    buffer = io.BytesIO()
    buffer.write(SHEBANG)  # as zipapp does: member offsets then count from the file's start
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member("__main__.py"), LAUNCHER)
        for name in SOURCES:
            archive.writestr(member(name), (ROOT / "src" / name).read_bytes())
    return buffer.getvalue()


def main() -> int:
    data = build()
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_bytes(data)
    os.chmod(OUTPUT, 0o755)  # noqa: S103 - an application: executable, world-readable
    sys.stdout.write(f"wrote {OUTPUT.relative_to(ROOT)} ({len(data)} bytes)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
