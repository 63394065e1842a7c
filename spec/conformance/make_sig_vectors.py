#!/usr/bin/env python3
"""Build the signature conformance vectors (``vectors/sig-*``) from the TEST-ONLY keys.

The keys in ``keys/`` are published test keys: anyone can sign with them. They exist
only to make these vectors and MUST NOT be trusted anywhere else. Missing key files are
generated on the first run. Ed25519 signatures are deterministic, so re-running the
script reproduces the Ed25519 vectors byte for byte; ECDSA and RSA vectors get fresh
(equally valid) signatures.

Usage::

    python spec/conformance/make_sig_vectors.py          # rewrite every sig-* vector
    python spec/conformance/make_sig_vectors.py --check  # exit 1 when a vector's plan
                                                         # (vector.json, manifest) is stale
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rfc8785
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

HERE = Path(__file__).resolve().parent
VECTORS = HERE / "vectors"
KEYS = HERE / "keys"

# -- DSSE and in-toto, as spec/signatures.md defines them ---------------------------------
# Written out here rather than imported: the vectors test the implementation, so their
# generator must not lean on it.

IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://rebuildable.dev/provenance-manifest/v0.1"
_INTOTO_NAMES = {"sha3-256": "sha3_256", "sha3-512": "sha3_512"}


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 Pre-Authentication Encoding (byte lengths)."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def statement(data: dict[str, Any]) -> dict[str, Any]:
    """The in-toto Statement v1 of a manifest's data (signatures.md, SIG-6)."""
    subject = []
    for art in data.get("artifacts", []):
        name = art.get("path") if isinstance(art.get("path"), str) else art.get("uri")
        digest = {_INTOTO_NAMES.get(k, k): v for k, v in art.get("digest", {}).items()}
        subject.append({"name": name, "digest": digest})
    return {"_type": STATEMENT_TYPE, "subject": subject, "predicateType": PREDICATE_TYPE,
            "predicate": dict(data)}


def payload_bytes(data: dict[str, Any]) -> bytes:
    """What gets signed: RFC 8785 canonical JSON of the statement."""
    return bytes(rfc8785.dumps(statement(data)))


@dataclass(frozen=True)
class PublicKey:
    key: Any

    @property
    def bundle_hint(self) -> str:
        """A Sigstore bundle's publicKey.hint: hex SHA-256 of the PEM SubjectPublicKeyInfo."""
        pem = self.key.public_bytes(serialization.Encoding.PEM,
                                    serialization.PublicFormat.SubjectPublicKeyInfo)
        return hashlib.sha256(pem).hexdigest()


@dataclass(frozen=True)
class PrivateKey:
    key: Any

    @property
    def public(self) -> PublicKey:
        return PublicKey(self.key.public_key())

    @property
    def keyid(self) -> str:
        """Lower-case hex SHA-256 of the DER SubjectPublicKeyInfo."""
        spki = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return hashlib.sha256(spki).hexdigest()

    def sign(self, data: bytes) -> bytes:
        key = self.key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return key.sign(data)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            curve_hash = {"secp256r1": hashes.SHA256(), "secp384r1": hashes.SHA384(),
                          "secp521r1": hashes.SHA512()}[key.curve.name]
            return bytes(key.sign(data, ec.ECDSA(curve_hash)))
        return bytes(key.sign(data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                                salt_length=padding.PSS.DIGEST_LENGTH),
                              hashes.SHA256()))


def load_private_key(pem: bytes, source: str) -> PrivateKey:
    return PrivateKey(serialization.load_pem_private_key(pem, None))


@dataclass(frozen=True)
class Signature:
    sig: bytes
    keyid: str | None = None


@dataclass(frozen=True)
class Envelope:
    payload_type: str
    payload: bytes
    signatures: tuple[Signature, ...] = ()

    def add_signature(self, key: PrivateKey) -> Envelope:
        sig = Signature(key.sign(pae(self.payload_type, self.payload)), key.keyid)
        return Envelope(self.payload_type, self.payload, (*self.signatures, sig))

    def to_dict(self) -> dict[str, Any]:
        return {"payloadType": self.payload_type,
                "payload": base64.b64encode(self.payload).decode("ascii"),
                "signatures": [{"keyid": s.keyid or "",
                                "sig": base64.b64encode(s.sig).decode("ascii")}
                               for s in self.signatures]}

    def to_json(self) -> bytes:
        return (json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")

KEY_KINDS = {"alice": "ed25519", "bob": "ecdsa-p256", "carol": "rsa-3072",
             "mallory": "ed25519", "weak": "rsa-1024"}

FILES = {"src/train.py": b"print('training')\n", "model/weights.bin": b"\x00\x01weights\x02",
         "README.md": b"# sig demo\n"}


def key_path(name: str) -> Path:
    return KEYS / f"TEST-ONLY-{name}.{KEY_KINDS[name]}.pem"


def _generate(kind: str) -> bytes:
    priv: Any
    if kind == "ed25519":
        priv = ed25519.Ed25519PrivateKey.generate()
    elif kind == "ecdsa-p256":
        priv = ec.generate_private_key(ec.SECP256R1())
    else:
        priv = rsa.generate_private_key(public_exponent=65537, key_size=int(kind.split("-")[1]))
    pem: bytes = priv.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    return pem


def raw_private(name: str) -> bytes:
    path = key_path(name)
    if not path.exists():
        KEYS.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_generate(KEY_KINDS[name]))
    return path.read_bytes()


def key(name: str) -> PrivateKey:
    return load_private_key(raw_private(name), name)


def public_pem(name: str) -> bytes:
    priv = serialization.load_pem_private_key(raw_private(name), None)
    return priv.public_key().public_bytes(serialization.Encoding.PEM,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)


def manifest(version: str = "1.2.0", name: str = "sig-demo", **extra: Any) -> dict[str, Any]:
    ids = {"src/train.py": "train-code", "model/weights.bin": "weights", "README.md": "readme"}
    kinds = {"src/train.py": "training-code", "model/weights.bin": "weights",
             "README.md": "document"}
    data: dict[str, Any] = {"spec": "rebuildable/0.1", "name": name, "version": version,
                            "license": "Apache-2.0"}
    data.update(extra)
    data["artifacts"] = [{"id": ids[p], "path": p, "kind": kinds[p],
                          "digest": {"sha256": hashlib.sha256(b).hexdigest()}, "size": len(b)}
                         for p, b in FILES.items()]
    data["steps"] = [{"id": "train", "run": "python src/train.py",
                      "inputs": ["train-code"], "outputs": ["weights"]}]
    return data


def sign(payload: bytes, *names: str, payload_type: str = IN_TOTO_PAYLOAD_TYPE) -> Envelope:
    env = Envelope(payload_type, payload)
    for n in names:
        env = env.add_signature(key(n))
    return env


def sigstore_bundle(env: Envelope, name: str) -> bytes:
    """A Sigstore bundle v0.3 around ``env``, keyed by ``name``'s PEM-hash hint."""
    bundle = {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
              "verificationMaterial": {"publicKey": {"hint": key(name).public.bundle_hint},
                                       "tlogEntries": []},
              "dsseEnvelope": env.to_dict()}
    return (json.dumps(bundle, indent=2) + "\n").encode("utf-8")


@dataclass
class Vector:
    name: str
    description: str
    covers: list[str]
    codes: list[str]
    ok: bool
    envelope: Envelope | bytes | None = None
    manifest: dict[str, Any] | str = field(default_factory=manifest)
    keys: list[str] = field(default_factory=lambda: ["alice"])
    threshold: int | None = None
    command: str = "verify"
    extra_files: dict[str, bytes] = field(default_factory=dict)
    release_files: dict[str, bytes] = field(default_factory=dict)
    trust: str | None = None
    omit_files: tuple[str, ...] = ()
    #: expect.findings: finer checks, infos included
    findings: list[dict[str, Any]] = field(default_factory=list)
    #: conditions the harness simulates (spec/conformance/README.md)
    simulate: dict[str, Any] = field(default_factory=dict)

    def vector_json(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if self.keys:
            options["keys"] = [k if "." in k else f"{k}.pub" for k in self.keys]
        if self.threshold is not None:
            options["threshold"] = self.threshold
        if self.trust is not None:
            options["trust"] = self.trust
        out: dict[str, Any] = {"description": self.description, "covers": self.covers}
        if self.command != "validate":
            out["command"] = self.command
        out["options"] = options
        if self.simulate:
            out["simulate"] = self.simulate
        out["expect"] = {"ok": self.ok, "codes": sorted(set(self.codes))}
        if self.findings:
            out["expect"]["findings"] = self.findings
        out["notes"] = ("Made by spec/conformance/make_sig_vectors.py with TEST-ONLY keys; "
                        "do not refresh digests by hand (the signature covers them).")
        return out

    def manifest_text(self) -> str:
        if isinstance(self.manifest, str):
            return self.manifest
        return yaml.safe_dump(self.manifest, sort_keys=False, allow_unicode=True)

    def write(self) -> None:
        folder = VECTORS / self.name
        if folder.exists():
            shutil.rmtree(folder)
        rel = folder / "release"
        rel.mkdir(parents=True)
        for path, data in {**FILES, **self.release_files}.items():
            if path in self.omit_files:
                continue
            (rel / path).parent.mkdir(parents=True, exist_ok=True)
            (rel / path).write_bytes(data)
        (rel / "rebuild.yaml").write_text(self.manifest_text(), encoding="utf-8")
        if self.envelope is not None:
            raw = self.envelope if isinstance(self.envelope, bytes) else self.envelope.to_json()
            (rel / "rebuild.dsse.json").write_bytes(raw)
        for k in self.keys:
            if "." not in k:
                (folder / f"{k}.pub").write_bytes(public_pem(k))
        for path, data in self.extra_files.items():
            (folder / path).write_bytes(data)
        (folder / "vector.json").write_text(json.dumps(self.vector_json(), indent=2) + "\n",
                                            encoding="utf-8")


def _payload(**kw: Any) -> bytes:
    return payload_bytes(manifest(**kw))


def _with_b64(env: Envelope, encode: Callable[[bytes], str]) -> bytes:
    data = {"payloadType": env.payload_type, "payload": encode(env.payload),
            "signatures": [{"keyid": s.keyid or "", "sig": encode(s.sig)} for s in env.signatures]}
    return (json.dumps(data, indent=2) + "\n").encode()


def _url_unpadded(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def _certificate_pem() -> bytes:
    priv = serialization.load_pem_private_key(raw_private("bob"), None)
    assert isinstance(priv, ec.EllipticCurvePrivateKey)
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "TEST-ONLY bob")])
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(priv.public_key()).serial_number(1).not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=3650))
            .sign(priv, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


def vectors() -> list[Vector]:
    good = _payload()
    alice = sign(good, "alice")
    out: list[Vector] = []
    add = out.append

    add(Vector("sig-valid", "A release signed by one trusted Ed25519 key verifies",
               ["SIG-1", "SIG-5", "SIG-6", "SIG-7", "SIG-14"], [], True, alice,
               findings=[{"code": "sig.verified", "count": 1}]))
    add(Vector("sig-valid-ecdsa-rsa",
               "Two signers (ECDSA P-256 and RSA-3072 PSS) meet a threshold of two",
               ["SIG-10", "SIG-13"], [], True, sign(good, "bob", "carol"),
               keys=["bob", "carol"], threshold=2))
    add(Vector("sig-sigstore-bundle",
               "rebuild.dsse.json holds a Sigstore bundle around the signed envelope (as "
               "export --to sigstore-bundle writes it): recognised and verified",
               ["SIG-21"], [], True, sigstore_bundle(alice, "alice")))
    uni = manifest(description="Ünïcödé 🙂 — byte lengths, not characters")
    add(Vector("sig-valid-non-ascii",
               "A manifest with non-ASCII text: PAE and payload lengths are UTF-8 byte lengths",
               ["SIG-5"], [], True, sign(payload_bytes(uni), "alice"), manifest=uni))
    add(Vector("sig-url-safe-base64",
               "URL-safe, unpadded base64 in payload and signature is accepted",
               ["SIG-3"], [], True, _with_b64(alice, _url_unpadded)))
    lying = Envelope(alice.payload_type, alice.payload,
                     (Signature(alice.signatures[0].sig, key("mallory").keyid),))
    add(Vector("sig-keyid-lies",
               "The keyid names another key; the trusted key is still tried and verifies",
               ["SIG-9"], [], True, lying))
    tampered = bytearray(good)
    at = tampered.index(b'"version":"1.2.0"') + len(b'"version":"1.2.')
    tampered[at] = ord("9")
    add(Vector("sig-tampered-payload", "One byte of the signed payload changed",
               ["SIG-11"], ["sig.invalid"], False,
               Envelope(alice.payload_type, bytes(tampered), alice.signatures)))
    bad_sig = bytearray(alice.signatures[0].sig)
    bad_sig[10] ^= 0x01
    add(Vector("sig-tampered-signature", "One bit of the signature flipped",
               ["SIG-11"], ["sig.invalid"], False,
               Envelope(alice.payload_type, alice.payload, (Signature(bytes(bad_sig),
                                                                      alice.signatures[0].keyid),))))
    add(Vector("sig-wrong-key", "Signed by a key that is not trusted",
               ["SIG-11"], ["sig.invalid"], False, sign(good, "mallory"),
               findings=[{"code": "sig.unverified-signature", "count": 1,
                          "pointer": "/signatures/0"}]))
    add(Vector("sig-duplicate-key",
               "The same public key given twice (two files) is one key: threshold 2 is impossible",
               ["SIG-10"], ["sig.bad-threshold"], False, alice,
               keys=["alice", "alice-again.pub"], threshold=2,
               extra_files={"alice-again.pub": public_pem("alice")}))
    add(Vector("sig-threshold-zero", "A threshold of 0 is an error, not a pass",
               ["SIG-10"], ["sig.bad-threshold"], False, alice, threshold=0))
    add(Vector("sig-below-threshold", "One of the two required keys signed",
               ["SIG-11"], ["sig.below-threshold"], False, alice, keys=["alice", "bob"],
               threshold=2))
    add(Vector("sig-same-signature-twice",
               "One key's signature listed twice counts once toward a threshold of two",
               ["SIG-11"], ["sig.below-threshold"], False,
               Envelope(alice.payload_type, alice.payload, alice.signatures * 2),
               keys=["alice", "bob"], threshold=2))
    add(Vector("sig-no-signatures", "An envelope with an empty signature list",
               ["SIG-11"], ["sig.no-signatures"], False, Envelope(IN_TOTO_PAYLOAD_TYPE, good)))
    add(Vector("sig-wrong-payload-type",
               "A valid signature, but over payloadType application/json",
               ["SIG-4"], ["sig.wrong-payload-type"], False,
               sign(good, "alice", payload_type="application/json")))
    slsa = dict(statement(manifest()), predicateType="https://slsa.dev/provenance/v1")
    add(Vector("sig-wrong-predicate-type",
               "A valid signature over an in-toto Statement of another predicate type",
               ["SIG-6"], ["sig.wrong-predicate-type"], False,
               sign(rfc8785.dumps(slsa), "alice")))
    add(Vector("sig-garbage-envelope", "rebuild.dsse.json is not JSON",
               ["SIG-2"], ["sig.malformed-envelope"], False, b"{not json at all\n"))
    dup = alice.to_json().replace(b'"payloadType"', b'"payload": "e30=",\n  "payloadType"', 1)
    add(Vector("sig-duplicate-envelope-key",
               "The envelope JSON holds 'payload' twice (two parsers, two meanings)",
               ["SIG-2"], ["sig.malformed-envelope"], False, dup))
    dup_payload = good[:-1] + b',"predicate":{"name":"evil"}}'
    add(Vector("sig-payload-duplicate-keys",
               "The verified payload holds 'predicate' twice: refused, not last-one-wins",
               ["SIG-8"], ["sig.malformed-payload"], False, sign(dup_payload, "alice")))
    add(Vector("sig-garbage-payload-unverified",
               "An untrusted signature over garbage: the payload is never parsed",
               ["SIG-8"], ["sig.invalid"], False, sign(b"{{{ not json", "mallory")))
    reformatted = ("# Reformatted after signing: other key order, flow style, comments.\n"
                   + yaml.safe_dump(dict(reversed(list(manifest().items()))),
                                    default_flow_style=True, width=60, indent=4))
    add(Vector("sig-reformatted-yaml", "Reformatting the YAML keeps the signature valid",
               ["SIG-12"], [], True, alice, manifest=reformatted))
    add(Vector("sig-changed-value", "Changing one value of the manifest breaks the signature",
               ["SIG-12"], ["sig.payload-mismatch"], False, alice,
               manifest=manifest(**{"x-note": "added after signing"})))
    add(Vector("sig-rollback",
               "A valid signature over an older version (1.1.0) of this release (now 1.2.0)",
               ["SIG-12"], ["sig.payload-mismatch"], False,
               sign(_payload(version="1.1.0"), "alice")))
    add(Vector("sig-other-release", "A valid signature over another release's manifest",
               ["SIG-12"], ["sig.payload-mismatch"], False,
               sign(_payload(name="other-release"), "alice")))
    text = manifest_text_unquoted_version()
    unquoted = manifest(version="1.10")
    add(Vector("sig-unquoted-version",
               "version: 1.10 unquoted is the string '1.10' in the signed data",
               ["SIG-12"], [], True, sign(payload_bytes(unquoted), "alice"), manifest=text))
    add(Vector("sig-subject-file-changed",
               "A shipped file was replaced after signing: its digest no longer matches the "
               "signed subject", ["SIG-7", "SIG-20"], ["sig.subject-mismatch"], False, alice,
               release_files={"README.md": b"# SIG DEMO\n"}))
    add(Vector("sig-subject-file-missing",
               "A signed file was deleted after signing: the signature check alone notices",
               ["SIG-7"], ["sig.subject-mismatch"], False, alice, omit_files=("README.md",)))
    forged = statement(manifest())
    forged["subject"] = forged["subject"][:-1]
    add(Vector("sig-subject-list-forged",
               "The signed subject list omits an artifact that the signed predicate lists",
               ["SIG-7"], ["sig.subject-mismatch"], False, sign(rfc8785.dumps(forged), "alice")))
    add(Vector("sig-rsa-1024", "An RSA-1024 public key is refused as too weak",
               ["SIG-13"], ["sig.bad-key"], False, sign(good, "alice"), keys=["weak"]))
    add(Vector("sig-certificate-as-key",
               "A PEM certificate where a public key is expected is refused",
               ["SIG-13"], ["sig.bad-key"], False, alice, keys=["bob-cert.pem"],
               extra_files={"bob-cert.pem": _certificate_pem()}))
    add(Vector("sig-private-key-as-key",
               "A PEM private key where a public key is expected is refused",
               ["SIG-13"], ["sig.bad-key"], False, alice, keys=["TEST-ONLY-mallory-private.pem"],
               extra_files={"TEST-ONLY-mallory-private.pem": raw_private("mallory")}))
    bob_pem = "\n".join("      " + line for line in public_pem("bob").decode().splitlines())
    policy = ("policy: rebuildable-policy/0.1\nthreshold: 2\nreleases: [sig-*]\nkeys:\n"
              "  - id: alice\n    path: alice.pub\n  - id: bob\n    pem: |\n" + bob_pem + "\n")
    add(Vector("sig-policy-valid",
               "A trust policy (key path + inline key, threshold 2, release names) holds",
               ["SIG-15"], [], True, sign(good, "alice", "bob"), keys=[],
               trust="policy.yaml", extra_files={"policy.yaml": policy.encode(),
                                                 "alice.pub": public_pem("alice")}))
    other = policy.replace("releases: [sig-*]", "releases: [other-*]")
    add(Vector("sig-policy-untrusted-name",
               "The policy's keys signed, but the policy does not cover this release name",
               ["SIG-15"], ["sig.untrusted-name"], False, sign(good, "alice", "bob"), keys=[],
               trust="policy.yaml", extra_files={"policy.yaml": other.encode(),
                                                 "alice.pub": public_pem("alice")}))
    bad = "policy: rebuildable-policy/0.1\nthreshold: 1\nthreshold: 1\nkeys: []\n"
    add(Vector("sig-policy-bad", "A policy file with a duplicate key is refused",
               ["SIG-15"], ["sig.bad-policy"], False, alice, keys=[], trust="policy.yaml",
               extra_files={"policy.yaml": bad.encode()}))
    add(Vector("sig-missing-envelope", "Trusted keys given, no rebuild.dsse.json",
               ["SIG-1"], ["sig.missing-envelope"], False, None))
    add(Vector("sig-validate-with-key",
               "validate --key: a valid signature is part of validation",
               ["SIG-16"], [], True, alice, command="validate"))
    add(Vector("sig-validate-tampered-with-key",
               "validate --key: a broken signature makes validation fail",
               ["SIG-16"], ["sig.payload-mismatch"], False, alice, command="validate",
               manifest=manifest(license="MIT")))
    import blake3  # noqa: PLC0415 - the test extra; only this vector needs it

    b3 = manifest()
    b3["artifacts"][1]["digest"] = {"blake3": blake3.blake3(FILES["model/weights.bin"]).hexdigest()}
    add(Vector("sig-uncheckable-subject",
               "A signed subject pinned by blake3 alone, verified where blake3 cannot be "
               "computed: the signed file cannot be checked, so the release is not verified",
               ["SIG-7"], ["sig.uncheckable-subject"], False, sign(payload_bytes(b3), "alice"),
               manifest=b3, simulate={"unavailable_algorithms": ["blake3"]},
               findings=[{"code": "sig.uncheckable-subject", "count": 1, "artifact": "weights"}]))
    weak = manifest()
    weak_md5 = hashlib.md5(FILES["model/weights.bin"], usedforsecurity=False).hexdigest()
    weak["artifacts"][1]["digest"] = {"md5": weak_md5}
    add(Vector("sig-weak-only-subject",
               "A signed subject pinned by md5 alone: anyone can forge a file with that md5, "
               "so the signed file cannot be checked and the release is not verified",
               ["SIG-7"], ["sig.uncheckable-subject"], False, sign(payload_bytes(weak), "alice"),
               manifest=weak,
               findings=[{"code": "sig.uncheckable-subject", "count": 1, "artifact": "weights"}]))
    twice = manifest()
    twice["artifacts"].append({**twice["artifacts"][1], "id": "weights-again",
                               "digest": {"sha256": "ab" * 32}})
    add(Vector("sig-subject-path-twice",
               "One path listed by two artifacts, the second with a digest the file does not "
               "have: each signed subject is checked, so the second is a mismatch",
               ["SIG-7"], ["sig.subject-mismatch"], False, sign(payload_bytes(twice), "alice"),
               manifest=twice,
               findings=[{"code": "sig.subject-mismatch", "count": 1,
                          "artifact": "weights-again"}]))
    remote = manifest()
    remote["artifacts"].append({"id": "corpus", "uri": "https://data.example.org/corpus.txt",
                                "kind": "dataset", "digest": {"sha256": "cd" * 32},
                                "size": 10})
    add(Vector("sig-external-not-fetched",
               "A signed release with an external artifact, verified without fetching it: "
               "verified, with a warning that its bytes were not checked",
               ["SIG-7"], ["sig.external-not-fetched"], True, sign(payload_bytes(remote), "alice"),
               manifest=remote,
               findings=[{"code": "sig.external-not-fetched", "count": 1},
                         {"code": "sig.verified", "count": 1}]))
    add(Vector("sig-validate-no-key",
               "validate without keys does not judge the envelope (even a bad one)",
               ["SIG-16"], [], True, sign(good, "mallory"), keys=[], command="validate",
               findings=[{"code": "sig.not-checked", "count": 1},
                         {"code": "sig.invalid", "count": 0}]))
    return out


def manifest_text_unquoted_version() -> str:
    text = yaml.safe_dump(manifest(version="1.10"), sort_keys=False)
    return text.replace("version: '1.10'", "version: 1.10")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    planned = vectors()
    if args.check:
        stale = []
        for v in planned:
            folder = VECTORS / v.name
            try:
                same = (json.loads((folder / "vector.json").read_text()) == v.vector_json()
                        and (folder / "release/rebuild.yaml").read_text() == v.manifest_text())
            except OSError:
                same = False
            if not same:
                stale.append(v.name)
        known = {v.name for v in planned}
        extra = [p.name for p in VECTORS.glob("sig-*") if p.name not in known]
        for name in stale + extra:
            print(f"stale: {name}", file=sys.stderr)
        return 1 if stale or extra else 0
    for old in VECTORS.glob("sig-*"):
        shutil.rmtree(old)
    for v in planned:
        v.write()
    print(f"wrote {len(planned)} vectors", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
