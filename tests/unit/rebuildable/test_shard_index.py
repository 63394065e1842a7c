"""The shard index reader (spec/shards.md): lines, problems, order and digests."""

from __future__ import annotations

import hashlib
import io

from hypothesis import given
from hypothesis import strategies as st

from rebuildable.codes import CODES
from rebuildable.shard_index import MAX_LINE, LineProblem, Scan, Shard, format_line

SHA = hashlib.sha256(b"x").hexdigest()


def _scan(data: bytes) -> tuple[list[Shard | LineProblem], Scan]:
    scan = Scan(io.BytesIO(data))
    return list(scan), scan


def _codes(items: list[Shard | LineProblem]) -> list[tuple[int, str]]:
    return [(i.line, i.code) for i in items if isinstance(i, LineProblem)]


def test_sorted_lines_are_shards_and_the_digest_covers_every_byte() -> None:
    data = (format_line("https://h/a", 1, SHA) + format_line("https://h/b", 22, SHA)).encode()
    items, scan = _scan(data)
    assert [(s.line, s.uri, s.size) for s in items if isinstance(s, Shard)] == [
        (1, "https://h/a", 1), (2, "https://h/b", 22)]
    assert (scan.tally.lines, scan.tally.shards, scan.tally.bytes) == (2, 2, 23)
    assert scan.tally.digests == {"sha256": hashlib.sha256(data).hexdigest()}


def test_each_malformed_line_is_located() -> None:
    lines = [format_line("https://h/a", 1, SHA), "https://h/b 1 " + SHA + "\n",
             format_line("rel/c", 1, SHA), format_line("https://h/d", 1, SHA.upper()),
             "https://h/e\t01\t" + SHA + "\n", "https://h/f\t1\t" + SHA + "\r\n",
             "https://h/g\t" + "9" * 17 + "\t" + SHA + "\n", "https://h/h\t1\t" + SHA]
    items, scan = _scan("".join(lines).encode())
    assert _codes(items) == [(n, "shards.malformed-line") for n in range(2, 9)]
    assert scan.tally.malformed == 7


def test_non_utf8_uri_is_malformed() -> None:
    items, _ = _scan(b"https://h/\xff\t1\t" + SHA.encode() + b"\n")
    assert _codes(items) == [(1, "shards.malformed-line")]


def test_unsorted_and_duplicate_compare_with_the_previous_good_line() -> None:
    data = "".join(format_line(u, 1, SHA) for u in
                   ["https://h/b", "https://h/a", "https://h/a", "https://h/c"]).encode()
    items, scan = _scan(data)
    assert _codes(items) == [(2, "shards.unsorted"), (3, "shards.duplicate")]
    dup = next(i for i in items if isinstance(i, LineProblem) and i.code == "shards.duplicate")
    assert dup.first == 2
    assert scan.tally.shards == 3  # the repeat is not a shard of its own


def test_a_prefix_sorts_before_what_extends_it() -> None:
    data = "".join(format_line(u, 1, SHA) for u in ["s3://b/k", "s3://b/k2"]).encode()
    assert _codes(_scan(data)[0]) == []


def test_too_long_lines_are_skipped_with_bounded_memory() -> None:
    long = "https://h/" + "a" * (3 * (1 << 20))  # spans several read blocks
    data = "".join([format_line("https://h/0", 1, SHA), format_line(long, 1, SHA),
                    format_line("https://h/b", 1, SHA)]).encode()
    items, scan = _scan(data)
    assert _codes(items) == [(2, "shards.too-long-line")]
    assert scan.tally.shards == 2
    exact = "https://h/" + "a" * (MAX_LINE - 77)  # the bound, its LF not counted
    assert len(format_line(exact, 1, SHA)) == MAX_LINE + 1
    assert _codes(_scan(format_line(exact, 1, SHA).encode())[0]) == []
    over = format_line(exact + "a", 1, SHA).encode()
    assert _codes(_scan(over)[0]) == [(1, "shards.too-long-line")]


def test_a_too_long_last_line_without_lf() -> None:
    items, scan = _scan(b"x" * (MAX_LINE + 5))
    assert _codes(items) == [(1, "shards.too-long-line")]
    assert scan.tally.lines == 1


@given(st.binary(max_size=400))
def test_any_bytes_give_shards_or_registered_problems(data: bytes) -> None:
    items, scan = _scan(data)
    assert all(i.code in CODES for i in items if isinstance(i, LineProblem))
    assert scan.tally.lines == data.count(b"\n") + (0 if data.endswith(b"\n") or not data
                                                    else 1)
    assert scan.tally.digests["sha256"] == hashlib.sha256(data).hexdigest()
