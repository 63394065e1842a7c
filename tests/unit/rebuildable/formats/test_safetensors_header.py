"""The one safetensors header parser: bounded in time whatever the header says, and the
same verdict for the format sniffer and the numeric equivalence policy."""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path

import pytest

from rebuildable.formats import safetensors
from rebuildable.formats import sniff as sniff_member
from rebuildable.rebuild.equivalence import FormatError, read_safetensors


def safetensors_file(header: dict[str, object], buffer: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + buffer


def many_dims(count: int, dim: int = 2**53 - 1) -> bytes:
    """A tensor whose shape lists ``count`` huge dimensions (2 MB at count=120,000):
    math.prod over it took tens of seconds, and the header cap allowed hours."""
    return safetensors_file({"w": {"dtype": "F32", "shape": [dim] * count,
                                   "data_offsets": [0, 4]}}, b"\0" * 4)


def sniff_bytes(data: bytes, name: str = "w.safetensors") -> safetensors.Header:
    n = safetensors.header_length(data)
    return safetensors.parse_header(data[8:8 + n], len(data) - 8 - n)


def test_a_shape_of_many_huge_dimensions_is_refused_at_once(tmp_path: Path) -> None:
    data = many_dims(120_000)
    start = time.perf_counter()
    header = sniff_bytes(data)
    parse_seconds = time.perf_counter() - start
    assert any("dimensions" in p for p in header.problems), header.problems
    path = tmp_path / "w.safetensors"
    path.write_bytes(data)
    start = time.perf_counter()
    info = sniff_member(lambda: path.open("rb"), "w.safetensors", len(data))
    with pytest.raises(FormatError, match="dimensions"):
        read_safetensors(path)
    total = parse_seconds + time.perf_counter() - start
    # Measured: about 0.1 s for all three readings of the 2 MB header.
    assert total < 3, total
    assert info.malformed


def test_the_element_count_stops_once_it_passes_the_buffer() -> None:
    # 64 dimensions of 2^53 - 1: a 3,400-bit product, never multiplied out.
    start = time.perf_counter()
    header = sniff_bytes(many_dims(64))
    assert time.perf_counter() - start < 1
    assert any("more than the buffer holds" in p for p in header.problems), header.problems


@pytest.mark.parametrize("shape", [[2**53], [-1], [1.5], [True], ["2"]])
def test_dimensions_outside_the_exact_integer_range_are_refused(shape: list[object]) -> None:
    header = sniff_bytes(safetensors_file({"w": {"dtype": "U8", "shape": shape,
                                                 "data_offsets": [0, 1]}}, b"\0"))
    assert header.problems


def test_a_huge_integer_literal_in_the_header_is_a_problem_not_a_crash() -> None:
    raw = b'{"w": {"dtype": "U8", "shape": [' + b"9" * 5000 + b'], "data_offsets": [0, 1]}}'
    header = safetensors.parse_header(raw, 1)
    assert any("thousands of digits" in p for p in header.problems), header.problems


def test_both_readers_agree_on_a_good_file(tmp_path: Path) -> None:
    data = safetensors_file({"__metadata__": {"format": "pt"},
                             "a": {"dtype": "U8", "shape": [2, 2], "data_offsets": [0, 4]},
                             "b": {"dtype": "F32", "shape": [], "data_offsets": [4, 8]}},
                            bytes(range(8)))
    header = sniff_bytes(data)
    assert header.problems == []
    assert [t.name for t in header.tensors] == ["a", "b"]
    assert header.parameters == 5
    path = tmp_path / "ok.safetensors"
    path.write_bytes(data)
    pytest.importorskip("numpy")
    loaded = read_safetensors(path)
    assert sorted(loaded.tensors) == ["a", "b"]
    assert loaded.metadata == {"format": "pt"}


def test_the_numeric_policy_refuses_what_the_sniffer_calls_malformed(tmp_path: Path) -> None:
    # A gap between tensors: the reference reader refuses it; before, only the sniffer did.
    data = safetensors_file({"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]},
                             "b": {"dtype": "U8", "shape": [2], "data_offsets": [3, 5]}},
                            b"\0" * 5)
    assert sniff_bytes(data).problems
    path = tmp_path / "gap.safetensors"
    path.write_bytes(data)
    with pytest.raises(FormatError, match="gap"):
        read_safetensors(path)


def tiny_tensors(count: int) -> bytes:
    """``count`` one-byte tensors: 90 MB of such a header (1.3 million entries) took 16 s
    and 800 MB to parse, and the 100 MB header cap allowed it."""
    parts = [f'"t{i}":{{"dtype":"U8","shape":[1],"data_offsets":[{i},{i + 1}]}}'
             for i in range(count)]
    raw = ("{" + ",".join(parts) + "}").encode()
    return struct.pack("<Q", len(raw)) + raw + b"\0" * count


def test_a_header_of_too_many_values_is_not_parsed(tmp_path: Path) -> None:
    import tracemalloc

    data = tiny_tensors(300_000)  # 1.2 million JSON values, 18 MB of header
    path = tmp_path / "many.safetensors"
    path.write_bytes(data)
    tracemalloc.start()
    try:
        info = sniff_member(lambda: path.open("rb"), "many.safetensors", len(data))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The bound holds: a note (content.not-checked), not damage, and no parse: the peak
    # is the header's bytes read once (parsed, these entries took about 10 times more).
    assert info.format == "safetensors"
    assert not info.problems
    assert any(str(safetensors.MAX_VALUES) in n for n in info.notes), info.notes
    assert peak < 2 * len(data), peak
    # the numeric equivalence policy refuses to compare what it did not read
    with pytest.raises(FormatError, match="JSON values"):
        read_safetensors(path)


def test_a_header_just_under_the_value_bound_is_parsed() -> None:
    count = (safetensors.MAX_VALUES - 1) // 4  # four separators per tiny entry
    header = sniff_bytes(tiny_tensors(count))
    assert header.problems == []
    assert len(header.tensors) == count
