"""The fast loading paths (clean documents) agree with the strict ones exactly: the same
data, the same plain-scalar texts, the same location for every key and item; and they
give way to the strict loader on anything it must judge."""

from __future__ import annotations

from typing import Any

import pytest

from rebuildable.load import Document, Limits
from rebuildable.load.json import _UNCLEAN, _clean_json, _strict_json
from rebuildable.load.yaml import HAVE_LIBYAML, _strict_yaml
from rebuildable.load.yaml_events import load_clean_yaml

pytestmark = pytest.mark.skipif(not HAVE_LIBYAML, reason="pyyaml built without libyaml")

CLEAN_YAML = """\
spec: rebuildable/0.1
name: "tïny"
version: 1.10
empty:
artifacts:
  - id: a
    path: src/é.py
    digest: {sha256: "ab"}
    size: 12
    license: MIT
  - {id: b, uri: 'https://x.org/b', size: 0x10, flag: true, none: ~}
  - id: c
    x-odd/key~: [1, 2.5, -3, "4", [], {}]
    text: |
      two
      lines
steps:
  - id: s
    inputs: [a, b]
"""

CLEAN_JSON = """{
  "spec": "rebuildable/0.1", "name": "t\\u00efny", "version": "1.10",
  "artifacts": [
    {"id": "a", "path": "src/x.py", "digest": {"sha256": "ab"}, "size": 12},
    {"id": "b", "x-odd/key~": [1, 2.5, -3, null, true, [], {}]}
  ],
  "steps": [{"id": "s", "inputs": ["a", "b"]}]
}"""


def _pointers(value: Any, pointer: str = "") -> list[str]:
    out = [pointer]
    if isinstance(value, dict):
        for k, v in value.items():
            token = k.replace("~", "~0").replace("/", "~1")
            out += _pointers(v, f"{pointer}/{token}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _pointers(v, f"{pointer}/{i}")
    return out


def test_clean_yaml_matches_the_strict_loader() -> None:
    fast = load_clean_yaml(CLEAN_YAML, 64)
    strict, findings = _strict_yaml(CLEAN_YAML, "rebuild.yaml", Limits())
    assert fast is not None
    assert strict is not None
    assert findings == []
    data, plain_text, positions = fast
    assert data == strict.data
    assert plain_text == strict.plain_text
    doc = Document("rebuild.yaml", "yaml", data, plain_text=plain_text)
    doc._locator = positions.locate
    for pointer in _pointers(data):
        assert doc.position(pointer) == strict.position(pointer), pointer


def test_clean_json_matches_the_strict_loader() -> None:
    strict, findings = _strict_json(CLEAN_JSON, "rebuild.json", Limits())
    assert strict is not None
    assert findings == []
    assert _clean_json(CLEAN_JSON, Limits()) == strict.data


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # repeated key
        "a: 1\nA: 2\n",  # keys differ only in case
        "a: &x 1\nb: *x\n",  # anchor and alias
        "a: !!str 1\n",  # tag
        "base: {a: 1}\nb:\n  <<: {c: 2}\n",  # merge key
        "? [a]\n: 1\n",  # complex key
        "a: yes\n",  # read as a boolean by YAML 1.1
        "a: 1\n---\nb: 2\n",  # two documents
        "- a\n",  # not a mapping
        "a: [1, 2\n",  # syntax error
        "a: " + "[" * 70 + "]" * 70 + "\n",  # deep
    ],
)
def test_yaml_fast_path_gives_way(text: str) -> None:
    assert load_clean_yaml(text, 64) is None


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 2}',
        '{"a": 1, "A": 2}',
        '{"a": NaN}',
        '{"a": 1e999}',
        '{"a": 9007199254740993}',
        '{"a": ' + "[" * 70 + "]" * 70 + "}",
        '{"a": [1, 2}',
    ],
)
def test_json_fast_path_gives_way(text: str) -> None:
    assert _clean_json(text, Limits()) is _UNCLEAN


@pytest.mark.parametrize("text", ["a: 9007199254740993\n", "a: .inf\n", "a: .NaN\n"])
def test_yaml_fast_path_leaves_number_range_to_the_strict_loader(text: str) -> None:
    assert load_clean_yaml(text, 64) is None
