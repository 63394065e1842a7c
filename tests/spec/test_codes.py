"""spec/codes.json is the source of finding codes; codes.py and codes.md must not go stale."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from types import ModuleType

import pytest
from jsonschema import Draft202012Validator

from rebuildable.codes import CODES
from tests.support.paths import ROOT


def _registry() -> dict[str, object]:
    data: dict[str, object] = json.loads((ROOT / "spec" / "codes.json").read_text("utf-8"))
    return data


def test_generated_files_are_fresh() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_codes.py"), "--check"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr + " (run: python scripts/gen_codes.py)"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_codes", ROOT / "scripts" / "gen_codes.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_codes"] = module  # dataclasses and the like look their module up
    spec.loader.exec_module(module)
    return module


def test_a_new_code_reaches_both_generated_files() -> None:
    gen = _generator()
    data = gen.load()
    data["codes"].append({"code": "internal.example", "area": "internal", "name": "example",
                          "severity": "info", "title": "An example"})
    rendered = gen.outputs(data)
    assert set(rendered) == {ROOT / "src" / "rebuildable" / "codes.py", ROOT / "spec" / "codes.md"}
    assert all("internal.example" in text for text in rendered.values())


@pytest.mark.parametrize(("field", "value", "message"), [
    ("code", "release.not-found", "registered twice"),
    ("severity", "fatal", "unknown severity"),
    ("title", "Ends with a stop.", "final full stop"),
    ("area", "nowhere", "does not equal"),
])
def test_generator_refuses_a_broken_registry(field: str, value: str, message: str) -> None:
    gen = _generator()
    data = gen.load()
    data["codes"][-1][field] = value
    with pytest.raises(gen.RegistryError, match=message):
        gen.check(data)


def test_registry_matches_its_schema() -> None:
    schema = json.loads((ROOT / "schemas" / "codes.schema.json").read_text("utf-8"))
    errors = list(Draft202012Validator(schema).iter_errors(_registry()))
    assert errors == [], [e.message for e in errors]


def test_registry_and_module_agree() -> None:
    entries = _registry()["codes"]
    assert isinstance(entries, list)
    assert [e["code"] for e in entries] == list(CODES)
    for entry in entries:
        code = CODES[entry["code"]]
        assert (code.area, code.name, code.severity, code.title, code.hint) == (
            entry["area"], entry["name"], entry["severity"], entry["title"], entry.get("hint"))


def test_every_code_has_an_anchor() -> None:
    text = (ROOT / "spec" / "codes.md").read_text("utf-8")
    anchors = re.findall(r'<a id="([^"]+)"></a>', text)
    assert sorted(anchors) == sorted(CODES)


def test_codes_are_dotted_lowercase_with_known_severity() -> None:
    for code, spec in CODES.items():
        assert re.fullmatch(r"[a-z0-9-]+\.[a-z0-9-]+", code), code
        assert spec.severity in ("error", "warning", "info"), code
        assert spec.title, code
        assert not spec.title.endswith("."), code
