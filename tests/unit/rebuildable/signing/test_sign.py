"""Signing folder releases and verifying them: the data is signed, not the formatting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from rebuildable.api import sign as sign_release
from rebuildable.context import Options
from rebuildable.engine import validate
from rebuildable.errors import UsageError
from rebuildable.signing.dsse import parse_envelope, verify_envelope
from rebuildable.signing.sign import SignRefusedError
from rebuildable.signing.statement import PREDICATE_TYPE, STATEMENT_TYPE, parse_statement
from tests.support import PROBLEMS, codes, read_manifest, write_manifest
from tests.support.signing import key, read_envelope, release, signed_release, verify_with


def test_signed_release_verifies_and_says_who_signed(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r")
    report = verify_with(root, key("alice"))
    assert report.ok
    assert codes(report, *PROBLEMS) == []
    section = report.to_dict()["signatures"]
    assert section["verified"] is True
    assert section["verified_keys"] == [key("alice").keyid]
    assert section["missing"] == 0
    assert section["signers"] == [{"index": 0, "keyid": key("alice").keyid,
                                   "verified_by": key("alice").keyid}]


def test_envelope_payload_is_the_canonical_in_toto_statement(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r")
    env = parse_envelope((root / "rebuild.dsse.json").read_bytes())
    assert env.payload_type == "application/vnd.in-toto+json"
    stmt = parse_statement(env.payload)
    assert stmt.predicate_type == PREDICATE_TYPE
    assert stmt.predicate == read_manifest(root)
    assert {name for name, _ in stmt.subjects} == {"src/train.py", "model/weights.bin",
                                                    "config.yaml"}
    raw = json.loads(env.payload)
    assert raw["_type"] == STATEMENT_TYPE
    # RFC 8785: sorted keys, no whitespace
    assert env.payload == json.dumps(raw, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=False).encode()
    written = read_envelope(root)
    assert written["signatures"][0]["keyid"] == key("alice").keyid
    assert written["payload"].endswith("=") or len(written["payload"]) % 4 == 0


def test_second_signer_co_signs_the_same_envelope(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r", key("alice"))
    outcome = sign_release(root, key("bob-ec", "ecdsa-p256"))
    assert outcome.action == "added"
    assert outcome.signatures == 2
    report = verify_with(root, key("alice"), key("bob-ec", "ecdsa-p256"), threshold=2)
    assert report.ok, [f.message for f in report.findings]


def test_signing_twice_with_one_key_adds_no_second_entry(tmp_path: Path) -> None:
    k = key("bob-ec", "ecdsa-p256")  # ECDSA signatures differ each time
    root = signed_release(tmp_path / "r", k)
    before = (root / "rebuild.dsse.json").read_bytes()
    outcome = sign_release(root, k)
    assert outcome.action == "unchanged"
    assert (root / "rebuild.dsse.json").read_bytes() == before


def test_below_threshold_reports_how_many_signatures_are_missing(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r", key("alice"))
    report = verify_with(root, key("alice"), key("bob"), key("carol"), threshold=3)
    assert codes(report, *PROBLEMS) == ["sig.below-threshold"]
    assert report.to_dict()["signatures"]["missing"] == 2
    f = next(f for f in report.findings if f.code == "sig.below-threshold")
    assert "2 missing" in f.message


def test_reformatted_yaml_keeps_the_signature_valid(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r")
    data = read_manifest(root)
    # Reorder keys, change style and indentation, add comments: same data.
    text = "# reformatted\n" + yaml.safe_dump(dict(reversed(list(data.items()))),
                                             default_flow_style=True, width=40, indent=4)
    (root / "rebuild.yaml").write_text(text, encoding="utf-8")
    assert read_manifest(root) == data
    assert verify_with(root, key("alice")).ok


def test_yaml_manifest_and_its_json_twin_sign_the_same_data(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r")
    data = read_manifest(root)
    (root / "rebuild.yaml").unlink()
    write_manifest(root / "rebuild.json", data)
    assert verify_with(root, key("alice")).ok


def test_unquoted_version_keeps_its_text_when_signed_and_verified(tmp_path: Path) -> None:
    root = release(tmp_path / "r")
    text = (root / "rebuild.yaml").read_text().replace("version: 1.0.0", "version: 1.10")
    (root / "rebuild.yaml").write_text(text)
    sign_release(root, key("alice"), force=True)
    env = parse_envelope((root / "rebuild.dsse.json").read_bytes())
    assert parse_statement(env.payload).predicate["version"] == "1.10"
    assert verify_with(root, key("alice")).ok
    (root / "rebuild.yaml").write_text(text.replace("version: 1.10", "version: '1.1'"))
    assert codes(verify_with(root, key("alice")), *PROBLEMS) == ["sig.payload-mismatch"]


@pytest.mark.parametrize(("path", "value"), [
    (("license",), "MIT"),
    (("artifacts", 0, "size"), 999),
    (("steps", 0, "run"), "python src/train.py --evil"),
    (("x-note",), "added"),
])
def test_changing_any_value_breaks_the_signature_at_that_place(tmp_path: Path,
                                                               path: tuple[object, ...],
                                                               value: object) -> None:
    root = signed_release(tmp_path / "r")
    data = read_manifest(root)
    target = data
    for token in path[:-1]:
        target = target[token]  # type: ignore[index]
    target[path[-1]] = value  # type: ignore[index]
    write_manifest(root / "rebuild.yaml", data)
    report = verify_with(root, key("alice"))
    assert "sig.payload-mismatch" in codes(report, *PROBLEMS)
    pointer = "/" + "/".join(str(t) for t in path)
    f = next(f for f in report.findings if f.code == "sig.payload-mismatch")
    assert f.location is not None
    assert f.location.pointer == pointer
    assert f.location.file == "rebuild.yaml"
    assert f.location.line is not None


def test_file_replaced_after_signing_breaks_the_subject(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r")
    (root / "model/weights.bin").write_bytes(b"\x00\x01\x02WEIGHTS")  # same size
    report = verify_with(root, key("alice"))
    assert codes(report, *PROBLEMS) == ["sig.subject-mismatch"]
    f = next(f for f in report.findings if f.code == "sig.subject-mismatch")
    assert f.artifact == "model-weights.bin"


def test_validate_with_a_key_requires_the_signature(tmp_path: Path) -> None:
    root = release(tmp_path / "r")
    report = validate(root, Options(keys=(key("alice").public.pem(),)))
    assert "sig.missing-envelope" in codes(report, *PROBLEMS)
    sign_release(root, key("alice"))
    report = validate(root, Options(keys=(key("alice").public.pem(),)))
    assert report.ok, [f.message for f in report.findings if f.severity.value == "error"]
    assert report.to_dict()["signatures"]["verified"] is True
    assert report.to_dict()["signatures"]["verified"] is True


def test_validate_without_keys_only_notes_the_envelope(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r")
    report = validate(root)
    assert "sig.not-checked" in codes(report)
    assert report.to_dict()["signatures"]["checked"] is False


def test_validate_with_an_impossible_threshold_is_an_error_finding(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r")
    report = validate(root, Options(keys=(key("alice").public.pem(),), threshold=2))
    assert "sig.bad-threshold" in codes(report, *PROBLEMS)


def test_validate_with_a_bad_key_is_a_bad_key_finding(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r")
    report = validate(root, Options(keys=(b"garbage",)))
    assert "sig.bad-key" in codes(report, *PROBLEMS)


def test_broken_release_is_not_signed_unless_forced(tmp_path: Path) -> None:
    root = release(tmp_path / "r")
    (root / "config.yaml").write_bytes(b"changed")
    with pytest.raises(SignRefusedError) as info:
        sign_release(root, key("alice"))
    assert not info.value.report.ok
    assert not (root / "rebuild.dsse.json").exists()
    assert sign_release(root, key("alice"), force=True).action == "created"


def test_signing_an_archive_is_a_usage_error(tmp_path: Path) -> None:
    import tarfile

    root = release(tmp_path / "r")
    archive = tmp_path / "r.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(root, arcname=".")
    with pytest.raises(UsageError, match="folder releases only"):
        sign_release(archive, key("alice"))


def test_envelope_over_an_older_manifest_is_replaced_on_resigning(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r", key("alice"), key("bob"))
    data = read_manifest(root)
    data["version"] = "1.0.1"
    write_manifest(root / "rebuild.yaml", data)
    outcome = sign_release(root, key("alice"))
    assert outcome.action == "replaced"
    assert outcome.dropped == 2
    assert outcome.signatures == 1
    assert verify_with(root, key("alice")).ok


def test_existing_garbage_envelope_is_kept_unless_forced(tmp_path: Path) -> None:
    root = release(tmp_path / "r")
    (root / "rebuild.dsse.json").write_text("{oops")
    with pytest.raises(UsageError, match="replace it with `force`") as caught:
        sign_release(root, key("alice"))
    assert caught.value.field == "force"
    assert (root / "rebuild.dsse.json").read_text() == "{oops"
    sign_release(root, key("alice"), force=True)
    assert verify_with(root, key("alice")).ok


def test_signing_writes_atomically_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r", key("alice"), key("bob"))
    leftovers = [p.name for p in root.iterdir() if p.name.startswith(".rebuild.dsse.json")]
    assert leftovers == []


def test_signing_replaces_a_symlinked_envelope_instead_of_writing_through_it(
        tmp_path: Path) -> None:
    root = release(tmp_path / "r")
    victim = tmp_path / "victim.json"
    victim.write_text("keep")
    (root / "rebuild.dsse.json").symlink_to(victim)
    sign_release(root, key("alice"), force=True)
    assert victim.read_text() == "keep"
    assert not (root / "rebuild.dsse.json").is_symlink()


def test_each_trusted_key_is_tried_against_each_signature(tmp_path: Path) -> None:
    keys = [key("alice"), key("bob-ec", "ecdsa-p256"), key("carol", "rsa-3072")]
    root = signed_release(tmp_path / "r", *keys)
    env = parse_envelope((root / "rebuild.dsse.json").read_bytes())
    # Trusted keys in the reverse order of the signatures, keyids blanked.
    from rebuildable.signing.dsse import Envelope, Signature

    blank = Envelope(env.payload_type, env.payload,
                     tuple(Signature(s.sig, None) for s in env.signatures))
    result = verify_envelope(blank, [k.public for k in reversed(keys)], threshold=3)
    assert result
    assert result.missing == 0
    assert {k.keyid for k in result.verified_keys} == {k.keyid for k in keys}


def test_signatures_section_matches_the_report_schema_in_every_outcome(tmp_path: Path) -> None:
    from rebuildable import schema

    root = signed_release(tmp_path / "r", key("alice"), key("mallory"))
    reports = [
        verify_with(root, key("alice")),
        verify_with(root, key("alice"), key("bob"), threshold=2),
        verify_with(root, key("bob")),
        validate(root),
        validate(root, Options(keys=(b"junk",))),
        verify_with(release(tmp_path / "unsigned"), key("alice")),
    ]
    check = schema.validator("report")
    for report in reports:
        data = report.to_dict()
        assert "signatures" in data
        errors = [e.message for e in check.iter_errors(data)]
        assert errors == [], errors


def test_validate_reuses_the_integrity_checks_hashes_for_the_subjects(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import rebuildable.signing.verify as verify_module

    root = signed_release(tmp_path / "r")

    def no_second_pass(*args: object, **kwargs: object) -> None:
        raise AssertionError("files hashed twice")

    monkeypatch.setattr(verify_module, "hash_stream", no_second_pass)
    report = validate(root, Options(keys=(key("alice").public.pem(),)))
    assert report.ok, [f.message for f in report.findings if f.severity.value == "error"]
    assert report.to_dict()["signatures"]["subjects_match"] is True


def test_signed_file_deleted_after_signing_is_reported_by_verify_alone(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r")
    (root / "config.yaml").unlink()
    report = verify_with(root, key("alice"))
    assert codes(report, *PROBLEMS) == ["sig.subject-mismatch"]
    f = next(f for f in report.findings if f.code == "sig.subject-mismatch")
    assert f.artifact == "config.yaml"
    assert "cannot be checked" in f.message


def test_signed_file_replaced_by_a_symlink_is_reported(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r")
    outside = tmp_path / "outside.yaml"
    outside.write_bytes((root / "config.yaml").read_bytes())
    (root / "config.yaml").unlink()
    (root / "config.yaml").symlink_to(outside)
    assert codes(verify_with(root, key("alice")), *PROBLEMS) == ["sig.subject-mismatch"]


def test_files_are_checked_against_the_signed_digests_not_the_manifest(tmp_path: Path) -> None:
    # Manifest and file changed together after signing: the manifest agrees with the file,
    # the signature does not.
    root = signed_release(tmp_path / "r")
    (root / "config.yaml").write_bytes(b"lr: 9.9\n")
    data = read_manifest(root)
    from tests.support import sha256_hex

    art = next(a for a in data["artifacts"] if a["path"] == "config.yaml")
    art["digest"] = {"sha256": sha256_hex(b"lr: 9.9\n")}
    write_manifest(root / "rebuild.yaml", data)
    got = set(codes(verify_with(root, key("alice")), *PROBLEMS))
    assert got == {"sig.payload-mismatch", "sig.subject-mismatch"}
