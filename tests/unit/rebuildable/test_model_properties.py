"""Properties of the manifest model and of the engine on generated, valid releases."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rebuildable import schema
from rebuildable.dump import dump_yaml
from rebuildable.engine import validate
from rebuildable.findings import Severity
from rebuildable.load import coerce_to_schema, load_manifest
from rebuildable.model import Manifest
from tests.support import make_release

_ids = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,8}", fullmatch=True)
_hex = st.text("0123456789abcdef", min_size=64, max_size=64)


@st.composite
def manifests(draw: st.DrawFn) -> dict[str, Any]:
    ids = draw(st.lists(_ids, min_size=1, max_size=6, unique=True))
    artifacts: list[dict[str, Any]] = []
    for i, ident in enumerate(ids):
        art: dict[str, Any] = {"id": ident, "kind": draw(st.sampled_from(["other", "config"]))}
        if draw(st.booleans()):
            art["path"] = f"files/{i}.bin"
        else:
            art["uri"] = f"https://example.org/{i}"
        art["digest"] = {"sha256": draw(_hex)}
        if draw(st.booleans()):
            art["size"] = draw(st.integers(0, 2**40))
        if draw(st.booleans()):
            art["x-note"] = draw(st.text(max_size=10))
        artifacts.append(art)
    data: dict[str, Any] = {
        "spec": "rebuildable/0.1",
        "name": draw(st.text(min_size=1, max_size=10)),
        "version": draw(st.sampled_from(["1.10", "0.1.0", "2024.01", "1", "v3"])),
        "artifacts": artifacts,
    }
    if draw(st.booleans()):
        data["profile"] = draw(st.sampled_from(["generic", ["software", "generic"]]))
    if len(ids) > 1 and draw(st.booleans()):
        data["steps"] = [{"id": "build", "run": "make", "inputs": ids[:-1], "outputs": [ids[-1]]}]
    return data


@settings(max_examples=80, deadline=None)
@given(manifests())
def test_model_round_trips_through_yaml(data: dict[str, Any]) -> None:
    loaded = load_manifest(dump_yaml(data).encode(), "rebuild.yaml")
    assert loaded.document is not None
    coerce_to_schema(loaded.document, schema.wants_string)
    assert loaded.document.data == data
    model = Manifest.from_data(loaded.document.data)
    assert model.to_dict() == data
    assert Manifest.from_data(model.to_dict()) == model


@settings(max_examples=80, deadline=None)
@given(manifests())
def test_generated_manifests_pass_the_schema(data: dict[str, Any]) -> None:
    loaded = load_manifest(dump_yaml(data).encode(), "rebuild.yaml")
    assert loaded.document is not None
    assert schema.schema_findings(loaded.document) == []


@st.composite
def releases(draw: st.DrawFn) -> tuple[dict[str, bytes], list[dict[str, Any]]]:
    n = draw(st.integers(1, 6))
    files = {f"d{i % 2}/f{i}.dat": draw(st.binary(max_size=64)) for i in range(n)}
    names = list(files)
    steps: list[dict[str, Any]] = []
    if n > 1:
        cut = draw(st.integers(1, n - 1))
        steps.append({"id": "make", "run": "true", "inputs": [_id(p) for p in names[:cut]],
                      "outputs": [_id(p) for p in names[cut:]]})
    return files, steps


def _id(path: str) -> str:
    from tests.support import artifact_id

    return artifact_id(path)


@settings(max_examples=40, deadline=None)
@given(releases())
def test_generated_valid_releases_validate(release: tuple[dict[str, bytes], list[dict[str, Any]]]
                                           ) -> None:
    files, steps = release
    with tempfile.TemporaryDirectory() as tmp:
        root = make_release(Path(tmp) / "r", files, steps or None)
        report = validate(root)
        errors = [f for f in report.findings if f.severity is Severity.ERROR]
        assert errors == [], [f.message for f in errors]
        assert report.ok
