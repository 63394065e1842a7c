"""Parsing sha256sum-style lists: GNU and BSD lines, escapes, malformed lines counted."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from rebuildable.checksums import ChecksumLine, parse_checksums

A = hashlib.sha256(b"a").hexdigest()


def test_gnu_bsd_binary_and_escaped_lines() -> None:
    text = (f"{A}  a.txt\n{A} *bin/x\nSHA256 (t a g) = {A.upper()}\n"
            f"\\{A}  back\\\\slash\\nnewline\n\n# comment\r\nbad line\n{A[:-1]}  short\n")
    out = parse_checksums(text)
    assert out.entries == [ChecksumLine(1, "sha256", A, "a.txt"),
                           ChecksumLine(2, "sha256", A, "bin/x"),
                           ChecksumLine(3, "sha256", A, "t a g"),
                           ChecksumLine(4, "sha256", A, "back\\slash\nnewline")]
    assert out.malformed == [7, 8]


def test_tag_names_choose_the_algorithm() -> None:
    md5 = hashlib.md5(b"a", usedforsecurity=False).hexdigest()
    out = parse_checksums(f"MD5 (a) = {md5}\nBLAKE2b (b) = {hashlib.blake2b(b'').hexdigest()}\n"
                          f"WHIRLPOOL (c) = {A}\n")
    assert [(e.algorithm, e.path) for e in out.entries] == [("md5", "a"), ("blake2b", "b")]
    assert out.malformed == [3]


@given(st.lists(st.text(max_size=40), max_size=20))
def test_every_line_is_an_entry_a_skip_or_malformed(lines: list[str]) -> None:
    text = "\n".join(lines)
    out = parse_checksums(text)
    numbers = {e.line for e in out.entries} | set(out.malformed)
    assert len(numbers) == len(out.entries) + len(out.malformed)
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.removesuffix("\r")
        if line and not line.startswith("#"):
            assert number in numbers
