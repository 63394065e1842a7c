"""Broken twins of the adapter and dataset examples: each breaks one rule of its profile
(or of the upstream chain) and must be caught with that rule's code."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from rebuildable.engine import Options, validate
from rebuildable.findings import Severity
from tests.support.paths import EXAMPLES


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(EXAMPLES / name, target, symlinks=True)
    return target


def _errors(root: Path, **options: object) -> set[str]:
    report = validate(root, Options(**options))  # type: ignore[arg-type]
    return {f.code for f in report.findings if f.severity is Severity.ERROR}


def _retrain_base_quietly(root: Path) -> None:
    # Someone edits the base release after the adapter pinned it.
    _edit(root / "upstream/base/rebuild.yaml", "description:", "x-edited: true\ndescription:")


def _drop_base_pin(root: Path) -> None:
    manifest = root / "rebuild.yaml"
    text = manifest.read_text(encoding="utf-8")
    start, end = text.index("upstream:\n"), text.index("artifacts:\n")
    manifest.write_text(text[:start] + text[end:], encoding="utf-8")


BREAKS: dict[str, tuple[str, Callable[[Path], None], str]] = {
    "adapter-base-changed-after-pinning": (
        "adapter-lora-tiny", _retrain_base_quietly, "upstream.digest-mismatch"),
    "adapter-without-its-base": ("adapter-lora-tiny", _drop_base_pin, "profile.no-base"),
}


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_broken_adapter_twins_are_caught(tmp_path: Path, case: str) -> None:
    name, break_it, code = BREAKS[case]
    root = _copy(tmp_path, name)
    assert _errors(root) == set()
    break_it(root)
    assert code in _errors(root)


def test_dataset_whose_raw_data_is_not_pinned_is_caught(tmp_path: Path) -> None:
    root = _copy(tmp_path, "dataset-reviews-clean")
    manifest = root / "rebuild.yaml"
    text = manifest.read_text(encoding="utf-8")
    # The raw crawl is no longer shipped but fetched from the web, pinned by md5 only.
    _edit(manifest, "    path: raw/reviews-2025-06.jsonl\n",
          "    uri: https://reviews.example.org/crawl/2025-06.jsonl\n")
    digest = text.split("id: raw-crawl", 1)[1].split("digest: ", 1)[1].split("\n", 1)[0]
    _edit(manifest, digest, '{md5: "0123456789abcdef0123456789abcdef"}')
    (root / "raw/reviews-2025-06.jsonl").unlink()
    found = _errors(root)
    assert "completeness.unpinned-source" in found
    assert "integrity.weak-only" in found


def test_dataset_whose_derived_data_is_declared_a_source_is_caught(tmp_path: Path) -> None:
    root = _copy(tmp_path, "dataset-reviews-clean")
    manifest = root / "rebuild.yaml"
    text = manifest.read_text(encoding="utf-8")
    # Drop the steps: the derived split now claims to be a source of itself.
    manifest.write_text(text[: text.index("steps:")], encoding="utf-8")
    assert "profile.no-derived-data" in _errors(root)


def test_generic_example_with_an_undeclared_input_fails_to_rebuild(tmp_path: Path) -> None:
    from rebuildable.api import rebuild
    from rebuildable.rebuild import RebuildOptions

    root = _copy(tmp_path, "generic-notes")
    assert _errors(root) == set()
    # The step still reads src/notes.md but no longer declares it: statically the release
    # looks fine (the source is merely unused), only a rebuild can tell.
    _edit(root / "rebuild.yaml", "inputs: [render, notes-source]", "inputs: [render]")
    assert _errors(root) == set()
    report = rebuild(root, RebuildOptions(timeout=60))
    assert not report.ok
    assert "rebuild.step-failed" in {f.code for f in report.findings}


def test_rebuild_finds_an_upstream_where_validation_does(tmp_path: Path) -> None:
    from rebuildable.api import rebuild
    from rebuildable.rebuild import RebuildOptions

    root = _copy(tmp_path, "adapter-lora-tiny")
    # The base is no longer shipped inside; a copy sits in an --upstream-dir folder whose
    # name is not the upstream's id. Both validation and rebuild find it by its digest.
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    shutil.move(str(root / "upstream" / "base"), str(shelf / "tiny-base-1.0"))
    report = rebuild(root, RebuildOptions(timeout=120, upstream_dirs=(shelf,)))
    assert "rebuild.input-unavailable" not in {f.code for f in report.findings}
    # every step reproduces; the manifest's own upstream path still points nowhere,
    # which validation reports, and a failed validation fails the rebuild (REB-1)
    assert report.to_dict()["rebuild"]["summary"]["steps"] == {"reproduced": 2}
    errors = {f.code for f in report.findings if f.severity is Severity.ERROR}
    assert errors == {"rebuild.validation-failed"}, errors
    assert report.to_dict()["rebuild"]["validation"]["errors"] == ["upstream.missing"]
