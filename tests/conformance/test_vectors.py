"""Run the conformance vectors in spec/conformance/vectors.

Each vector folder holds ``vector.json`` and either a ``release/`` folder or one
``release.<ext>`` archive. The runner calls the entry point the vector's ``command``
names (``validate`` by default) and compares ``ok`` and the sorted set of distinct
error and warning codes exactly. A vector whose command has no runner fails: add the
runner to :data:`COMMANDS`. See spec/conformance/README.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from rebuildable import schema
from rebuildable.context import Options
from rebuildable.engine import validate
from rebuildable.load import Limits
from rebuildable.report import Report
from tests.support import PROBLEMS, codes
from tests.support.paths import ROOT

VECTORS = ROOT / "spec" / "conformance" / "vectors"
SPEC = ROOT / "spec"
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip")
VECTOR_KEYS = {"description", "covers", "options", "expect", "command", "refresh_digests",
               "notes", "rebuild"}
#: what a rebuild vector's "rebuild" object may set (RebuildOptions fields)
REBUILD_KEYS = {"timeout", "twice", "step", "isolation", "max_output_size", "sample", "seed"}
EXPECT_KEYS = {"ok", "codes", "fatal"}
LABEL = re.compile(r"\*\*\[([A-Z]+-[0-9]+)\]\*\*")


def _vector_dirs() -> list[Path]:
    if not VECTORS.is_dir():
        return []
    return sorted(p for p in VECTORS.iterdir() if (p / "vector.json").is_file())


def _load(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "vector.json").read_text("utf-8"))
    return data


def release_target(folder: Path) -> Path:
    """The vector's release: ``release/`` or the single ``release.<archive>`` file."""
    candidates = [folder / "release"] if (folder / "release").is_dir() else []
    candidates += [p for p in folder.iterdir()
                   if p.is_file() and p.name.startswith("release.")
                   and p.name.endswith(ARCHIVE_SUFFIXES)]
    assert len(candidates) == 1, f"{folder.name}: need exactly one release/ or release.<archive>"
    return candidates[0]


# -- options: vector.json keys to Options fields (paths are relative to the vector) ----

def _paths(folder: Path, value: Any) -> tuple[Path, ...]:
    items = value if isinstance(value, list) else [value]
    return tuple(folder / str(v) for v in items)


OPTION_CONVERTERS: dict[str, Callable[[Path, Any], Any]] = {
    "limits": lambda folder, v: Limits(**v),
    "upstream_dirs": _paths,
    "trust": lambda folder, v: folder / str(v),
    "keys": lambda folder, v: tuple(p.read_bytes() for p in _paths(folder, v)),
    "require": lambda folder, v: frozenset(v),
}


def _as_is(folder: Path, value: Any) -> Any:
    return value


def build_options(folder: Path, raw: dict[str, Any]) -> Options:
    known = {f.name for f in fields(Options)}
    unknown = set(raw) - known
    assert not unknown, f"{folder.name}: unknown option(s) {sorted(unknown)}"
    kwargs = {k: OPTION_CONVERTERS.get(k, _as_is)(folder, v) for k, v in raw.items()}
    # Vectors never draw progress and keep to the default worker count.
    return Options(**kwargs)


# -- commands: other entry points register a runner here ------------------------------

def _run_validate(target: Path, options: Options, vector: dict[str, Any]) -> Report:
    return validate(target, options)


def _run_rebuild(target: Path, options: Options, vector: dict[str, Any]) -> Report:
    """``"command": "rebuild"``: vector.json's ``"rebuild"`` object sets RebuildOptions."""
    from rebuildable.api import rebuild
    from rebuildable.rebuild import RebuildOptions

    extra = dict(vector.get("rebuild", {}))
    unknown = sorted(set(extra) - REBUILD_KEYS)
    assert not unknown, f"unknown rebuild option(s) {unknown}"
    # Vectors' steps are tiny shell commands; 60 s bounds a broken one.
    extra.setdefault("timeout", 60.0)
    return rebuild(target, RebuildOptions(strict=options.strict,
                                          upstream_dirs=options.upstream_dirs, **extra))


def _run_verify(target: Path, options: Options, vector: dict[str, Any]) -> Report:
    """``"command": "verify"``: the signature check alone (``rebuildable verify``)."""
    from rebuildable.api import verify

    return verify(target, options)


Runner = Callable[[Path, Options, dict[str, Any]], Report]
COMMANDS: dict[str, Runner] = {"validate": _run_validate, "rebuild": _run_rebuild,
                               "verify": _run_verify}


@pytest.mark.parametrize("folder", _vector_dirs(), ids=lambda p: p.name)
def test_vector(folder: Path) -> None:
    vector = _load(folder)
    assert set(vector) <= VECTOR_KEYS, f"unknown keys {sorted(set(vector) - VECTOR_KEYS)}"
    expect = vector["expect"]
    assert set(expect) <= EXPECT_KEYS, f"unknown expect keys {sorted(set(expect) - EXPECT_KEYS)}"
    command = vector.get("command", "validate")
    runner = COMMANDS.get(command)
    assert runner is not None, f"no conformance runner for command {command!r}"
    options = build_options(folder, vector.get("options", {}))
    report = runner(release_target(folder), options, vector)
    got = {"ok": report.ok, "codes": sorted(set(codes(report, *PROBLEMS)))}
    want = {"ok": expect["ok"], "codes": sorted(set(expect["codes"]))}
    if "fatal" in expect:
        got["fatal"] = report.fatal
        want["fatal"] = expect["fatal"]
    details = "\n".join(f"  {f.severity.value} {f.code}: {f.message}" for f in report.findings)
    assert got == want, f"{vector['description']}\nfindings:\n{details}"
    # Every report, whatever the command, has the one public shape [REP-1].
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                for e in schema.validator("report").iter_errors(report.to_dict())]
    assert not problems, f"report does not match report.schema.json: {problems}"


# -- the vectors themselves ------------------------------------------------------------

def _labels() -> dict[str, str]:
    """Every **[XXX-N]** label in spec/*.md -> the file that defines it."""
    out: dict[str, str] = {}
    for md in sorted(SPEC.glob("*.md")):
        for label in LABEL.findall(md.read_text("utf-8")):
            out.setdefault(label, md.name)
    return out


def test_vectors_exist() -> None:
    assert len(_vector_dirs()) >= 60


def _remote_vector_dirs() -> list[Path]:
    """Remote-integrity vectors (spec/remote.md), run by
    tests/conformance/test_remote_vectors.py."""
    base = VECTORS.parent / "remote"
    return sorted(p for p in base.iterdir() if (p / "vector.json").is_file()) \
        if base.is_dir() else []


def test_every_label_is_covered_by_a_vector() -> None:
    covered = {c for folder in [*_vector_dirs(), *_remote_vector_dirs()]
               for c in _load(folder).get("covers", [])}
    missing = sorted(set(_labels()) - covered)
    assert not missing, f"labelled requirements no vector covers: {missing}"


def test_vectors_cover_only_existing_labels() -> None:
    labels = _labels()
    for folder in _vector_dirs():
        vector = _load(folder)
        assert vector.get("covers"), f"{folder.name}: covers nothing"
        unknown = [c for c in vector["covers"] if c not in labels]
        assert not unknown, f"{folder.name}: covers unknown labels {unknown}"


def test_vector_codes_are_registered() -> None:
    from rebuildable.codes import CODES

    for folder in _vector_dirs():
        vector = _load(folder)
        for code in vector["expect"]["codes"]:
            assert code in CODES, f"{folder.name}: unknown code {code!r}"
            assert CODES[code].severity != "info" or code == "internal.error", (
                f"{folder.name}: {code} is info; vectors list only errors and warnings")
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
