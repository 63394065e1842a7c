"""Properties of the signed data: equal data <=> equal canonical bytes <=> no differences."""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rebuildable.signing.dsse import IN_TOTO_PAYLOAD_TYPE, Envelope, parse_envelope
from rebuildable.signing.statement import canonical, differences, parse_statement, payload_bytes
from tests.support.signing import key, signed_release, verify_with

scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**53) + 1, 2**53 - 1),
                    st.text(max_size=8))
data = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=20)


def _one_meaning(value: Any) -> bool:
    """No mapping holds keys that differ only in case (the strict loader refuses them)."""
    if isinstance(value, dict):
        folded = {k.casefold() for k in value}
        return len(folded) == len(value) and all(_one_meaning(v) for v in value.values())
    if isinstance(value, list):
        return all(_one_meaning(v) for v in value)
    return True


@settings(max_examples=80)
@given(data, data)
def test_canonical_bytes_equal_exactly_when_no_differences(a: Any, b: Any) -> None:
    same = canonical(a) == canonical(b)
    assert same == (list(differences(a, b)) == [])


@settings(max_examples=40)
@given(st.dictionaries(st.text(min_size=1, max_size=6), data, max_size=5))
def test_payload_round_trips_through_sign_and_strict_parse(extra: dict[str, Any]) -> None:
    manifest = {"spec": "rebuildable/0.1", "name": "p", "version": "1",
                "artifacts": [{"id": "a", "path": "a", "digest": {"sha256": "0" * 64}}]}
    manifest.update({f"x-{k}": v for k, v in extra.items()})
    assume(_one_meaning(manifest))
    env = Envelope(IN_TOTO_PAYLOAD_TYPE, payload_bytes(manifest)).add_signature(key("alice"))
    again = parse_envelope(env.to_json())
    assert again.signed_by(key("alice").public)
    assert canonical(parse_statement(again.payload).predicate) == canonical(manifest)


def test_signed_folder_packed_as_an_archive_still_verifies(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r")
    archive = tmp_path / "release.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(root.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(root)), recursive=False)
    report = verify_with(archive, key("alice"))
    assert report.ok, [f.message for f in report.findings]
    assert report.to_dict()["signatures"]["verified"] is True
