"""Byte mutations for the fuzzers: a seed input, changed the way mutation fuzzers change
it (flipped and overwritten bytes, cuts, splices of hostile tokens, repeated runs)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from hypothesis import settings
from hypothesis import strategies as st

#: bytes that break parsers more often than random ones do
TOKENS: Sequence[bytes] = (
    b"\x00", b"\xff", b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff\xff\xff\xff\xff", b"9" * 5000,
    b"0x" + b"f" * 4000, b"0o" + b"7" * 5000, b"-", b"..", b"../", b"/", b"\\", b"*", b"&a",
    b"*a", b"!!python/object",
    b"<<", b"{", b"[", b'"', b"\n", b"\r", b"\t", b"\xef\xbb\xbf", b"\xed\xa0\x80", b"NaN",
    b"1e999", b"\\ud800", b"PK\x03\x04", b"././@LongLink", b"ustar\x0000", b"GGUF",
    b"\x93NUMPY", b"8BPS",
)


#: tokens for a value slot of a manifest: numbers no reader converts, and their kin
VALUE_TOKENS: Sequence[bytes] = (
    b"9" * 5000, b"-" + b"9" * 5000, b"0x" + b"f" * 4000, b"0o" + b"7" * 5000, b"1e999",
    b"-.inf", b".nan", b"NaN", b'"\\ud800"', b"9007199254740993", b"1" * 4300,
)

#: tokens for a member-name slot of an archive
NAME_TOKENS: Sequence[bytes] = (
    b"\x00", b"\x00/", b"/", b"../", b"./", b"a//", b"C:", b"\\", b"\xff\xfe", b"\xc3\xa9",
    b"rebuild.", b"A", b"\x7f", b"\n",
)

#: where a seed holds this, a token goes (so that tokens also land where they mean most:
#: a YAML value, a member name)
SLOT = b"@@"
#: a slot filled to its own length (names inside archives: both zip headers name it)
FIXED_SLOT = b"%%%%%%%%"


@st.composite
def mutated(draw: st.DrawFn, seeds: Sequence[bytes], max_edits: int = 8,
            slot_tokens: Sequence[bytes] = TOKENS) -> bytes:
    """One seed, its slots filled with ``slot_tokens``, then up to ``max_edits`` edits."""
    seed = draw(st.sampled_from(seeds))
    while FIXED_SLOT in seed:  # same length: the archive's length fields stay right
        token = draw(st.sampled_from(slot_tokens))[:len(FIXED_SLOT)]
        seed = seed.replace(FIXED_SLOT, token.ljust(len(FIXED_SLOT), b"_"), 1)
    while SLOT in seed:
        seed = seed.replace(SLOT, draw(st.sampled_from(slot_tokens)), 1)
    data = bytearray(seed)
    for _ in range(draw(st.integers(0, max_edits))):
        edit = draw(st.integers(0, 5))
        at = draw(st.integers(0, max(len(data), 1) - 1)) if data else 0
        if edit == 0 and data:  # flip bits
            data[at] ^= draw(st.integers(1, 255))
        elif edit == 1:  # overwrite with a token
            token = draw(st.sampled_from(TOKENS))
            data[at:at + len(token)] = token
        elif edit == 2:  # insert a token
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif edit == 3:  # cut the rest
            del data[at:]
        elif edit == 4 and data:  # repeat a run
            end = min(len(data), at + draw(st.integers(1, 64)))
            data[at:at] = data[at:end] * draw(st.integers(1, 50))
        else:  # random bytes
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
    return bytes(data)


#: the longest one example may take; far beyond any honest input of these sizes, so
#: only a hang (unbounded time) trips it, even on a loaded machine
EXAMPLE_SECONDS = 30.0


@contextmanager
def bounded_time(what: str, seconds: float = EXAMPLE_SECONDS) -> Iterator[None]:
    start = time.monotonic()
    yield
    elapsed = time.monotonic() - start
    assert elapsed < seconds, f"{what} took {elapsed:.1f} s"


def check_codes(codes: Sequence[str], registered: Callable[[str], bool]) -> None:
    unknown = [c for c in codes if not registered(c)]
    assert not unknown, f"unregistered finding codes: {unknown}"


#: how much heavier a fuzzer runs under the heavy profile (``pytest --run-slow``)
HEAVY_FACTOR = 25


def examples(ci: int) -> int:
    """``ci`` examples under the CI profile, many more under the heavy one: a test that
    sets ``max_examples`` itself would otherwise ignore ``--run-slow``."""
    loaded = settings.default
    heavy = loaded is not None and loaded.max_examples > settings.get_profile("ci").max_examples
    return ci * HEAVY_FACTOR if heavy else ci


def assert_no_reader_bug(notes: Sequence[str]) -> None:
    """The sniffers turn an unexpected exception into a note rather than fail a whole
    validation; a fuzzer must not let that hide a bug."""
    bugs = [n for n in notes if "reader failed" in n]
    assert not bugs, bugs
