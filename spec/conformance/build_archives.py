#!/usr/bin/env python3
"""Build the archive files of the archive conformance vectors, byte for byte the same
on every run (fixed times, owners, modes and member order; stored, not deflated, zip
members; gzip without a name or time).

Usage::

    python spec/conformance/build_archives.py           # (re)write the archives
    python spec/conformance/build_archives.py --check   # exit 1 when one differs

Each vector's ``vector.json`` is written by hand; this script writes only its
``release.<ext>`` file. The manifests inside carry correct digests and sizes unless
the vector is about a wrong one.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import struct
import sys
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

VECTORS = Path(__file__).resolve().parent / "vectors"
README = b"hello\n"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

Member = tuple[str, bytes | None, str | None]  # (name, data or None, link target)


def manifest(name: str, files: dict[str, bytes]) -> bytes:
    lines = ["spec: rebuildable/0.1", f"name: {name}", 'version: "1.0.0"', "license: MIT",
             "artifacts:"]
    for i, (path, data) in enumerate(sorted(files.items())):
        lines += [f"  - id: file-{i}", f"    path: {path}", "    kind: document",
                  f'    digest: {{sha256: "{hashlib.sha256(data).hexdigest()}"}}',
                  f"    size: {len(data)}"]
    return ("\n".join(lines) + "\n").encode()


def release_files(name: str, prefix: str = "",
                  files: dict[str, bytes] | None = None) -> list[Member]:
    files = files if files is not None else {"README.txt": README}
    members: list[Member] = [(prefix + "rebuild.yaml", manifest(name, files), None)]
    members += [(prefix + p, d, None) for p, d in sorted(files.items())]
    return members


def tar_bytes(members: list[Member]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data, target in members:
            info = tarfile.TarInfo(name)
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if target is not None:
                info.type = tarfile.SYMTYPE
                info.linkname = target
                info.mode = 0o777
                tar.addfile(info)
            elif data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def gzip_bytes(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


def zip_bytes(members: list[Member]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data, _target in members:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.create_system = 3  # unix, so the mode above is read as such
            zf.writestr(info, data or b"")
    return buf.getvalue()


def declare_size(archive: bytes, member: str, size: int) -> bytes:
    """Patch the uncompressed size a zip declares for ``member`` (local and central)."""
    out = bytearray(archive)
    name = member.encode()
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = out.find(sig)
        while at >= 0:
            name_len = struct.unpack_from("<H", out, at + (26 if sig == b"PK\x03\x04" else 28))[0]
            start = at + (30 if sig == b"PK\x03\x04" else 46)
            if bytes(out[start:start + name_len]) == name:
                struct.pack_into("<I", out, at + offset, size)
            at = out.find(sig, at + 4)
    return bytes(out)


def _tar_gz() -> bytes:
    return gzip_bytes(tar_bytes(release_files("archive-tgz")))


def _tgz() -> bytes:
    return gzip_bytes(tar_bytes(release_files("archive-tgz", "archive-1.0/")))


def _tar_top_folder() -> bytes:
    return tar_bytes([("archive-1.0/", None, None),
                      *release_files("archive-tar", "archive-1.0/")])


def _zip_top_folder() -> bytes:
    return zip_bytes(release_files("archive-zip", "archive-1.0/"))


def _zip_slip() -> bytes:
    return zip_bytes([*release_files("zip-slip"), ("../../evil.sh", b"rm -rf ~\n", None)])


def _tar_absolute() -> bytes:
    return tar_bytes([*release_files("tar-absolute"), ("/etc/cron.d/evil", b"* * * * *\n", None)])


def _tar_symlink() -> bytes:
    return tar_bytes([*release_files("tar-link"), ("passwd", None, "/etc/passwd")])


def _tar_listed_symlink() -> bytes:
    files = {"README.txt": README}
    members = [("rebuild.yaml", manifest("tar-listed-link", {**files, "notes.txt": README}), None),
               ("README.txt", README, None), ("notes.txt", None, "README.txt")]
    return tar_bytes(members)


def _tar_duplicate() -> bytes:
    return tar_bytes([*release_files("tar-duplicate"), ("README.txt", b"HELLO\n", None)])


def _noise(n: int) -> bytes:
    """``n`` incompressible but reproducible bytes."""
    out = b""
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:n]


def _tar_gz_truncated() -> bytes:
    # The manifest comes first and survives; the data file behind it is cut short.
    whole = gzip_bytes(tar_bytes(release_files("truncated", files={"data.bin": _noise(3000)})))
    return whole[: len(whole) * 2 // 3]


def _zip_declared_bomb() -> bytes:
    data = b"0" * 64
    archive = zip_bytes(release_files("zip-bomb", files={"README.txt": README, "zeros.bin": data}))
    return declare_size(archive, "zeros.bin", 0xFFFFFFF0)


def _unicode_path(header_name: bytes, name: str) -> bytes:
    """An Info-ZIP Unicode Path extra field (0x7075, version 1) naming ``name``."""
    body = b"\x01" + struct.pack("<I", zlib.crc32(header_name)) + name.encode()
    return struct.pack("<HH", 0x7075, len(body)) + body


def _zip_unicode_path_swap() -> bytes:
    # a.txt's field names b.txt and the other way round: unzip and bsdtar write the
    # bytes of each under the other's name.
    files = {"a.txt": b"bytes of a\n", "b.txt": b"bytes of b\n"}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data, _ in release_files("zip-unicode-path", files=files)[:1]:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            zf.writestr(info, data or b"")
        for name, other in (("a.txt", "b.txt"), ("b.txt", "a.txt")):
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.extra = _unicode_path(name.encode(), other)
            zf.writestr(info, files[name])
    return buf.getvalue()


def _tar_record(name: str, type_: bytes, body: bytes) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.type, info.mode, info.mtime = len(body), type_, 0o644, 0
    return info.tobuf(tarfile.USTAR_FORMAT) + body + b"\0" * (-len(body) % tarfile.BLOCKSIZE)


def _pax(key: str, value: str) -> bytes:
    line = f" {key}={value}\n"
    n = len(line) + 1
    while len(str(n)) + len(line) != n:
        n += 1
    return f"{n}{line}".encode()


def _tar_gnu_and_pax_name() -> bytes:
    # One member, a GNU long name "gnu-name.txt" then a PAX path "pax-name.txt": Python's
    # tarfile reads the first, GNU tar the PAX path. Both names are listed.
    data = b"bytes\n"
    files = {"gnu-name.txt": data, "pax-name.txt": data}
    out = _tar_record("rebuild.yaml", tarfile.REGTYPE, manifest("tar-two-names", files))
    out += _tar_record("././@LongLink", tarfile.GNUTYPE_LONGNAME, b"gnu-name.txt\0")
    out += _tar_record("PaxHeaders/x", tarfile.XHDTYPE, _pax("path", "pax-name.txt"))
    out += _tar_record("short", tarfile.REGTYPE, data)
    return out + b"\0" * (2 * tarfile.BLOCKSIZE)


def _tar_gz_huge_pax_header() -> bytes:
    # A 2 MiB PAX header (over the 1 MiB bound) that gzip makes a few kilobytes.
    body = _pax("comment", "a" * (2 * 1024 * 1024))
    members = tar_bytes(release_files("huge-pax"))
    end = len(members) - 2 * tarfile.BLOCKSIZE  # before the end-of-archive blocks
    while members[end - tarfile.BLOCKSIZE:end] == b"\0" * tarfile.BLOCKSIZE:
        end -= tarfile.BLOCKSIZE
    extra = _tar_record("PaxHeaders/x", tarfile.XHDTYPE, body)
    extra += _tar_record("late.txt", tarfile.REGTYPE, b"late\n")
    return gzip_bytes(members[:end] + extra + b"\0" * (2 * tarfile.BLOCKSIZE))


def _tar_case_collision() -> bytes:
    # 'data.txt' is listed; 'Data.txt' is shipped beside it and listed by nobody.
    files = {"data.txt": b"listed\n"}
    return tar_bytes([*release_files("case-collision", files=files),
                      ("Data.txt", b"other\n", None)])


def _tar_non_utf8_name() -> bytes:
    # b"caf\xe9.txt" is Latin-1, not UTF-8: tarfile writes the surrogate back as that byte.
    return tar_bytes([*release_files("non-utf8-name"), ("caf\udce9.txt", b"x\n", None)])


def _tar_gnu_sparse_name() -> bytes:
    # A PAX header giving GNU.sparse.name "b.txt" then path "a.txt": Python's tarfile
    # takes the last keyword, GNU tar and libarchive the sparse name. a.txt is listed.
    data = b"bytes\n"
    out = _tar_record("rebuild.yaml", tarfile.REGTYPE,
                      manifest("tar-sparse-name", {"a.txt": data}))
    out += _tar_record("PaxHeaders/x", tarfile.XHDTYPE,
                       _pax("GNU.sparse.name", "b.txt") + _pax("path", "a.txt"))
    out += _tar_record("a.txt", tarfile.REGTYPE, data)
    return out + b"\0" * (2 * tarfile.BLOCKSIZE)


def _tar_sparse(name: str, regions: list[tuple[int, bytes]], size: int) -> bytes:
    # A PAX 0.1 GNU sparse member holes.bin (as ``tar -S --format=posix
    # --sparse-version=0.1`` writes one): ``regions`` are (offset, data), zeros between
    # them; the manifest lists the expanded file, as GNU tar and bsdtar extract it.
    expanded = bytearray(size)
    for at, chunk in regions:
        expanded[at:at + len(chunk)] = chunk
    mapping = [n for at, chunk in regions for n in (at, len(chunk))]
    if not regions or regions[-1][0] + len(regions[-1][1]) < size:
        mapping += [size, 0]
    out = _tar_record("rebuild.yaml", tarfile.REGTYPE,
                      manifest(name, {"holes.bin": bytes(expanded)}))
    out += _tar_record("PaxHeaders/holes.bin", tarfile.XHDTYPE,
                       _pax("GNU.sparse.numblocks", str(len(mapping) // 2))
                       + _pax("GNU.sparse.size", str(size))
                       + _pax("GNU.sparse.name", "holes.bin")
                       + _pax("GNU.sparse.map", ",".join(map(str, mapping))))
    out += _tar_record("GNUSparseFile.0/holes.bin", tarfile.REGTYPE,
                       b"".join(chunk for _, chunk in regions))
    return out + b"\0" * (2 * tarfile.BLOCKSIZE)


def _tar_sparse_member() -> bytes:
    # 64 KiB expanded from two 512-byte regions; a trailing hole.
    head, middle = b"head".ljust(512, b"\0"), b"middle".ljust(512, b"\0")
    return _tar_sparse("tar-sparse", [(0, head), (32768, middle)], 65536)


def _tar_sparse_unaligned() -> bytes:
    # Two 100-byte regions: GNU tar reads the second from the next 512-byte block (zeros),
    # bsdtar and tarfile from byte 100 of the data. The manifest lists tarfile's bytes.
    return _tar_sparse("tar-sparse-unaligned", [(0, b"a" * 100), (32768, b"b" * 100)], 65536)


def _tar_prefix_old_gnu_magic() -> bytes:
    # A header with a prefix field ("src") but the old GNU magic: Python's tarfile reads
    # "src/a.txt" (listed), GNU tar and bsdtar write "a.txt".
    data = b"bytes\n"
    out = _tar_record("rebuild.yaml", tarfile.REGTYPE,
                      manifest("tar-prefix-magic", {"src/a.txt": data}))
    header = bytearray(_tar_record("a.txt", tarfile.REGTYPE, data)[:tarfile.BLOCKSIZE])
    header[345:348] = b"src"
    header[257:265] = b"ustar  \0"
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\0 " % sum(header)
    out += bytes(header) + data + b"\0" * (-len(data) % tarfile.BLOCKSIZE)
    return out + b"\0" * (2 * tarfile.BLOCKSIZE)


def _zip_record(name: bytes, data: bytes, local_size: int | None = None) -> bytes:
    """A stored local header and its data; ``local_size`` replaces the sizes in it."""
    size = len(data) if local_size is None else local_size
    crc = zlib.crc32(data[:size])
    return struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 0x21, crc, size, size,
                       len(name), 0) + name + data


def _zip_listing(entries: list[tuple[bytes, bytes, int]], start: int) -> bytes:
    """The central directory of stored ``(name, data, local header offset)`` entries
    starting at byte ``start``, and the end record."""
    central = b""
    for name, data, offset in entries:
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 0x031E, 20, 0, 0, 0,
                               0x21, zlib.crc32(data), len(data), len(data), len(name), 0,
                               0, 0, 0, 0o100644 << 16, offset) + name
    return central + struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries),
                                 len(entries), len(central), start, 0)


def _zip_hidden_member() -> bytes:
    # After README.txt, a local header for README.txt that the central directory does
    # not list: unzip reads the listed one, a streaming bsdtar writes the hidden one last.
    text = manifest("zip-hidden-member", {"README.txt": README})
    body = _zip_record(b"rebuild.yaml", text)
    readme_at = len(body)
    body += _zip_record(b"README.txt", README) + _zip_record(b"README.txt", b"hidden\n")
    return body + _zip_listing([(b"rebuild.yaml", text, 0),
                                (b"README.txt", README, readme_at)], len(body))


def _zip_local_size() -> bytes:
    # README.txt's central directory entry covers README and a local member after it;
    # its local header's sizes cover README alone, so a streaming reader ends it there
    # and reads that member (README.txt again, other bytes) next.
    data = README + _zip_record(b"README.txt", b"hidden\n")
    text = manifest("zip-local-size", {"README.txt": data})
    body = _zip_record(b"rebuild.yaml", text)
    readme_at = len(body)
    body += _zip_record(b"README.txt", data, local_size=len(README))
    return body + _zip_listing([(b"rebuild.yaml", text, 0),
                                (b"README.txt", data, readme_at)], len(body))


#: five members in all with the manifest: the member-count vectors set the bound to 3, 4
#: (one over) and 5 (exactly at it)
COUNT_FILES = {"README.txt": README, "a.txt": b"a\n", "b.txt": b"b\n", "c.txt": b"c\n"}


def _zip_too_many_members() -> bytes:
    return zip_bytes(release_files("too-many-members", files=COUNT_FILES))


def _tar_too_many_members() -> bytes:
    return tar_bytes(release_files("too-many-members", files=COUNT_FILES))


def _tar_gz_total_size() -> bytes:
    # rebuild.yaml, README.txt, then big.bin's header before 4000 decompressed bytes and
    # its data across them (the vector's bound), then z.txt wholly past it
    files = {"README.txt": README, "big.bin": _noise(2000), "z.txt": b"z\n"}
    return gzip_bytes(tar_bytes(release_files("total-size", files=files)))


def _zip_total_size() -> bytes:
    files = {"README.txt": README, "big.bin": _noise(2000)}
    return zip_bytes(release_files("total-size", files=files))


def _tar_folder_source() -> bytes:
    readme = hashlib.sha256(README).hexdigest()
    text = f"""spec: rebuildable/0.1
name: folder-source
version: "1.0.0"
license: MIT
artifacts:
  - id: readme
    path: README.txt
    kind: document
    digest: {{sha256: "{readme}"}}
    size: {len(README)}
  - id: src
    path: src
    kind: source-code
    digest: {{sha256: "{readme}"}}
  - id: out
    uri: https://example.org/out.txt
    kind: document
    digest: {{sha256: "{readme}"}}
steps:
  - id: build
    run: cat src/* > out.txt
    inputs: [readme, src]
    outputs: [out]
"""
    return tar_bytes([("rebuild.yaml", text.encode(), None), ("README.txt", README, None),
                      ("src", None, None), ("src/main.c", b"int main;\n", None)])


def _tar_gz_svg_over_bound() -> bytes:
    # 9 MiB of XML, beyond the 8 MiB a validator parses (content.md, CON-1); gzip keeps the
    # vector under 10 KB.
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="6"><rect width="8"/>'
           + b" " * (9 * 1024 * 1024) + b"</svg>\n")
    text = manifest("svg-over-bound", {"logo.svg": svg}).replace(b"kind: document",
                                                                  b"kind: vector-image")
    return gzip_bytes(tar_bytes([("rebuild.yaml", text, None), ("logo.svg", svg, None)]))


ARCHIVES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "core-archive-zip-unicode-path": ("release.zip", _zip_unicode_path_swap),
    "core-archive-tar-gnu-and-pax-name": ("release.tar", _tar_gnu_and_pax_name),
    "core-archive-tar-gz-huge-pax-header": ("release.tar.gz", _tar_gz_huge_pax_header),
    "core-archive-tar-case-collision": ("release.tar", _tar_case_collision),
    "core-archive-tar-gnu-sparse-name": ("release.tar", _tar_gnu_sparse_name),
    "core-archive-tar-sparse-member": ("release.tar", _tar_sparse_member),
    "core-archive-tar-sparse-holes-over-bound": ("release.tar", _tar_sparse_member),
    "core-archive-tar-sparse-unaligned-map": ("release.tar", _tar_sparse_unaligned),
    "core-archive-tar-prefix-old-gnu-magic": ("release.tar", _tar_prefix_old_gnu_magic),
    "core-archive-zip-hidden-member": ("release.zip", _zip_hidden_member),
    "core-archive-zip-local-size": ("release.zip", _zip_local_size),
    "content-svg-over-bound": ("release.tar.gz", _tar_gz_svg_over_bound),
    "core-archive-tar-non-utf8-member": ("release.tar", _tar_non_utf8_name),
    "core-archive-zip-too-many-members": ("release.zip", _zip_too_many_members),
    "core-archive-zip-members-one-over": ("release.zip", _zip_too_many_members),
    "core-archive-zip-members-at-bound": ("release.zip", _zip_too_many_members),
    "core-archive-tar-too-many-members": ("release.tar", _tar_too_many_members),
    "core-archive-tar-members-one-over": ("release.tar", _tar_too_many_members),
    "core-archive-tar-members-at-bound": ("release.tar", _tar_too_many_members),
    "core-archive-tar-gz-total-size": ("release.tar.gz", _tar_gz_total_size),
    "core-archive-zip-total-size": ("release.zip", _zip_total_size),
    "core-prec-tar-folder-source": ("release.tar", _tar_folder_source),
    "core-archive-tar-gz": ("release.tar.gz", _tar_gz),
    "core-archive-tgz-top-folder": ("release.tgz", _tgz),
    "core-archive-tar-top-folder": ("release.tar", _tar_top_folder),
    "core-archive-zip-top-folder": ("release.zip", _zip_top_folder),
    "core-archive-zip-slip": ("release.zip", _zip_slip),
    "core-archive-tar-absolute-member": ("release.tar", _tar_absolute),
    "core-archive-tar-symlink": ("release.tar", _tar_symlink),
    "core-archive-tar-listed-symlink": ("release.tar", _tar_listed_symlink),
    "core-archive-tar-duplicate-member": ("release.tar", _tar_duplicate),
    "core-archive-tar-gz-truncated": ("release.tar.gz", _tar_gz_truncated),
    "core-archive-zip-declared-size": ("release.zip", _zip_declared_bomb),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the archive conformance vectors.")
    parser.add_argument("--check", action="store_true", help="exit 1 when an archive differs")
    args = parser.parse_args(argv)
    stale = []
    for vector, (filename, build) in ARCHIVES.items():
        target = VECTORS / vector / filename
        data = build()
        if target.exists() and target.read_bytes() == data:
            continue
        stale.append(f"{vector}/{filename}")
        if not args.check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    for name in stale:
        sys.stderr.write(f"{'stale' if args.check else 'wrote'}: {name}\n")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
