"""Trust policies: files read strictly and checked by their schema; composable objects."""

from __future__ import annotations

from pathlib import Path

import pytest

from rebuildable.api import verify
from rebuildable.context import Options
from rebuildable.errors import UsageError
from rebuildable.signing.dsse import IN_TOTO_PAYLOAD_TYPE, Envelope, ThresholdError
from rebuildable.signing.trust import (
    AllOf,
    PolicyError,
    ReleaseNames,
    Threshold,
    TrustedKey,
    build_policy,
    load_policy,
)
from tests.support import PROBLEMS, codes
from tests.support.signing import key, signed_release


def _indent(pem: bytes) -> str:
    return "\n".join("      " + line for line in pem.decode().splitlines())


def write_policy(folder: Path, body: str) -> Path:
    (folder / "keys").mkdir(parents=True, exist_ok=True)
    (folder / "keys/alice.pub").write_bytes(key("alice").public.pem())
    path = folder / "policy.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_policy_with_a_key_path_and_an_inline_key_verifies(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r", key("alice"), key("bob"))
    policy = write_policy(tmp_path / "trust", f"""\
policy: rebuildable-policy/0.1
threshold: 2
keys:
  - id: alice
    path: keys/alice.pub
  - id: bob
    pem: |
{_indent(key("bob").public.pem())}
""")
    report = verify(root, Options(trust=policy))
    assert report.ok, [f.message for f in report.findings]
    assert set(report.to_dict()["signatures"]["verified_keys"]) == {key("alice").keyid,
                                                                    key("bob").keyid}


def test_policy_release_names_refuse_another_release(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r", name="other-model")
    policy = write_policy(tmp_path / "trust", """\
policy: rebuildable-policy/0.1
releases: ["tiny-*"]
keys: [{id: alice, path: keys/alice.pub}]
""")
    report = verify(root, Options(trust=policy))
    assert codes(report, *PROBLEMS) == ["sig.untrusted-name"]
    ok_root = signed_release(tmp_path / "ok", name="tiny-sentiment")
    assert verify(ok_root, Options(trust=policy)).ok


def test_key_restricted_to_other_names_does_not_count(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r", key("alice"), key("bob"), name="tiny")
    policy = write_policy(tmp_path / "trust", f"""\
policy: rebuildable-policy/0.1
threshold: 1
keys:
  - id: alice
    path: keys/alice.pub
    releases: [big-*]
  - id: bob
    pem: |
{_indent(key("bob").public.pem())}
""")
    report = verify(root, Options(trust=policy))
    assert report.ok  # bob alone meets the threshold
    warn = [f for f in report.findings if f.code == "sig.untrusted-name"]
    assert warn
    assert warn[0].severity.value == "warning"
    assert report.to_dict()["signatures"]["verified_keys"] == [key("bob").keyid]


def test_threshold_above_the_keys_allowed_for_this_name_cannot_pass(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r", key("alice"), name="tiny")
    policy = write_policy(tmp_path / "trust", """\
policy: rebuildable-policy/0.1
keys: [{id: alice, path: keys/alice.pub, releases: [big-*]}]
""")
    report = verify(root, Options(trust=policy))
    assert "sig.untrusted-name" in codes(report, *PROBLEMS)
    assert not report.ok


@pytest.mark.parametrize(("body", "match", "line"), [
    ("policy: rebuildable-policy/0.1\nkeys: []\n", "empty", 2),
    ("policy: rebuildable-policy/0.1\nthreshold: 1\nthreshold: 2\n"
     "keys: [{id: a, path: keys/alice.pub}]\n", "duplicate", 3),
    ("policy: rebuildable-policy/0.2\nkeys: [{id: a, path: keys/alice.pub}]\n", "not one of", 1),
    ("policy: rebuildable-policy/0.1\nkeys: [{id: a, path: keys/alice.pub}]\nextra: 1\n",
     "unknown field", 3),
    ("policy: rebuildable-policy/0.1\nthreshold: 0\nkeys: [{id: a, path: keys/alice.pub}]\n",
     "threshold", 2),
    ("policy: rebuildable-policy/0.1\nthreshold: 2\nkeys: [{id: a, path: keys/alice.pub}, "
     "{id: b, path: keys/alice.pub}]\n", "distinct", 2),
    ("policy: rebuildable-policy/0.1\nkeys: [{id: a, path: keys/missing.pub}]\n", "cannot read", 2),
    ("policy: rebuildable-policy/0.1\nkeys: [{id: a, pem: '-----BEGIN CERTIFICATE-----'}]\n",
     "certificate", 2),
    ("policy: rebuildable-policy/0.1\nkeys: &k [{id: a, path: keys/alice.pub}]\nx-k: *k\n",
     "alias", None),
    # a threshold past Python's 4,300-digit limit stands in as 2^64: the message says so
    # (it said "threshold 18446744073709551616 is above the number of distinct keys")
    ("policy: rebuildable-policy/0.1\nthreshold: " + "9" * 5000
     + "\nkeys: [{id: a, path: keys/alice.pub}]\n", "beyond 2\\^53", 2),
    ("policy: rebuildable-policy/0.1\nthreshold: 0x" + "f" * 5000
     + "\nkeys: [{id: a, path: keys/alice.pub}]\n", "beyond 2\\^53", 2),
])
def test_unusable_policy_files_are_located_usage_errors(tmp_path: Path, body: str, match: str,
                                                        line: int | None) -> None:
    path = write_policy(tmp_path, body)
    with pytest.raises(PolicyError, match=match) as info:
        load_policy(path)
    assert isinstance(info.value, UsageError)
    loc = info.value.location
    assert loc is not None
    assert loc.file == str(path)
    if line is not None:
        assert loc.line == line


def test_policy_error_in_validate_is_a_located_bad_policy_finding(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r")
    path = write_policy(tmp_path / "t", "policy: rebuildable-policy/0.1\nkeys: []\n")
    from rebuildable.engine import validate

    report = validate(root, Options(trust=path))
    f = next(f for f in report.findings if f.code == "sig.bad-policy")
    assert f.location is not None
    assert f.location.file == str(path)


def test_keys_and_policy_together_must_both_hold(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r", key("alice"))
    policy = write_policy(tmp_path / "trust", f"""\
policy: rebuildable-policy/0.1
keys:
  - id: bob
    pem: |
{_indent(key("bob").public.pem())}
""")
    report = verify(root, Options(keys=(key("alice").public.pem(),), trust=policy))
    assert codes(report, *PROBLEMS) == ["sig.invalid"]


def test_empty_all_of_is_refused_not_a_pass() -> None:
    with pytest.raises(ValueError, match="at least one"):
        AllOf(())
    with pytest.raises(ValueError, match="at least one"):
        ReleaseNames(())


def test_threshold_policy_refuses_impossible_thresholds() -> None:
    with pytest.raises(ThresholdError):
        Threshold((TrustedKey(key("alice").public),), 0)
    with pytest.raises(ThresholdError):
        Threshold((TrustedKey(key("alice").public), TrustedKey(key("alice").public)), 2)


def test_policy_objects_compose_and_results_are_truthy_only_when_all_hold() -> None:
    env = Envelope(IN_TOTO_PAYLOAD_TYPE, b"{}").add_signature(key("alice"))
    both = AllOf((ReleaseNames(("tiny",)), Threshold((TrustedKey(key("alice").public),))))
    assert both.evaluate(env, "tiny")
    assert not both.evaluate(env, "huge")
    assert not both.evaluate(env, None)
    assert not AllOf((Threshold((TrustedKey(key("bob").public),)),)).evaluate(env, "tiny")


def test_build_policy_usage_errors() -> None:
    with pytest.raises(UsageError, match="no trusted keys") as no_keys:
        build_policy(())
    assert no_keys.value.field == "keys"
    with pytest.raises(UsageError, match="`threshold`") as threshold:
        build_policy((), threshold=1)
    assert threshold.value.field == "threshold"


def test_policy_schema_is_a_valid_2020_12_schema_with_an_id() -> None:
    from rebuildable import schema

    data = schema.load_schema("policy")
    assert data["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert data["$id"].endswith("/policy.schema.json")
    check = schema.validator("policy")  # check_schema runs here
    assert check.is_valid({"policy": "rebuildable-policy/0.1",
                           "keys": [{"id": "a", "path": "a.pub"}]})
    assert not check.is_valid({"policy": "rebuildable-policy/0.1",
                               "keys": [{"id": "a", "path": "a.pub", "pem": "-----BEGIN x"}]})


def test_policy_file_may_be_json(tmp_path: Path) -> None:
    import json

    root = signed_release(tmp_path / "r")
    folder = tmp_path / "trust"
    write_policy(folder, "")
    path = folder / "policy.json"
    path.write_text(json.dumps({"policy": "rebuildable-policy/0.1",
                                "keys": [{"id": "alice", "path": "keys/alice.pub"}]}))
    assert verify(root, Options(trust=path)).ok
