"""The registry's version order (spec/registry.md): numbers, then SemVer pre-releases."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebuildable.registry.versions import Version, VersionError, parse
from tests.support import SPEC

#: the order as data, for any implementation (SemVer 2.0.0's own example of precedence,
#: then numeric release parts)
VECTORS = json.loads((SPEC / "conformance" / "registry-versions.json").read_text("utf-8"))
ORDERED: list[str] = VECTORS["ordered"]


def test_order_follows_the_spec() -> None:
    versions = [parse(v) for v in ORDERED]
    assert sorted(ORDERED[1::2] + ORDERED[::2], key=parse) == ORDERED
    for a, b in itertools.pairwise(versions):
        assert a < b, (a.text, b.text)


@pytest.mark.parametrize(("a", "b"), VECTORS["equal"])
def test_equal_order(a: str, b: str) -> None:
    assert parse(a) == parse(b)
    assert hash(parse(a)) == hash(parse(b))


@pytest.mark.parametrize("text", [*VECTORS["invalid"], "1" * 200])
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
