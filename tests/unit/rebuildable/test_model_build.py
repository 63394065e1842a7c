"""Building artifacts takes a fast path when no item needs filtering; the result is the
same as filtering each item."""

from __future__ import annotations

from typing import Any

from rebuildable.model import Manifest


def _manifest(*artifacts: dict[str, Any]) -> Manifest:
    return Manifest.from_data({"spec": "rebuildable/0.1", "artifacts": list(artifacts)})


def test_plain_artifacts_copy_their_digest() -> None:
    raw = {"id": "a", "uri": "https://x.org/a", "digest": {"sha256": "ab"}}
    built = _manifest(raw).artifacts[0]
    assert built.digest == {"sha256": "ab"}
    assert built.digest is not raw["digest"]  # the model never shares the document's data
    assert built.extensions == {}


def test_one_odd_artifact_sends_every_item_through_the_filters() -> None:
    manifest = _manifest({"id": "a", "digest": {"sha256": "ab", "md5": 5}},
                         {"id": "b", "digest": "nope", "x-note": 1},
                         {"id": "c", "digest": {"sha256": "cd"}})
    assert [a.digest for a in manifest.artifacts] == [{"sha256": "ab"}, {}, {"sha256": "cd"}]
    assert [a.extensions for a in manifest.artifacts] == [{}, {"x-note": 1}, {}]


def test_items_that_are_not_mappings_are_skipped_with_their_index_kept() -> None:
    manifest = _manifest("oops", {"id": "b", "digest": {"sha256": "ab"}})  # type: ignore[arg-type]
    assert [(a.id, a.pointer) for a in manifest.artifacts] == [("b", "/artifacts/1")]
