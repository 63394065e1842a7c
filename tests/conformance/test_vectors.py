"""Run the conformance vectors in spec/conformance/vectors.

Each vector folder holds ``vector.json`` (described by ``schemas/vector.schema.json``)
and the release: a ``release/`` folder, one ``release.<archive>`` file, or what its
``target`` names. The harness (``harness.py``) calls the entry point the vector's
``command`` names and compares ``ok``, the sorted set of distinct error and warning
codes, ``fatal`` and the optional ``expect.findings`` exactly. See
spec/conformance/README.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rebuildable import schema
from tests.conformance.harness import (
    SPEC,
    findings_problems,
    format_problems,
    judged_codes,
    load_vector,
    remote_vector_dirs,
    run_vector,
    vector_dirs,
)

LABEL = re.compile(r"\*\*\[([A-Z]+-[0-9]+)\]\*\*")


@pytest.mark.parametrize("folder", vector_dirs(), ids=lambda p: p.name)
def test_vector(folder: Path, tmp_path: Path) -> None:
    vector = load_vector(folder)
    assert not format_problems(vector), format_problems(vector)
    expect = vector["expect"]
    report = run_vector(folder, tmp_path)
    got = {"ok": report.ok, "codes": judged_codes(report)}
    want = {"ok": expect["ok"], "codes": sorted(set(expect["codes"]))}
    if "fatal" in expect:
        got["fatal"] = report.fatal
        want["fatal"] = expect["fatal"]
    details = "\n".join(f"  {f.severity.value} {f.code} "
                        f"{f.location.pointer if f.location else None}: {f.message}"
                        for f in report.findings)
    assert got == want, f"{vector['description']}\nfindings:\n{details}"
    problems = findings_problems(report, expect.get("findings", []))
    assert not problems, f"{vector['description']}\n{problems}\nfindings:\n{details}"
    # Every report, whatever the command, has the one public shape [REP-1].
    shape = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
             for e in schema.validator("report").iter_errors(report.to_dict())]
    assert not shape, f"report does not match report.schema.json: {shape}"


# -- the vectors themselves ------------------------------------------------------------

def _labels() -> dict[str, str]:
    """Every **[XXX-N]** label in spec/*.md -> the file that defines it."""
    out: dict[str, str] = {}
    for md in sorted(SPEC.glob("*.md")):
        for label in LABEL.findall(md.read_text("utf-8")):
            out.setdefault(label, md.name)
    return out


def test_vectors_exist() -> None:
    assert len(vector_dirs()) >= 60


def test_every_label_is_covered_by_a_vector() -> None:
    covered = {c for folder in [*vector_dirs(), *remote_vector_dirs()]
               for c in load_vector(folder).get("covers", [])}
    missing = sorted(set(_labels()) - covered)
    assert not missing, f"labelled requirements no vector covers: {missing}"


def test_vectors_cover_only_existing_labels() -> None:
    labels = _labels()
    for folder in vector_dirs():
        vector = load_vector(folder)
        assert vector.get("covers"), f"{folder.name}: covers nothing"
        unknown = [c for c in vector["covers"] if c not in labels]
        assert not unknown, f"{folder.name}: covers unknown labels {unknown}"


def test_vector_codes_are_registered() -> None:
    from rebuildable.codes import CODES

    for folder in vector_dirs():
        vector = load_vector(folder)
        for code in vector["expect"]["codes"]:
            assert code in CODES, f"{folder.name}: unknown code {code!r}"
            assert CODES[code].severity != "info" or code == "internal.error", (
                f"{folder.name}: {code} is info; vectors list only errors and warnings")
        for entry in vector["expect"].get("findings", []):
            assert entry["code"] in CODES, f"{folder.name}: unknown code {entry['code']!r}"
        assert vector["expect"]["codes"] == sorted(set(vector["expect"]["codes"])), (
            f"{folder.name}: codes must be sorted and distinct")
        assert folder.name == folder.name.lower(), folder.name


def test_labels_are_defined_once() -> None:
    """A label is bold exactly once, where it is defined; mentions use plain [XXX-N]."""
    counts: dict[str, list[str]] = {}
    for md in sorted(SPEC.glob("*.md")):
        for label in LABEL.findall(md.read_text("utf-8")):
            counts.setdefault(label, []).append(md.name)
    twice = {label: where for label, where in counts.items() if len(where) > 1}
    assert not twice, f"labels defined more than once: {twice}"
