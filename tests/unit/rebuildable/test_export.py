"""`rebuildable export`: the in-toto Statement that signing signs, and SLSA Provenance v1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rebuildable.cli import cli
from rebuildable.export import (
    BUILD_TYPE,
    DEFAULT_BUILDER_ID,
    SLSA_PREDICATE_TYPE,
    export_release,
    to_slsa,
)
from rebuildable.signing.dsse import parse_envelope
from tests.support import corpus, make_release, read_manifest, sha256_hex
from tests.support.signing import release, signed_release


def test_in_toto_export_is_exactly_the_statement_that_is_signed(tmp_path: Path) -> None:
    import rfc8785

    root = signed_release(tmp_path / "r")
    result = export_release(root, "in-toto")
    assert result.document is not None
    env = parse_envelope((root / "rebuild.dsse.json").read_bytes())
    assert rfc8785.dumps(result.document) == env.payload


def test_slsa_export_maps_outputs_sources_and_steps(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"src/train.py": b"x", "weights.bin": b"w"},
                        [{"id": "train", "run": "python src/train.py",
                          "inputs": ["src-train.py", "corpus"], "outputs": ["weights.bin"]}],
                        extra_artifacts=[{"id": "corpus", "uri": "https://data.example/c.parquet",
                                          "kind": "dataset", "digest": {"sha3-256": "b" * 64}}])
    doc = export_release(root, "slsa").document
    assert doc is not None
    assert doc["_type"] == "https://in-toto.io/Statement/v1"
    assert doc["predicateType"] == SLSA_PREDICATE_TYPE
    assert doc["subject"] == [{"name": "weights.bin", "digest": {"sha256": sha256_hex(b"w")}}]
    build = doc["predicate"]["buildDefinition"]
    assert build["buildType"] == BUILD_TYPE
    deps = {d["annotations"]["id"]: d for d in build["resolvedDependencies"]}
    assert deps["corpus"]["uri"] == "https://data.example/c.parquet"
    assert deps["corpus"]["digest"] == {"sha3_256": "b" * 64}  # in-toto digest-set spelling
    assert deps["src-train.py"]["name"] == "src/train.py"
    assert "weights.bin" not in deps
    assert build["externalParameters"]["steps"][0]["run"] == "python src/train.py"
    assert doc["predicate"]["runDetails"]["builder"]["id"] == DEFAULT_BUILDER_ID


def test_slsa_export_lists_upstream_manifests_as_dependencies() -> None:
    data = {"spec": "rebuildable/0.1", "name": "a", "version": "1",
            "artifacts": [{"id": "w", "path": "w", "digest": {"sha256": "c" * 64}}],
            "steps": [{"id": "s", "run": "x", "inputs": ["base:w"], "outputs": ["w"]}],
            "upstream": [{"id": "base", "relation": "fine-tune-of",
                          "manifest": {"uri": "https://e.org/rebuild.yaml",
                                       "digest": {"sha256": "d" * 64}}}]}
    deps = to_slsa(data, "https://ci.example/builder")["predicate"]["buildDefinition"][
        "resolvedDependencies"]
    assert deps == [{"uri": "https://e.org/rebuild.yaml", "name": "base",
                     "digest": {"sha256": "d" * 64},
                     "annotations": {"id": "base", "kind": "upstream-manifest",
                                     "relation": "fine-tune-of"}}]


def test_slsa_export_without_outputs_is_refused() -> None:
    with pytest.raises(ValueError, match="no step outputs"):
        to_slsa({"artifacts": [{"id": "a", "path": "a", "digest": {"sha256": "e" * 64}}]})


def test_export_refuses_a_manifest_with_errors(tmp_path: Path) -> None:
    root = release(tmp_path / "r")
    (root / "rebuild.yaml").write_text("name: a\nname: b\n")
    result = export_release(root, "in-toto")
    assert result.document is None
    assert [f.code for f in result.findings] == ["load.duplicate-key"]


def test_export_cli_writes_stdout_or_a_file(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r")
    runner = CliRunner()
    out = runner.invoke(cli, ["export", str(root), "--to", "slsa"], catch_exceptions=False)
    assert out.exit_code == 0
    assert json.loads(out.stdout)["predicateType"] == SLSA_PREDICATE_TYPE
    target = tmp_path / "prov.json"
    out = runner.invoke(cli, ["export", str(root), "--to", "in-toto", "-o", str(target)],
                        catch_exceptions=False)
    assert out.exit_code == 0
    assert out.stdout == ""
    assert json.loads(target.read_text())["predicate"] == read_manifest(root)


def test_export_cli_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(cli, ["export", str(tmp_path / "nope"), "--to", "slsa"])
    assert out.exit_code == 2
    root = make_release(tmp_path / "flat", {"a.txt": b"a"})
    out = runner.invoke(cli, ["export", str(root), "--to", "slsa"])
    assert out.exit_code == 1
    assert "no step outputs" in out.stderr
    out = runner.invoke(cli, ["export", str(root), "--to", "spdx"])
    assert out.exit_code == 2


# ------------------------------------------------------------------------ sigstore bundles



def test_sigstore_bundle_wraps_the_signature_of_the_chosen_key(tmp_path: Path) -> None:
    from rebuildable.export import BUNDLE_MEDIA_TYPE
    from rebuildable.signing.dsse import Envelope, verify_envelope
    from tests.support.signing import key

    alice, bob = key("alice"), key("bob")
    root = signed_release(tmp_path / "r", alice, bob)
    assert export_release(root, "sigstore-bundle").document is None  # two signatures: choose
    doc = export_release(root, "sigstore-bundle", key=bob.public).document
    assert doc is not None
    assert doc["mediaType"] == BUNDLE_MEDIA_TYPE
    # the hint model-signing compares: SHA-256 of the PEM key, not the DSSE keyid (DER)
    assert doc["verificationMaterial"] == {"publicKey": {"hint": bob.public.bundle_hint},
                                           "tlogEntries": []}
    env = Envelope.from_dict(doc["dsseEnvelope"])
    assert len(env.signatures) == 1
    assert verify_envelope(env, [bob.public])
    assert not verify_envelope(env, [alice.public])
    assert export_release(root, "sigstore-bundle", key=key("mallory").public).document is None


def test_sigstore_bundle_has_the_shape_of_a_real_keyed_bundle(tmp_path: Path) -> None:
    from tests.support.signing import key

    real = json.loads(corpus.corpus_file("attestations/model-signing/v1.1.0-elliptic-key/model.sig")
                      .read_bytes())
    root = signed_release(tmp_path / "r", key("alice"))
    ours = export_release(root, "sigstore-bundle").document
    assert ours is not None
    assert ours["mediaType"] == real["mediaType"]
    assert set(ours) == set(real)
    assert set(ours["verificationMaterial"]) == set(real["verificationMaterial"])
    assert set(ours["dsseEnvelope"]) == set(real["dsseEnvelope"])
    assert set(ours["dsseEnvelope"]["signatures"][0]) == set(real["dsseEnvelope"]["signatures"][0])


def test_sigstore_bundle_of_a_stale_or_unsigned_release_is_refused(tmp_path: Path) -> None:
    from tests.support.signing import key

    unsigned = release(tmp_path / "u")
    result = export_release(unsigned, "sigstore-bundle")
    assert result.document is None
    assert result.error is not None
    assert "sign the release first" in result.error
    root = signed_release(tmp_path / "r", key("alice"))
    (root / "rebuild.yaml").write_text((root / "rebuild.yaml").read_text()
                                       .replace("1.0.0", "1.0.1"))
    result = export_release(root, "sigstore-bundle")
    assert result.error is not None
    assert "sign the release again" in result.error


def test_export_cli_sigstore_bundle_with_key(tmp_path: Path) -> None:
    from tests.support.signing import key

    root = signed_release(tmp_path / "r", key("alice"), key("bob"))
    pub = tmp_path / "bob.pub"
    pub.write_bytes(key("bob").public.pem())
    out = CliRunner().invoke(cli, ["export", str(root), "--to", "sigstore-bundle", "--key",
                                   str(pub)], catch_exceptions=False)
    assert out.exit_code == 0, out.stderr
    hint = json.loads(out.stdout)["verificationMaterial"]["publicKey"]["hint"]
    assert hint == key("bob").public.bundle_hint
    out = CliRunner().invoke(cli, ["export", str(root), "--to", "sigstore-bundle"])
    assert out.exit_code == 1
    assert "--key" in out.stderr
