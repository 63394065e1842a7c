"""Schema errors become located findings with stable codes and the subject's id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rebuildable import schema
from rebuildable.engine import Options, validate
from rebuildable.findings import Finding
from rebuildable.load import coerce_to_schema, load_manifest
from tests.support import make_release

BASE = (
    "spec: rebuildable/0.1\nname: demo\nversion: '1'\nartifacts:\n"
    "  - id: a\n    path: a.txt\n    kind: other\n    digest: {sha256: '%s'}\n" % ("0" * 64)
)


def findings(text: str, name: str = "rebuild.yaml") -> list[Finding]:
    result = load_manifest(text.encode(), name)
    assert result.document is not None
    coerce_to_schema(result.document, schema.wants_string)
    return schema.schema_findings(result.document)


def test_valid_base_has_no_schema_findings() -> None:
    assert findings(BASE) == []


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        (BASE.replace("name: demo\n", ""), "schema.missing-field", 1),
        (BASE + "colour: red\n", "schema.unknown-field", 9),
        (BASE.replace("kind: other", "kind: [other]"), "schema.wrong-type", 7),
        (BASE.replace("id: a", "id: A!"), "schema.invalid-value", 5),
        (BASE.replace("artifacts:\n", "artifacts: []\nx-old:\n"), "schema.invalid-value", 4),
        (BASE.replace("    path: a.txt\n", ""), "schema.missing-field", 5),
    ],
)
def test_schema_errors_map_to_codes_and_lines(text: str, code: str, line: int) -> None:
    found = findings(text)
    assert code in {f.code for f in found}, [f.message for f in found]
    f = next(f for f in found if f.code == code)
    assert f.location is not None
    assert f.location.line == line


def test_unknown_field_with_case_typo_gets_a_hint() -> None:
    found = findings(BASE.replace("    kind: other\n", "    kind: other\n    Size: 3\n"))
    (f,) = found
    assert f.code == "schema.unknown-field"
    assert f.artifact == "a"
    assert f.hint is not None
    assert "'size'" in f.hint


def test_extension_fields_are_allowed_everywhere() -> None:
    text = BASE + "x-team: core\n"
    text = text.replace("    kind: other\n", "    kind: other\n    x-note: hi\n")
    assert findings(text) == []


def test_path_and_uri_together_or_neither() -> None:
    both = findings(BASE.replace("    path: a.txt\n", "    path: a.txt\n    uri: https://x/y\n"))
    assert [f.code for f in both] == ["schema.invalid-value"]
    neither = findings(BASE.replace("    path: a.txt\n", ""))
    assert [f.code for f in neither] == ["schema.missing-field"]
    assert "'path'" in neither[0].message


def test_spec_version_must_be_supported(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"a.txt": b"a"}, spec="rebuildable/9.9")
    report = validate(root, Options(hash_files=False))
    (f,) = [f for f in report.findings if f.code == "schema.unsupported-spec"]
    assert f.location is not None
    assert f.location.pointer == "/spec"
    assert not report.ok


def test_json_manifest_positions() -> None:
    text = (
        '{"spec": "rebuildable/0.1", "name": "d", "version": 1,\n'
        ' "artifacts": [{"id": "a", "path": "a", "kind": "other", "digest": {"sha256": "x"}}]}'
    )
    found = findings(text, "rebuild.json")
    (f,) = found
    assert f.code == "schema.wrong-type"  # JSON has explicit types: 1 is not "1"
    assert f.location is not None
    assert (f.location.line, f.location.pointer) == (1, "/version")


def test_wants_string_follows_refs_and_arrays() -> None:
    assert schema.wants_string("/version")
    assert schema.wants_string("/artifacts/7/digest/sha256")
    assert schema.wants_string("/steps/0/inputs/3")
    assert schema.wants_string("/profile")
    assert schema.wants_string("/profile/1")
    assert not schema.wants_string("/artifacts/0/size")
    assert not schema.wants_string("/steps/0/equivalence/w/numeric/rtol")
    assert not schema.wants_string("/x-anything")


def test_every_shipped_schema_is_valid_and_has_an_id() -> None:
    from importlib import resources

    folder = resources.files("rebuildable").joinpath("schemas")
    names = [e.name for e in folder.iterdir() if e.name.endswith(".schema.json")]
    assert "manifest.schema.json" in names
    assert "report.schema.json" in names
    for name in names:
        data: dict[str, Any] = schema.load_schema(name.removesuffix(".schema.json"))
        assert data["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert data["$id"].startswith("https://rebuildable.dev/schemas/")
        schema.validator(name.removesuffix(".schema.json"))
