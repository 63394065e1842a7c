"""Fuzzing the manifest loader (YAML and JSON) and the schema stage behind it: whatever
the bytes, loading returns findings with registered codes, never raises, never hangs."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings

from rebuildable.codes import CODES
from rebuildable.ignore import parse_ignore
from rebuildable.load import Limits, coerce_to_schema, load_manifest
from tests.fuzz.mutate import VALUE_TOKENS, bounded_time, check_codes, examples, mutated

YAML_SEED = b"""spec: rebuildable/0.1
name: tiny
version: "1.0"
license: Apache-2.0
x-note: {a: [1, 2.5, true, null, ~, 0x1f, 0o17, .inf]}
artifacts:
  - id: weights
    path: model/w.safetensors
    kind: weights
    digest: {sha256: "00112233"}
    size: 12
steps:
  - id: train
    run: python train.py
    inputs: [weights]
    outputs: [weights]
"""
JSON_SEED = json.dumps({"spec": "rebuildable/0.1", "name": "tiny", "version": "1.0",
                        "artifacts": [{"id": "w", "path": "w.bin", "size": 3,
                                       "digest": {"sha256": "ab"}}],
                        "x-n": [1, 2.5, True, None, "s\\u00e9"]}).encode()
#: half the seeds carry value slots, so the value tokens are met often
SEEDS = {"rebuild.yaml": (YAML_SEED, b"a: 1\n", b"- [x]\n", b"version: @@\nx: [@@]\n",
                          YAML_SEED.replace(b"size: 12", b"size: @@"), b"x: {a: @@}\n"),
         "rebuild.json": (JSON_SEED, b"[1]", b'{"a": {"b": [1, 2]}}', b'{"x": @@}',
                          b'{"x": [1, @@]}', JSON_SEED.replace(b'"size": 3', b'"size": @@'))}


def registered(code: str) -> bool:
    return code in CODES


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_loading_mutated_manifests_gives_findings_never_exceptions(name: str) -> None:
    @settings(suppress_health_check=[HealthCheck.too_slow])
    @given(data=mutated(SEEDS[name], slot_tokens=VALUE_TOKENS))
    def run(data: bytes) -> None:
        with bounded_time("load_manifest"):
            result = load_manifest(data, name, limits=Limits(max_bytes=1 << 20, max_depth=32))
            found = list(result.findings)
            if result.document is not None:
                found += coerce_to_schema(result.document, lambda p: p.endswith("/version"))
        check_codes([f.code for f in found], registered)
        if result.document is None:
            assert found, "a refused manifest must say why"
        for f in found:
            assert f.location is not None
            assert f.location.file == name

    run()


IGNORE_SEED = (b"# comment\nbuild/\n*.pyc\n!keep.pyc\n/top.txt\n**/cache/**\n[a-z]*.log\n"
               b"\\#literal\n*a*a*a*b\n")


@settings(max_examples=examples(100), suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated([IGNORE_SEED]))
def test_mutated_ignore_files_are_patterns_or_problems_never_exceptions(data: bytes) -> None:
    """.rebuildignore comes from the release too: parsed or refused line by line (or as a
    whole), never an exception, and matched in bounded time."""
    with bounded_time("parse_ignore and matching"):
        parsed = parse_ignore(data)
        if parsed.spec is not None:
            for path in ("build/x.o", "a/b/c.pyc", "a" * 250, "x/cache/y", "top.txt"):
                parsed.spec.match_file(path)
    assert parsed.spec is not None or parsed.problems
