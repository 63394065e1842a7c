"""The registry's version order (spec/registry.md): numbers, then SemVer pre-releases."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebuildable.registry.versions import Version, VersionError, parse

#: SemVer 2.0.0's own example of precedence, then numeric release parts
ORDERED = ["0.9", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
           "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2", "1.10",
           "1.10.1", "2", "2.0.1-0", "2.0.1-a", "2.0.1", "10.0"]


def test_order_follows_the_spec() -> None:
    versions = [parse(v) for v in ORDERED]
    assert sorted(ORDERED[1::2] + ORDERED[::2], key=parse) == ORDERED
    for a, b in itertools.pairwise(versions):
        assert a < b, (a.text, b.text)


@pytest.mark.parametrize(("a", "b"), [("1.2", "1.2.0"), ("1", "1.0.0.0"),
                                      ("1.0.0+build.1", "1.0.0+other"),
                                      ("1.0.0-rc.1+x", "1.0.0-rc.1")])
def test_equal_order(a: str, b: str) -> None:
    assert parse(a) == parse(b)
    assert hash(parse(a)) == hash(parse(b))


@pytest.mark.parametrize("text", ["", "v1", "1.", ".1", "01.2", "1..2", "1.0-", "1.0-a..b",
                                  "1.0+", "1.0.0\n", "1 .0", "1.0-ä", "../1", "1/2",
                                  "1" * 200])
def test_not_orderable(text: str) -> None:
    with pytest.raises(VersionError):
        parse(text)


numbers = st.lists(st.integers(0, 10**6), min_size=1, max_size=5)
idents = st.lists(st.one_of(st.integers(0, 999).map(str),
                            st.from_regex(r"[a-z][a-z0-9-]{0,5}", fullmatch=True)),
                  max_size=3)


def _text(release: list[int], pre: list[str]) -> str:
    return ".".join(map(str, release)) + ("-" + ".".join(pre) if pre else "")


@given(numbers, idents, numbers, idents)
def test_order_is_total_and_matches_tuples(r1: list[int], p1: list[str], r2: list[int],
                                           p2: list[str]) -> None:
    a, b = parse(_text(r1, p1)), parse(_text(r2, p2))
    assert (a < b) + (a == b) + (b < a) == 1
    if _strip(r1) != _strip(r2):
        assert (a < b) == (_strip(r1) < _strip(r2))
    elif bool(p1) != bool(p2):
        assert (a < b) == bool(p1)


def _strip(release: list[int]) -> tuple[int, ...]:
    """The release part without trailing zeros (they do not count)."""
    out = list(release)
    while len(out) > 1 and out[-1] == 0:
        out.pop()
    return tuple(out)


def test_version_keeps_its_text() -> None:
    v = parse("1.2.3-rc.1+meta")
    assert isinstance(v, Version)
    assert (v.text, v.release, v.pre) == ("1.2.3-rc.1+meta", (1, 2, 3), ("rc", 1))
