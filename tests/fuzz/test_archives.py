"""Fuzzing the archive readers and the engine behind them: tar plain, gzip, bzip2 and
xz; tar with GNU long names, PAX records and a GNU sparse map; zip stored, deflated and
streamed (data descriptors, a Unicode Path field); streams that cannot seek. A mutated
archive is a ReleaseError (it cannot be read at all) or a release whose members open or
fail with MemberError; validation never reports an internal error and never hangs."""

from __future__ import annotations

import io
import tarfile
import zipfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from rebuildable.codes import CODES
from rebuildable.engine import validate
from rebuildable.errors import MemberError, ReleaseError
from rebuildable.release import EntryType, open_release
from tests.fuzz.mutate import (
    FIXED_SLOT,
    NAME_TOKENS,
    bounded_time,
    check_codes,
    examples,
    mutated,
)
from tests.support.hostile import manifest_bytes
from tests.support.hostile_names import pax_records, tar_blocks, unicode_path_extra

FILES = {"README.txt": b"hello\n", "data/w.bin": bytes(range(64))}


def _tar(manifest: bytes, mode: str, files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, format=tarfile.PAX_FORMAT) as tf:  # type: ignore[call-overload]
        for name, data in (("rebuild.yaml", manifest), *files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _zip(manifest: bytes, files: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in (("rebuild.yaml", manifest), *files.items()):
            zf.writestr(name, data)
    return buf.getvalue()


def _zip_streamed(manifest: bytes, files: dict[str, bytes]) -> bytes:
    """Written to a stream that cannot seek: every member has a data descriptor (the
    stored ones are where a streaming reader searches for their end), and an Info-ZIP
    Unicode Path field that agrees names the last one."""
    pipe = _Sink()
    with zipfile.ZipFile(pipe, "w", zipfile.ZIP_STORED) as zf:
        items = [("rebuild.yaml", manifest), *files.items()]
        for i, (name, data) in enumerate(items):
            info = zipfile.ZipInfo(name)
            if i == len(items) - 1:
                info.extra = unicode_path_extra(name.encode(), name)
            zf.writestr(info, data, zipfile.ZIP_DEFLATED if i % 2 else zipfile.ZIP_STORED)
    return pipe.getvalue()


class _Sink(io.BytesIO):
    def seekable(self) -> bool:
        return False


def _tar_named(manifest: bytes, files: dict[str, bytes], fmt: int) -> bytes:
    """A GNU (long-name records) or PAX (path records) tar whose member names need them,
    plus a GNU sparse 1.0 map: the metadata tarmeta.py charges and compares."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for name, data in (("rebuild.yaml", manifest), *files.items(),
                           ("d" * 120 + "/l\u00e9ng.bin", b"long")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()[:-2 * tarfile.BLOCKSIZE]
    pax = pax_records({"GNU.sparse.major": "1", "GNU.sparse.minor": "0",
                       "GNU.sparse.name": "sparse.bin", "GNU.sparse.realsize": "4"})
    body = b"1\n0\n4\n".ljust(tarfile.BLOCKSIZE, b"\0") + b"data"
    return tar_blocks([("PaxHeaders/s", tarfile.XHDTYPE, pax),
                       ("GNUSparseFile.0/sparse.bin", tarfile.REGTYPE, body)]).join([raw, b""])


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[bytes]]:
    manifest = manifest_bytes(tmp_path_factory.mktemp("m"), FILES)
    # Each kind also as a template whose last member's name starts with a slot for a
    # token ("\x00", "../", "/", ...), filled to the slot's length.
    slotted = {**FILES, f"{FIXED_SLOT.decode()}x.bin": b"x"}
    builders: dict[str, Callable[[dict[str, bytes]], bytes]] = {
        "tar": partial(_tar, manifest, "w"), "tar.gz": partial(_tar, manifest, "w:gz"),
        "tar.bz2": partial(_tar, manifest, "w:bz2"), "tar.xz": partial(_tar, manifest, "w:xz"),
        "tar-gnu-names": partial(_tar_named, manifest, fmt=tarfile.GNU_FORMAT),
        "tar-pax-names": partial(_tar_named, manifest, fmt=tarfile.PAX_FORMAT),
        "zip": partial(_zip, manifest),
        "zip-deflated": partial(_zip, manifest, method=zipfile.ZIP_DEFLATED),
        "zip-streamed": partial(_zip_streamed, manifest)}
    return {kind: [build(FILES), build(slotted)] for kind, build in builders.items()}


class _Pipe(io.RawIOBase):
    """A stream that cannot seek, as standard input."""

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._inner.readinto(buffer)


def read_everything(data: bytes, wrap: Callable[[bytes], Any]) -> None:
    try:
        release = open_release(wrap(data))
    except ReleaseError:
        return
    with release:
        for path, entry in release.entries().items():
            if entry.type is not EntryType.FILE:
                continue
            try:
                with release.open(path) as fh:
                    while fh.read(1 << 16):
                        pass
            except MemberError:
                pass


KINDS = ["tar", "tar.gz", "tar.bz2", "tar.xz", "tar-gnu-names", "tar-pax-names", "zip",
         "zip-deflated", "zip-streamed"]


def test_every_seed_is_a_readable_release(seeds: dict[str, list[bytes]]) -> None:
    """A seed that is refused whole fuzzes only the refusal."""
    for kind in KINDS:
        for seed in seeds[kind]:
            with open_release(io.BytesIO(seed)) as release:
                assert "data/w.bin" in release.entries(), kind
                assert not [f.code for f in release.findings
                            if f.code.startswith("release.archive-ambiguous")], kind


@pytest.mark.parametrize("kind", KINDS)
def test_mutated_archives_are_read_or_refused_never_crash(seeds: dict[str, list[bytes]],
                                                          kind: str) -> None:
    @settings(max_examples=examples(100), suppress_health_check=[HealthCheck.too_slow,
                                     HealthCheck.function_scoped_fixture])
    @given(data=mutated(seeds[kind], slot_tokens=NAME_TOKENS))
    def run(data: bytes) -> None:
        with bounded_time(f"reading a mutated {kind}"):
            read_everything(data, io.BytesIO)

    run()


def test_mutated_streams_are_read_or_refused_never_crash(
        seeds: dict[str, list[bytes]]) -> None:
    @settings(max_examples=examples(100), suppress_health_check=[
        HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(data=mutated([s for kind in seeds.values() for s in kind], slot_tokens=NAME_TOKENS))
    def run(data: bytes) -> None:
        with bounded_time("reading a mutated stream"):
            read_everything(data, _Pipe)

    run()


def test_validating_mutated_archives_never_reports_an_internal_error(
        seeds: dict[str, list[bytes]], tmp_path: Path) -> None:
    @settings(max_examples=examples(40), suppress_health_check=[
        HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(data=mutated([s for kind in seeds.values() for s in kind], slot_tokens=NAME_TOKENS))
    def run(data: bytes) -> None:
        target = tmp_path / "release.bin"
        target.write_bytes(data)
        with bounded_time("validating a mutated archive"):
            report = validate(target)
        found = [f.code for f in report.findings]
        check_codes(found, CODES.__contains__)
        assert "internal.error" not in found

    run()
