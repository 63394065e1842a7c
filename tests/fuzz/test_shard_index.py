"""Fuzzing the shard index reader: mutated indexes give shards or registered problems,
never an exception, and lines stay numbered in order."""

from __future__ import annotations

import hashlib
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rebuildable.codes import CODES
from rebuildable.shard_index import LineProblem, Scan, Shard

SHA = hashlib.sha256(b"x").hexdigest().encode()
SEED = b"".join(b"https://data.example.org/p-%05d.bin\t%d\t%s\n" % (n, n * 7, SHA)
                for n in range(12))
PIECES = [b"\t", b"\n", b"\r", b"\x00", b" ", b"\xff", b"0", b"9" * 20, b"%", b"%zz",
          b"file:///x", b"a" * 9000, SHA, SHA.upper(), b"-1", "\u00e9".encode()]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(SEED)
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(data)))
        cut = draw(st.integers(0, 40))
        data[at:at + cut] = draw(st.sampled_from(PIECES))
    return bytes(data)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_indexes_never_crash(data: bytes) -> None:
    scan = Scan(io.BytesIO(data))
    last = 0
    for item in scan:
        assert item.line >= last
        last = item.line
        if isinstance(item, LineProblem):
            assert item.code in CODES
        else:
            assert isinstance(item, Shard)
            assert len(item.sha256) == 64
    assert scan.tally.shards + scan.tally.malformed + scan.tally.duplicate == scan.tally.lines
