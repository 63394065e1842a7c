"""Keyless signatures: real Sigstore bundles from the shared corpus, verified offline
against the trusted roots sigstore-python ships, under identity policies; and the
release-level check (rebuild.sigstore.json beside the manifest).

Identities, from the certificates (the corpus README says where each bundle comes
from): bundle_v3.txt.sigstore was signed on Sigstore's staging instance by
william@yossarian.net through GitHub's OAuth; model-signing/v1.1.0-sigstore/model.sig on
the public-good instance by stefanb@us.ibm.com through IBM Verify; MODULE.bazel's
attestation on the public-good instance by the publish-to-bcr workflow on GitHub
Actions."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from rebuildable import api
from rebuildable.cli import cli
from rebuildable.signing.keyless import verify_bundle
from rebuildable.signing.statement import canonical
from tests.support import codes, corpus_file, make_release

pytest.importorskip("sigstore")

GITHUB_OAUTH = "https://github.com/login/oauth"
IBM = "https://sigstore.verify.ibm.com/oauth2"
ACTIONS = "https://token.actions.githubusercontent.com"
BCR = ("https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml"
       "@refs/tags/v0.0.1")


def dsse_payload(bundle: Path) -> bytes:
    """The canonical bytes of the Statement a DSSE bundle carries."""
    payload = json.loads(bundle.read_bytes())["dsseEnvelope"]["payload"]
    return canonical(json.loads(base64.b64decode(payload)))


def test_message_signature_bundle_verifies_offline_on_staging() -> None:
    bundle = corpus_file("attestations/sigstore-python_bundle_v3.txt.sigstore").read_bytes()
    artifact = corpus_file("attestations/sigstore-python_bundle_v3.txt").read_bytes()
    good = verify_bundle(bundle, artifact, "william@yossarian.net", GITHUB_OAUTH, "staging")
    assert good.ok, good.error
    assert good.kind == "message-signature"
    # another identity, another issuer, another payload, the other trusted root: all fail
    assert not verify_bundle(bundle, artifact, "mallory@example.org", GITHUB_OAUTH,
                             "staging").ok
    assert not verify_bundle(bundle, artifact, "william@yossarian.net",
                             "https://accounts.google.com", "staging").ok
    assert not verify_bundle(bundle, artifact + b"x", "william@yossarian.net", GITHUB_OAUTH,
                             "staging").ok
    assert not verify_bundle(bundle, artifact, "william@yossarian.net", GITHUB_OAUTH,
                             "production").ok


@pytest.mark.parametrize(("rel", "identity", "issuer"), [
    ("attestations/model-signing/v1.1.0-sigstore/model.sig", "stefanb@us.ibm.com", IBM),
    ("attestations/slsa-verifier_MODULE.bazel.intoto.jsonl", BCR, ACTIONS),
])
def test_dsse_bundles_verify_offline_on_public_good(rel: str, identity: str,
                                                    issuer: str) -> None:
    path = corpus_file(rel)
    outcome = verify_bundle(path.read_bytes(), dsse_payload(path), identity, issuer)
    assert outcome.ok, outcome.error
    assert outcome.kind == "dsse"
    other = verify_bundle(path.read_bytes(), canonical({"_type": "x"}), identity, issuer)
    assert not other.ok
    assert "not this manifest's Statement" in (other.error or "")
    assert not verify_bundle(path.read_bytes(), dsse_payload(path), "someone@else.org",
                             issuer).ok


def test_tampered_bundle_fails() -> None:
    path = corpus_file("attestations/model-signing/v1.1.0-sigstore/model.sig")
    bundle = json.loads(path.read_bytes())
    sig = bytearray(base64.b64decode(bundle["dsseEnvelope"]["signatures"][0]["sig"]))
    sig[-1] ^= 1
    bundle["dsseEnvelope"]["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    outcome = verify_bundle(json.dumps(bundle).encode(), dsse_payload(path),
                            "stefanb@us.ibm.com", IBM)
    assert not outcome.ok
    assert not verify_bundle(b"{not json", b"", "a", "b").ok


def test_release_level_findings(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"a.txt": b"a"})
    policy = api.Options(identity="stefanb@us.ibm.com", issuer=IBM)
    assert codes(api.validate(root, policy), "error") == ["sig.keyless-failed"]
    # a real, valid bundle that signs something else: never this manifest
    shutil.copy(corpus_file("attestations/model-signing/v1.1.0-sigstore/model.sig"),
                root / "rebuild.sigstore.json")
    report = api.validate(root, policy)
    assert codes(report, "error") == ["sig.keyless-failed"]
    assert report.to_dict()["keyless"]["verified"] is False
    unchecked = api.validate(root)
    assert unchecked.ok
    assert "sig.keyless-not-checked" in codes(unchecked)
    assert "unlisted.file" not in codes(unchecked)


def test_cli_verify_and_validate_options(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"a.txt": b"a"})
    lone = CliRunner().invoke(cli, ["verify", str(root), "--identity", "a@b.c"])
    assert lone.exit_code == 2
    assert "--identity and --issuer go together" in lone.stderr
    failed = CliRunner().invoke(cli, ["verify", str(root), "--identity", "a@b.c", "--issuer",
                                      GITHUB_OAUTH, "--format", "json"])
    assert failed.exit_code == 1
    assert json.loads(failed.stdout)["findings"][0]["code"] == "sig.keyless-failed"
    validated = CliRunner().invoke(cli, ["validate", str(root), "--identity", "a@b.c",
                                         "--issuer", GITHUB_OAUTH])
    assert validated.exit_code == 1


def test_canonical_export_is_the_signed_payload(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"a.txt": b"a"})
    out = tmp_path / "rebuild.intoto.json"
    result = CliRunner().invoke(cli, ["export", str(root), "--to", "in-toto", "--canonical",
                                      "-o", str(out)])
    assert result.exit_code == 0
    from rebuildable.signing.statement import payload_bytes
    from tests.support import read_manifest

    assert out.read_bytes() == payload_bytes(read_manifest(root))


def test_release_level_verified_with_a_real_bundle(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """sig.keyless-verified has no conformance vector (a bundle over a vector's own
    Statement needs a live Fulcio login): here a real bundle is verified with real
    cryptography by the release-level check, and only the Statement it must sign is
    swapped for the one that bundle carries."""
    from rebuildable.signing import keyless

    path = corpus_file("attestations/model-signing/v1.1.0-sigstore/model.sig")
    root = make_release(tmp_path / "r", {"a.txt": b"a"})
    shutil.copy(path, root / "rebuild.sigstore.json")
    monkeypatch.setattr(keyless, "payload_bytes", lambda data: dsse_payload(path))
    report = api.validate(root, api.Options(identity="stefanb@us.ibm.com", issuer=IBM))
    assert report.ok
    assert "sig.keyless-verified" in codes(report)
    assert report.to_dict()["keyless"] == {
        "bundle": "rebuild.sigstore.json", "identity": "stefanb@us.ibm.com", "issuer": IBM,
        "instance": "production", "verified": True}
    other = api.validate(root, api.Options(identity="someone@else.org", issuer=IBM))
    assert codes(other, "error") == ["sig.keyless-failed"]
