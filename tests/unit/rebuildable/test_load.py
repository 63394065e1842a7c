"""Strict manifest loading: one meaning per document, located errors, bounded work."""

from __future__ import annotations

import math
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from rebuildable import schema
from rebuildable.dump import dump_yaml
from rebuildable.load import Limits, coerce_to_schema, load_manifest


def codes(raw: bytes, name: str = "rebuild.yaml", **limits: int) -> list[str]:
    result = load_manifest(raw, name, limits=Limits(**limits) if limits else None)
    return [f.code for f in result.findings]


def data_of(raw: bytes, name: str = "rebuild.yaml") -> Any:
    result = load_manifest(raw, name)
    assert result.document is not None, [f.message for f in result.findings]
    return result.document.data


def test_duplicate_key_in_yaml_is_refused_with_its_line() -> None:
    result = load_manifest(b"name: a\nversion: '1'\nname: b\n", "rebuild.yaml")
    (dup,) = [f for f in result.findings if f.code == "load.duplicate-key"]
    assert dup.location is not None
    assert (dup.location.line, dup.location.column, dup.location.pointer) == (3, 1, "/name")
    assert "first at line 1" in dup.message


def test_duplicate_key_in_json_is_refused_with_its_line() -> None:
    raw = b'{\n  "name": "a",\n  "x": {"k": 1,\n        "k": 2}\n}\n'
    result = load_manifest(raw, "rebuild.json")
    (dup,) = [f for f in result.findings if f.code == "load.duplicate-key"]
    assert dup.location is not None
    assert (dup.location.line, dup.location.pointer) == (4, "/x/k")


@pytest.mark.parametrize("name", ["rebuild.yaml", "rebuild.json"])
def test_keys_differing_only_in_case_are_refused(name: str) -> None:
    raw = b'{"run": "a", "Run": "b"}' if name.endswith("json") else b"run: a\nRun: b\n"
    assert "load.case-colliding-keys" in codes(raw, name)


def test_alias_is_refused_and_billion_laughs_stays_cheap() -> None:
    lol = b"a: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n".encode()
        for i in range(8)
    )
    found = codes(lol)
    assert "load.alias" in found


def test_merge_key_is_refused() -> None:
    assert "load.alias" in codes(b"base: &b {x: 1}\nother:\n  <<: *b\n")


@pytest.mark.parametrize(
    "doc",
    [
        b"x: !!python/object:os.system foo\n",
        b"x: !custom 1\n",
        b"x: !!int '3'\n",
        b"x: !!binary aGVsbG8=\n",
        b"x: !!set {a, b}\n",
    ],
)
def test_explicit_and_custom_tags_are_refused(doc: bytes) -> None:
    assert "load.tag" in codes(doc)


def test_explicit_str_tag_is_a_string() -> None:
    assert data_of(b"x: !!str 123\n") == {"x": "123"}


def test_yaml_12_core_schema_and_text_kept() -> None:
    doc = load_manifest(
        b"a: 1.10\nb: no\nc: 0123\nd: 0x1F\ne: ~\nf: true\ng: 1e3\nh: yes\n", "rebuild.yaml"
    ).document
    assert doc is not None
    assert doc.data == {"a": 1.1, "b": "no", "c": 123, "d": 31, "e": None, "f": True,
                        "g": 1000.0, "h": "yes"}
    assert doc.plain_text["/a"] == "1.10"
    assert doc.plain_text["/c"] == "0123"


def test_version_and_all_digit_digest_keep_their_text_where_the_schema_wants_strings() -> None:
    raw = (
        b"spec: rebuildable/0.1\nname: x\nversion: 1.10\nartifacts:\n"
        b"  - id: a\n    path: a\n    kind: other\n    size: 12\n"
        b"    digest: {sha256: 0000000000000000000000000000000000000000000000000000000000000123}\n"
    )
    result = load_manifest(raw, "rebuild.yaml")
    doc = result.document
    assert doc is not None
    notes = coerce_to_schema(doc, schema.wants_string)
    assert doc.data["version"] == "1.10"
    assert doc.data["artifacts"][0]["digest"]["sha256"] == "0" * 61 + "123"
    assert doc.data["artifacts"][0]["size"] == 12  # an integer field stays an integer
    assert {n.code for n in notes} == {"load.unquoted-string"}


def test_yaml_11_booleans_kept_as_strings_get_a_note() -> None:
    assert "load.unquoted-string" in codes(b"name: no\n")


def test_bom_is_dropped_with_a_warning() -> None:
    result = load_manifest(b"\xef\xbb\xbfname: x\n", "rebuild.yaml")
    assert [f.code for f in result.findings] == ["load.bom"]
    assert result.document is not None
    assert result.document.data == {"name": "x"}


def test_invalid_utf8_is_located() -> None:
    result = load_manifest(b"name: ok\nbad: \xff\xfe\n", "rebuild.yaml")
    (f,) = result.findings
    assert f.code == "load.encoding"
    assert f.location is not None
    assert (f.location.line, f.location.column) == (2, 6)
    assert result.document is None


def test_utf16_is_refused() -> None:
    assert codes("name: x\n".encode("utf-16")) == ["load.encoding"]


def test_nul_is_refused() -> None:
    assert codes(b"name: a\x00b\n") == ["load.encoding"]


def test_size_bound() -> None:
    assert codes(b"name: " + b"x" * 100 + b"\n", max_bytes=50) == ["load.too-large"]


@pytest.mark.parametrize("name", ["rebuild.yaml", "rebuild.json"])
def test_depth_bound(name: str) -> None:
    raw = b"[" * 100 + b"]" * 100
    assert "load.too-deep" in codes(raw, name, max_depth=64)


def test_libyaml_depth_limit_is_a_finding_not_a_crash() -> None:
    assert "load.too-deep" in codes(b"[" * 20000 + b"]" * 20000)


def test_multiple_documents_refused() -> None:
    assert codes(b"a: 1\n---\nb: 2\n") == ["load.multiple-documents"]


def test_syntax_error_is_located() -> None:
    result = load_manifest(b"a: [1, 2\nb: 3\n", "rebuild.yaml")
    (f,) = result.findings
    assert f.code == "load.syntax"
    assert f.location is not None
    assert f.location.line is not None


def test_json_syntax_error_is_located() -> None:
    result = load_manifest(b'{"a": 1,\n "b": }', "rebuild.json")
    (f,) = result.findings
    assert f.code == "load.syntax"
    assert f.location is not None
    assert f.location.line == 2


@pytest.mark.parametrize("raw", [b'{"a": NaN}', b'{"a": Infinity}', b'{"a": -Infinity}'])
def test_json_non_finite_numbers_refused(raw: bytes) -> None:
    """Reported like 1e999 and YAML's .inf, located, and not fatal [LOAD-10]."""
    result = load_manifest(raw, "rebuild.json")
    assert result.document is not None
    found = [(f.code, f.location.pointer if f.location else None)
             for f in coerce_to_schema(result.document, lambda p: False)]
    assert found == [("load.number-range", "/a")]


def test_numbers_beyond_ijson_are_findings() -> None:
    result = load_manifest(b"size: 9007199254740993\nx: .inf\n", "rebuild.yaml")
    doc = result.document
    assert doc is not None
    found = [f.code for f in coerce_to_schema(doc, lambda p: False)]
    assert found == ["load.number-range", "load.number-range"]


def test_top_level_must_be_a_mapping() -> None:
    assert codes(b"- a\n- b\n") == ["load.not-a-mapping"]
    assert codes(b"[1]", "rebuild.json") == ["load.not-a-mapping"]
    assert codes(b"") == ["load.not-a-mapping"]


def test_json_pointer_location_of_deep_member() -> None:
    raw = b'{"artifacts": [\n {"id": "a"},\n {"id": "b", "digest": {"sha256": "x"}}\n]}'
    doc = load_manifest(raw, "rebuild.json").document
    assert doc is not None
    loc = doc.locate("/artifacts/1/digest/sha256")
    assert (loc.line, loc.column) == (3, 25)
    # A pointer that does not exist falls back to its nearest parent.
    assert doc.locate("/artifacts/1/nope").line == 3


def test_yaml_pointer_location_of_keys_with_slash_and_tilde() -> None:
    doc = load_manifest(b"x:\n  a/b~c: 1\n", "rebuild.yaml").document
    assert doc is not None
    assert doc.locate("/x/a~1b~0c").line == 2


# --------------------------------------------------------------------------- properties

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not math.isinf(f)),
    st.text(max_size=20),
    st.sampled_from(["1.10", "no", "yes", "0123", "0o17", "0x1f", "~", "null", "1_000", ".inf",
                     "2024-01-01", "-", "", " lead", "trail ", "a: b", "# c", "'q'", "\"d\""]),
)
_keys = st.text(min_size=1, max_size=12)


def _unique_casefold(d: dict[str, Any]) -> bool:
    return len({k.casefold() for k in d}) == len(d)


_values = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(_keys, children, max_size=4).filter(_unique_casefold),
    ),
    max_leaves=20,
)
_documents = st.dictionaries(_keys, _values, max_size=6).filter(_unique_casefold)


def _printable(value: Any) -> bool:
    # YAML cannot carry every code point plainly (e.g. lone surrogates); skip those texts.
    if isinstance(value, str):
        return all(c.isprintable() or c in "\n\t" for c in value) and "\x85" not in value
    if isinstance(value, dict):
        return all(_printable(k) and _printable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_printable(v) for v in value)
    return True


@settings(max_examples=60, deadline=None)
@given(_documents.filter(_printable))
def test_load_dump_load_is_stable(data: dict[str, Any]) -> None:
    text = dump_yaml(data)
    first = load_manifest(text.encode(), "rebuild.yaml")
    assert first.document is not None, [f.message for f in first.findings]
    assert first.document.data == data
    assert not [f for f in first.findings if f.severity.value == "error"]
    again = load_manifest(dump_yaml(first.document.data).encode(), "rebuild.yaml")
    assert again.document is not None
    assert again.document.data == data
    # Any YAML 1.1 reader sees the same data too: no surprises for other tools.
    assert yaml.safe_load(text) == data


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    for name in ("rebuild.yaml", "rebuild.json"):
        result = load_manifest(raw, name)
        assert result.document is not None or result.findings


def test_alias_of_a_scalar_is_refused() -> None:
    assert "load.alias" in codes(b"name: &n minimal\ndescription: *n\n")
