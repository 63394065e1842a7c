"""`export --to sigstore-bundle` verifies with OpenSSF model-signing and sigstore-js, and
`verify` reads a bundle (issue 9).

The bundle's key hint was SHA-256 of the DER key where model-signing checks SHA-256 of the
PEM key, and RSA signatures were PSS where key-only verifiers assume PKCS#1 v1.5; `verify`
could not read a bundle at all, not even our own export.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rebuildable.cli import cli
from tests.support.hostile_releases import hostile_bundles
from tests.support.npm_tools import NPM_DIR, node, node_modules
from tests.support.signing import release

KINDS = ["ecdsa-p256", "rsa-3072", "ed25519"]


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _signed_bundle(tmp_path: Path, kind: str) -> tuple[Path, Path, Path]:
    """(release, private key, bundle): a release signed with a new key, exported."""
    keyfile = tmp_path / f"key-{kind}"
    assert _cli("keygen", str(keyfile), "--type", kind)[0] == 0
    root = release(tmp_path / "rel")
    assert _cli("sign", str(root), "--key", str(keyfile))[0] == 0
    bundle = tmp_path / "bundle.json"
    code, _, err = _cli("export", str(root), "--to", "sigstore-bundle",
                        "--key", f"{keyfile}.pub", "-o", str(bundle))
    assert code == 0, err
    return root, keyfile, bundle


def test_model_signing_verifies_the_bundle_and_computes_the_same_hint(tmp_path: Path) -> None:
    sign_ec_key = pytest.importorskip("model_signing._signing.sign_ec_key")
    sign_sigstore_pb = pytest.importorskip("model_signing._signing.sign_sigstore_pb")
    _, keyfile, bundle = _signed_bundle(tmp_path, "ecdsa-p256")
    signature = sign_sigstore_pb.Signature.read(bundle)
    # model-signing's key verifier: the hint, then the signature over DSSE's PAE. (Its
    # higher layer then wants its own predicate type, a model manifest, which ours is not.)
    payload_type, payload = sign_ec_key.Verifier(Path(f"{keyfile}.pub"))._verify_signed_content(
        signature)
    assert payload_type == "application/vnd.in-toto+json"
    envelope = json.loads((tmp_path / "rel" / "rebuild.dsse.json").read_text("utf-8"))
    statement = json.loads(payload)
    assert statement["predicateType"] == json.loads(
        __import__("base64").b64decode(envelope["payload"]))["predicateType"]
    # and the hint is the one model-signing's own signer writes for this key
    theirs = sign_ec_key.Signer(keyfile)._get_verification_material()
    ours = json.loads(bundle.read_text("utf-8"))["verificationMaterial"]["publicKey"]["hint"]
    assert ours == theirs.public_key.hint


def test_model_signing_refuses_the_bundle_for_another_key(tmp_path: Path) -> None:
    sign_ec_key = pytest.importorskip("model_signing._signing.sign_ec_key")
    sign_sigstore_pb = pytest.importorskip("model_signing._signing.sign_sigstore_pb")
    _, _, bundle = _signed_bundle(tmp_path, "ecdsa-p256")
    other = tmp_path / "other"
    assert _cli("keygen", str(other), "--type", "ecdsa-p256")[0] == 0
    with pytest.raises(ValueError, match="Key mismatch"):
        sign_ec_key.Verifier(Path(f"{other}.pub"))._verify_signed_content(
            sign_sigstore_pb.Signature.read(bundle))


def _sigstore_js(bundle: Path, pub: Path) -> dict[str, Any]:
    node_modules()
    done = subprocess.run([node(), str(NPM_DIR / "sigstore_verify.js"), str(bundle), str(pub)],
                          capture_output=True, text=True, timeout=120, check=False)
    result: dict[str, Any] = json.loads(done.stdout)
    assert (done.returncode == 0) is result["verified"], done.stderr
    return result


@pytest.mark.parametrize("kind", KINDS)
def test_sigstore_js_verifies_the_bundle(tmp_path: Path, kind: str) -> None:
    _, keyfile, bundle = _signed_bundle(tmp_path, kind)
    result = _sigstore_js(bundle, Path(f"{keyfile}.pub"))
    assert result["verified"], result


def test_sigstore_js_refuses_a_tampered_bundle(tmp_path: Path) -> None:
    _, keyfile, bundle = _signed_bundle(tmp_path, "ecdsa-p256")
    data = json.loads(bundle.read_text("utf-8"))
    data["dsseEnvelope"]["payloadType"] = "application/vnd.in-toto+json; x=1"
    bundle.write_text(json.dumps(data), encoding="utf-8")
    assert not _sigstore_js(bundle, Path(f"{keyfile}.pub"))["verified"]


@pytest.mark.parametrize("kind", KINDS)
def test_verify_reads_our_own_bundle(tmp_path: Path, kind: str) -> None:
    root, keyfile, bundle = _signed_bundle(tmp_path, kind)
    pub = f"{keyfile}.pub"
    code, out, _ = _cli("verify", str(root), "--key", pub, "--bundle", str(bundle),
                        "--format", "json")
    report = json.loads(out)
    assert code == 0, out
    assert report["signatures"]["verified"] is True
    assert report["signatures"]["bundle"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    # a bundle in place of the envelope is recognised too
    (root / "rebuild.dsse.json").write_bytes(bundle.read_bytes())
    code, out, _ = _cli("verify", str(root), "--key", pub, "--format", "json")
    assert code == 0, out


def test_verify_refuses_a_bundle_over_another_release(tmp_path: Path) -> None:
    root, keyfile, bundle = _signed_bundle(tmp_path, "ed25519")
    (root / "model/weights.bin").write_bytes(b"swapped after signing")
    code, out, _ = _cli("verify", str(root), "--key", f"{keyfile}.pub", "--bundle",
                        str(bundle), "--format", "json")
    assert code == 1
    assert "sig.subject-mismatch" in {f["code"] for f in json.loads(out)["findings"]}


def test_a_message_signature_bundle_is_a_clear_finding(tmp_path: Path) -> None:
    root, keyfile, _ = _signed_bundle(tmp_path, "ed25519")
    other = tmp_path / "msg.sigstore.json"
    other.write_text(json.dumps({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {"hint": ""}},
        "messageSignature": {"messageDigest": {"algorithm": "SHA2_256", "digest": ""},
                             "signature": ""}}), encoding="utf-8")
    code, out, _ = _cli("verify", str(root), "--key", f"{keyfile}.pub", "--bundle", str(other),
                        "--format", "json")
    assert code == 1
    (finding,) = [f for f in json.loads(out)["findings"] if f["code"] == "sig.malformed-envelope"]
    assert "dsseEnvelope" in finding["message"]


def test_verify_reads_a_standalone_envelope(tmp_path: Path) -> None:
    """A bare DSSE envelope kept outside the release (``--bundle``) is read like the
    release's own ``rebuild.dsse.json``; without it the release is unsigned."""
    root, keyfile, _ = _signed_bundle(tmp_path, "ecdsa-p256")
    standalone = tmp_path / "release.dsse.json"
    (root / "rebuild.dsse.json").rename(standalone)
    code, out, _ = _cli("verify", str(root), "--key", f"{keyfile}.pub", "--bundle",
                        str(standalone), "--format", "json")
    assert code == 0, out
    assert json.loads(out)["signatures"].get("bundle") is None
    code, out, _ = _cli("verify", str(root), "--key", f"{keyfile}.pub", "--format", "json")
    assert code == 1
    assert "sig.missing-envelope" in {f["code"] for f in json.loads(out)["findings"]}


HOSTILE_BUNDLES = ["wrong-media-type", "no-media-type", "message-signature", "truncated",
                   "other-payload-type", "envelope-without-payload", "bad-signature-base64",
                   "no-signatures"]


@pytest.mark.parametrize("name", HOSTILE_BUNDLES)
@pytest.mark.parametrize("where", ["given", "in-release"])
def test_a_hostile_bundle_is_a_located_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               name: str, where: str) -> None:
    """Each hostile bundle (tests.support.hostile_releases.hostile_bundles) is refused with
    its finding, located in the file it came from, at the JSON pointer of the problem
    (through ``/dsseEnvelope`` inside a bundle) and its line: never a pass, never the
    release's envelope named for a file given on the command line."""
    root, keyfile, bundle = _signed_bundle(tmp_path, "ecdsa-p256")
    raw, code_expected, pointer = hostile_bundles(bundle.read_bytes())[name]
    monkeypatch.chdir(tmp_path)
    if where == "given":
        (tmp_path / "hostile.json").write_bytes(raw)
        args, file = ["--bundle", "hostile.json"], "hostile.json"
    else:
        (root / "rebuild.dsse.json").write_bytes(raw)
        args, file = [], "rebuild.dsse.json"
    code, out, _ = _cli("verify", "rel", "--key", f"{keyfile.name}.pub", *args, "--format", "json")
    assert code == 1, out
    report = json.loads(out)
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert [f["code"] for f in errors] == [code_expected], errors
    location = errors[0]["location"]
    assert location["file"] == file
    assert (location["pointer"] or "") == pointer
    assert location["line"] is not None, location  # the line the problem is on
    # and the SARIF log names that file from the working folder
    code, out, _ = _cli("verify", "rel", "--key", f"{keyfile.name}.pub", *args, "--format",
                        "sarif")
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in json.loads(out)["runs"][0]["results"]}
    assert uris == {file if where == "given" else f"rel/{file}"}


def test_verify_refuses_a_model_signing_bundle_for_the_same_folder(tmp_path: Path) -> None:
    """A bundle for another payload: OpenSSF model-signing's own signature of the release
    folder, by the trusted key. The signature verifies; the statement is not ours."""
    signing = pytest.importorskip("model_signing.signing")
    root, keyfile, _ = _signed_bundle(tmp_path, "ecdsa-p256")
    theirs = tmp_path / "model.sig"
    signing.Config().use_elliptic_key_signer(private_key=keyfile).sign(root, theirs)
    code, out, _ = _cli("verify", str(root), "--key", f"{keyfile}.pub", "--bundle", str(theirs),
                        "--format", "json")
    assert code == 1, out
    errors = [f for f in json.loads(out)["findings"] if f["severity"] == "error"]
    assert [f["code"] for f in errors] == ["sig.wrong-predicate-type"]
    assert errors[0]["location"]["file"] == str(theirs)
    assert errors[0]["location"]["pointer"] == "/dsseEnvelope/payload"


def test_findings_about_a_given_bundle_name_it(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """sig.invalid for a bundle given with --bundle points at that file, not at a
    'rel/b.json' that does not exist (nor at the release's rebuild.dsse.json)."""
    root, _, bundle = _signed_bundle(tmp_path, "ecdsa-p256")
    other = tmp_path / "other"
    assert _cli("keygen", str(other), "--type", "ecdsa-p256")[0] == 0
    monkeypatch.chdir(tmp_path)
    code, out, _ = _cli("verify", root.name, "--key", "other.pub", "--bundle", bundle.name,
                        "--no-color")
    assert code == 1
    assert re.search(rf"at {re.escape(bundle.name)}:\d+:\d+ \(/dsseEnvelope/signatures\)", out)
    assert "rel/bundle.json" not in out
