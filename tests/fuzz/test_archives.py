"""Fuzzing the archive readers (tar, tar.gz, tar.xz, zip, non-seekable streams) and the
engine behind them: a mutated archive is a ReleaseError (it cannot be read at all) or a
release whose members open or fail with MemberError; validation never reports an
internal error and never hangs."""

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
from tests.fuzz.mutate import FIXED_SLOT, NAME_TOKENS, bounded_time, check_codes, mutated
from tests.support.hostile import manifest_bytes

FILES = {"README.txt": b"hello\n", "data/w.bin": bytes(range(64))}


def _tar(manifest: bytes, mode: str, files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, format=tarfile.PAX_FORMAT) as tf:  # type: ignore[call-overload]
        for name, data in (("rebuild.yaml", manifest), *files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _zip(manifest: bytes, files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in (("rebuild.yaml", manifest), *files.items()):
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[bytes]]:
    manifest = manifest_bytes(tmp_path_factory.mktemp("m"), FILES)
    # Each kind also as a template whose last member's name starts with a slot for a
    # token ("\x00", "../", "/", ...), filled to the slot's length.
    slotted = {**FILES, f"{FIXED_SLOT.decode()}x.bin": b"x"}
    builders: dict[str, Callable[[dict[str, bytes]], bytes]] = {
        "tar": partial(_tar, manifest, "w"), "tar.gz": partial(_tar, manifest, "w:gz"),
        "tar.xz": partial(_tar, manifest, "w:xz"), "zip": partial(_zip, manifest)}
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


@pytest.mark.parametrize("kind", ["tar", "tar.gz", "tar.xz", "zip"])
def test_mutated_archives_are_read_or_refused_never_crash(seeds: dict[str, list[bytes]],
                                                          kind: str) -> None:
    @settings(suppress_health_check=[HealthCheck.too_slow,
                                     HealthCheck.function_scoped_fixture])
    @given(data=mutated(seeds[kind], slot_tokens=NAME_TOKENS))
    def run(data: bytes) -> None:
        with bounded_time(f"reading a mutated {kind}"):
            read_everything(data, io.BytesIO)

    run()


def test_mutated_streams_are_read_or_refused_never_crash(
        seeds: dict[str, list[bytes]]) -> None:
    @settings(suppress_health_check=[HealthCheck.too_slow,
                                     HealthCheck.function_scoped_fixture])
    @given(data=mutated([s for kind in seeds.values() for s in kind], slot_tokens=NAME_TOKENS))
    def run(data: bytes) -> None:
        with bounded_time("reading a mutated stream"):
            read_everything(data, _Pipe)

    run()


def test_validating_mutated_archives_never_reports_an_internal_error(
        seeds: dict[str, list[bytes]], tmp_path: Path) -> None:
    @settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow,
                                                      HealthCheck.function_scoped_fixture])
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
