"""The ``archive`` policy: zip or tar archives with the same members, contents compared
by the ``members`` policy ([REB-14])."""

from __future__ import annotations

import contextlib
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from rebuildable.rebuild.equivalence.comparison import (
    CHUNK,
    DECOMPRESSION_ERRORS,
    MAX_LISTED,
    Budget,
    Comparison,
    FormatError,
    Nested,
)
from rebuildable.rebuild.equivalence.policy import EquivalencePolicy, parse_policy

MAX_ARCHIVE_DEPTH = 4
MAX_EXTRACT_BYTES = 4 * 1024**3  # per comparison, across all nested members

@dataclass
class _Member:
    name: str
    type: str  # file, dir, symlink, hardlink, other
    mode: int | None
    link: str | None
    size: int
    opener: Callable[[], IO[bytes]] | None


def _zip_members(zf: zipfile.ZipFile) -> list[_Member]:
    out = []
    for info in zf.infolist():
        unix = info.external_attr >> 16 if info.create_system == 3 else 0
        name = info.filename
        if info.is_dir():
            out.append(_Member(name.rstrip("/"), "dir", None, None, 0, None))
            continue
        mode = stat.S_IMODE(unix) if unix else None
        if unix and stat.S_ISLNK(unix):
            out.append(_Member(name, "symlink", None, zf.read(info).decode("utf-8", "replace"),
                               0, None))
            continue
        out.append(_Member(name, "file", mode, None, info.file_size,
                           lambda info=info: zf.open(info)))  # type: ignore[misc]
    return out


def _tar_members(tf: tarfile.TarFile) -> list[_Member]:
    out = []
    for info in tf.getmembers():
        name = info.name.rstrip("/")
        mode = stat.S_IMODE(info.mode)
        if info.isdir():
            out.append(_Member(name, "dir", mode, None, 0, None))
        elif info.issym():
            out.append(_Member(name, "symlink", None, info.linkname, 0, None))
        elif info.islnk():
            out.append(_Member(name, "hardlink", None, info.linkname, 0, None))
        elif info.isfile():
            def opener(info: tarfile.TarInfo = info) -> IO[bytes]:
                fh = tf.extractfile(info)
                if fh is None:  # pragma: no cover - isfile() members always have data
                    raise OSError("member has no data")
                return fh
            out.append(_Member(name, "file", mode, None, info.size, opener))
        else:
            out.append(_Member(name, "other", mode, None, 0, None))
    return out


@contextlib.contextmanager
def _open_archive(path: Path) -> Iterator[tuple[str, list[_Member]]]:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            yield "zip", _zip_members(zf)
        return
    try:
        is_tar = tarfile.is_tarfile(path)
    except OSError:
        is_tar = False
    if is_tar:
        with tarfile.open(path, "r:*") as tf:
            yield "tar", _tar_members(tf)
        return
    raise FormatError("neither a zip nor a tar archive")


#: what reading a damaged archive raises (RuntimeError: an encrypted zip member, or
#: NotImplementedError, an unknown compression method)
_UNREADABLE: tuple[type[Exception], ...] = (
    OSError, EOFError, zipfile.BadZipFile, tarfile.TarError, RuntimeError,
    *DECOMPRESSION_ERRORS)


def _copy_bounded(src: IO[bytes], dst: IO[bytes], budget: Budget) -> None:
    while chunk := src.read(CHUNK):
        budget.left -= len(chunk)
        if budget.left < 0:
            raise FormatError("archive members too large to compare "
                              f"(more than {MAX_EXTRACT_BYTES} bytes extracted)")
        dst.write(chunk)


def compare_archive(rebuilt: Path, published: Path, params: dict[str, Any],
        nested: Nested) -> Comparison:
    member_policy = parse_policy(params.get("members", "exact"))
    if nested.depth >= MAX_ARCHIVE_DEPTH:
        return Comparison(False, False, "archive", "archives nested too deeply to compare")
    try:
        with _open_archive(rebuilt) as (kind_a, ma), _open_archive(published) as (kind_b, mb):
            return _compare_members(kind_a, ma, kind_b, mb, policy=member_policy, nested=nested)
    except FormatError as exc:
        return Comparison(False, False, "archive", f"cannot compare as archives: {exc}")
    except _UNREADABLE as exc:
        return Comparison(False, False, "archive", f"cannot read the archives: {exc}")


def _compare_members(kind_a: str, ma: list[_Member], kind_b: str, mb: list[_Member], *,
                     policy: EquivalencePolicy, nested: Nested) -> Comparison:
    details: dict[str, Any] = {"format": kind_b, "members": len(mb),
                               "member_policy": policy.to_dict()}
    problems = _listing_problems(kind_a, ma, kind_b, mb, details)
    differing, tolerated = _compare_shared(ma, mb, policy, nested)
    if differing:
        details["differing_members"] = differing[:MAX_LISTED]
        first = differing[0]
        problems.append(f"{len(differing)} member(s) differ; first {first['member']!r}: "
                        f"{first['why']}")
    if tolerated:
        details["equivalent_members"] = tolerated[:MAX_LISTED]
    if problems:
        return Comparison(False, False, "archive", "; ".join(problems), details)
    note = (f"; {len(tolerated)} member(s) equivalent under {policy.name}" if tolerated else "")
    return Comparison(True, False, "archive",
                      f"same {len(mb)} members and contents (timestamps, order and compression "
                      f"ignored){note}", details)


def _listing_problems(kind_a: str, ma: list[_Member], kind_b: str, mb: list[_Member],
                      details: dict[str, Any]) -> list[str]:
    """How the two archives' kinds and member names differ; the names go into ``details``."""
    problems: list[str] = []
    if kind_a != kind_b:
        problems.append(f"{kind_a} archive rebuilt vs {kind_b} published")
    for label, members in (("rebuilt", ma), ("published", mb)):
        names = [m.name for m in members]
        dups = sorted({n for n in names if names.count(n) > 1})
        if dups:
            problems.append(f"the {label} archive holds duplicate members: {', '.join(dups[:5])}")
    ia, ib = {m.name for m in ma}, {m.name for m in mb}
    missing = sorted(ib - ia)
    extra = sorted(ia - ib)
    if missing:
        problems.append("members missing from the rebuilt archive: "
                        + ", ".join(missing[:MAX_LISTED]))
        details["missing_members"] = missing[:MAX_LISTED]
    if extra:
        problems.append(f"members only in the rebuilt archive: {', '.join(extra[:MAX_LISTED])}")
        details["extra_members"] = extra[:MAX_LISTED]
    return problems


def _compare_shared(ma: list[_Member], mb: list[_Member], policy: EquivalencePolicy,
                    nested: Nested) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The members both archives hold, compared one by one under the member policy:
    (those that differ, those equivalent but not identical), each with why."""
    ia, ib = {m.name: m for m in ma}, {m.name: m for m in mb}
    differing: list[dict[str, Any]] = []
    tolerated: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="rebuildable-cmp-") as tmp:
        for n, name in enumerate(sorted(set(ia) & set(ib))):
            a, b = ia[name], ib[name]
            if (a.type, a.link) != (b.type, b.link):
                differing.append({"member": name, "why": f"{a.type} {a.link or ''} rebuilt vs "
                                                         f"{b.type} {b.link or ''} published"})
                continue
            if a.mode is not None and b.mode is not None and a.mode != b.mode:
                differing.append({"member": name,
                                  "why": f"permissions {a.mode:o} rebuilt vs {b.mode:o} published"})
                continue
            if a.type != "file" or a.opener is None or b.opener is None:
                continue
            pa, pb = Path(tmp, f"{n}.a"), Path(tmp, f"{n}.b")
            with a.opener() as src, pa.open("wb") as dst:
                _copy_bounded(src, dst, nested.budget)
            with b.opener() as src, pb.open("wb") as dst:
                _copy_bounded(src, dst, nested.budget)
            result = nested.compare(pa, pb, policy, nested.deeper())
            pa.unlink()
            pb.unlink()
            if not result.equal:
                differing.append({"member": name, "why": result.summary})
            elif not result.identical:
                tolerated.append({"member": name, "why": result.summary})
    return differing, tolerated

