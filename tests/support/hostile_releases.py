"""Named hostile releases for the "no false pass" tests (issue 9), built at test time.

Each builder writes one release under a folder and returns its root. The name of the
builder is the name of the asset: a test that fails names the asset it was fed.
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

from rebuildable.api import sign as sign_release
from rebuildable.signing.keys import PrivateKey
from tests.support.releases import make_release, read_manifest, write_manifest

__all__ = [
    "HOSTILE_MARKUP",
    "HOSTILE_URI",
    "artwork_with_flat_source",
    "binary_copied_from_environment",
    "blake3_only_tampered",
    "dataset_copied_not_derived",
    "external_subject_signed",
    "hostile_bundles",
    "licence_with_unlisted_addition",
    "lone_surrogate_json",
    "markup_in_every_free_text_field",
    "path_listed_twice_signed",
    "safetensors_bytes",
    "weak_only_subject_signed",
    "weights_relabelled_as_dataset",
]

#: markup that runs script if a page ever emits it unescaped (in text, in an attribute
#: value of either quote, or in inline SVG)
HOSTILE_MARKUP = ("<script>window.pwned=1</script>\"'><img src=x onerror=\"window.pwned=2\">"
                  "<svg onload=window.pwned=3><a href=\"javascript:window.pwned=4\">&amp;")
#: Markup is no URI ([PATH-11] refuses it); this is what a valid one can still carry.
HOSTILE_URI = ("https://example.org/x'onmouseover='window.pwned=6'(window.pwned=7)"
               "%22%3E%3Cscript%3Ewindow.pwned=8%3C/script%3E")


def blake3_only_tampered(root: Path, key: PrivateKey) -> Path:
    """A release whose artifacts are pinned by blake3 alone, signed, then one file swapped.

    On a machine without blake3 nothing can check the swapped file against its signed
    subject: a verifier that calls this "verified" has been fooled.
    """
    import blake3

    files = {"data/train.csv": b"x,y\n1,2\n", "src/train.py": b"print('train')\n"}
    make_release(root, files, kinds={"src/train.py": "training-code", "data/train.csv": "dataset"})
    data = read_manifest(root)
    for art in data["artifacts"]:
        art["digest"] = {"blake3": blake3.blake3(files[art["path"]]).hexdigest()}
    write_manifest(root / "rebuild.yaml", data)
    sign_release(root, key)
    (root / "data/train.csv").write_bytes(b"x,y\n6,6\n")  # tampered after signing
    return root


def weak_only_subject_signed(root: Path, key: PrivateKey, algorithm: str = "md5") -> Path:
    """A signed release whose data file is pinned by ``algorithm`` (md5 or sha1) alone:
    signed, then the file swapped for one of the same size. Nothing here forges an md5
    collision, but anyone can: a verifier that checks this subject by md5 and calls it
    verified has been fooled in principle, so it must call it uncheckable."""
    import hashlib

    data = b"x,y\n1,2\n"
    make_release(root, {"data/train.csv": data, "src/train.py": b"print('train')\n"})
    manifest = read_manifest(root)
    manifest["artifacts"][0]["digest"] = {algorithm: hashlib.new(algorithm, data).hexdigest()}
    write_manifest(root / "rebuild.yaml", manifest)
    sign_release(root, key, force=True)  # validation refuses a weak-only pin
    return root


def path_listed_twice_signed(root: Path, key: PrivateKey) -> Path:
    """One file listed by two artifacts: the first with its real digest, the second with
    a digest the file does not have. A verifier that checks the path against its first
    subject only calls the second subject verified."""
    make_release(root, {"model/w.bin": b"weights\n"},
                 extra_artifacts=[{"id": "w-again", "path": "model/w.bin", "kind": "other",
                                   "digest": {"sha256": "ab" * 32}, "size": 8}])
    sign_release(root, key, force=True)  # validation refuses the wrong digest
    return root


def external_subject_signed(root: Path, key: PrivateKey) -> Path:
    """A signed release with one external (uri) artifact: its digest is signed, its bytes
    live elsewhere and ``verify`` does not fetch them."""
    make_release(root, {"src/train.py": b"print('train')\n"},
                 extra_artifacts=[{"id": "corpus", "uri": "https://data.example.org/c.txt",
                                   "kind": "dataset", "digest": {"sha256": "cd" * 32},
                                   "size": 10}])
    sign_release(root, key)
    return root


def safetensors_bytes(tensors: dict[str, list[int]] | None = None) -> bytes:
    """A small, well-formed safetensors file of F32 tensors (name -> shape)."""
    header: dict[str, object] = {}
    offset = 0
    for name, shape in (tensors or {"w": [2, 2]}).items():
        n = 4
        for dim in shape:
            n *= dim
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + bytes(offset)


def weights_relabelled_as_dataset(root: Path, profile: str = "ml-model") -> Path:
    """Trained weights shipped as a source and declared ``kind: dataset``, no steps.

    Content sniffing knows the bytes are safetensors weights; the declared kind hides
    them from the ml-model rule that weights are outputs, never sources.
    """
    return make_release(root, {"model/weights.safetensors": safetensors_bytes(),
                               "README.md": b"# a model\n"},
                        kinds={"model/weights.safetensors": "dataset", "README.md": "model-card"},
                        profile=profile, license="Apache-2.0")


def licence_with_unlisted_addition(root: Path,
                                   licence: str = "MIT WITH AdditionRef-NonCommercial") -> Path:
    """A complete ml-model release whose every artifact is under ``MIT WITH`` a
    user-defined addition. An ``AdditionRef-`` is free text: this one's name says it
    forbids commercial use. Judging ``L WITH E`` as ``L`` calls the release open source."""
    files = {"train.py": b"print('train')\n", "data.csv": b"a,b\n1,2\n",
             "config.yaml": b"lr: 0.1\n", "model.safetensors": safetensors_bytes(),
             "env.lock": b"python==3.11\n"}
    kinds = {"train.py": "training-code", "data.csv": "dataset", "config.yaml": "config",
             "model.safetensors": "weights", "env.lock": "environment"}
    step = {"id": "train", "run": "python3 train.py", "environment": "env.lock",
            "inputs": ["train.py", "data.csv", "config.yaml"], "outputs": ["model.safetensors"]}
    return make_release(root, files, [step], kinds=kinds, profile="ml-model", license=licence)


def dataset_copied_not_derived(root: Path) -> Path:
    """A dataset release whose only step is ``cp raw.csv clean.csv``: processing code,
    raw data, a card and an environment are all there, and the "derived" data is the raw
    file byte for byte. A rebuild reproduces it; nothing was derived."""
    raw = b"text,label\ngood,1\n"
    files = {"clean.py": b"print('clean')\n", "raw.csv": raw, "clean.csv": raw,
             "DATA_CARD.md": b"# data\n", "env.lock": b"python==3.11\n"}
    kinds = {"clean.py": "data-processing-code", "raw.csv": "dataset", "clean.csv": "dataset",
             "DATA_CARD.md": "data-card", "env.lock": "environment"}
    step = {"id": "clean", "run": "cp raw.csv clean.csv", "environment": "env.lock",
            "inputs": ["clean.py", "raw.csv"], "outputs": ["clean.csv"]}
    return make_release(root, files, [step], kinds=kinds, profile="dataset", license="CC0-1.0")


def binary_copied_from_environment(root: Path, elf: bytes) -> Path:
    """A software release that ships its program twice: once declared ``environment``
    (which [SW-1] exempts from "binaries are not sources") and once as the output of a
    "build" whose run is ``cp``, with the source code among its inputs ([SW-2])."""
    files = {"main.c": b"int main(void) { return 0; }\n", "toolchain/cc": elf, "hello": elf}
    kinds = {"main.c": "source-code", "toolchain/cc": "environment", "hello": "binary"}
    step = {"id": "build", "run": "cp toolchain/cc hello", "environment": "toolchain-cc",
            "inputs": ["main.c"], "outputs": ["hello"]}
    return make_release(root, files, [step], kinds=kinds, profile="software", license="MIT")


def artwork_with_flat_source(root: Path, name: str, source: bytes, kind: str,
                             png: bytes) -> Path:
    """An artwork release whose "editable" source is flat: a composite-only PSD, an SVG
    that only wraps a PNG in ``<image>``, a plain zip of PNGs named ``.ora``. Its export
    step, environment and licence are all in order: only the source's bytes lie."""
    files = {name: source, "export.py": b"print('export')\n", "out.png": png,
             "env.lock": b"python==3.11\n"}
    kinds = {name: kind, "export.py": "build-script", "out.png": "raster-image",
             "env.lock": "environment"}
    step = {"id": "export", "run": "python3 export.py", "environment": "env.lock",
            "inputs": ["export.py", name], "outputs": ["out.png"]}
    return make_release(root, files, [step], kinds=kinds, profile="artwork",
                        license="CC-BY-4.0")


def lone_surrogate_json(root: Path) -> Path:
    """A ``rebuild.json`` whose name and one path hold lone surrogate escapes.

    JSON's grammar allows ``"\\ud800"``; the decoded string is no Unicode text, so every
    UTF-8 writer (each renderer, the terminal) fails on it, and as a path it matched a
    file whose name is not UTF-8. The file ``a<0x80>.txt`` is there to be matched.
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / "a\udc80.txt").write_bytes(b"a")  # surrogateescape: the byte 0x80
    digest = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
    (root / "rebuild.json").write_text(
        '{"spec": "rebuildable/0.1", "name": "x\\ud800", "version": "1", "license": "MIT",\n'
        ' "artifacts": [{"id": "a", "path": "a\\udc80.txt", "kind": "other", "size": 1,\n'
        f'                "digest": {{"sha256": "{digest}"}}}}]}}\n', encoding="ascii")
    return root


def markup_in_every_free_text_field(root: Path, key: PrivateKey, *,
                                    name: str = "hostile", version: str = "1.0.0") -> Path:
    """A signed release that a registry accepts (warnings only) with
    :data:`HOSTILE_MARKUP` in every field the manifest leaves free: the description, an
    artifact's path (a file of that name is shipped) and description, an upstream pin's
    name, version and description (so also the lineage graph's node label), its URI as
    hostile as [PATH-11] lets a URI be (:data:`HOSTILE_URI`: quotes and parentheses that
    would end an HTML attribute), and an external artifact's ``javascript:`` URI.
    Findings quote the path and the URI, so the markup reaches finding messages too.
    Names, versions, ids, kinds and relations have grammars that allow no markup; a
    licence that is not SPDX is an error (LIC-1), so the licence here is a valid but
    unjudgeable reference.
    """
    hostile_file = "data/" + HOSTILE_MARKUP.replace("/", "_") + ".txt"
    make_release(root, {"src/train.py": b"print('train')\n", hostile_file: b"hostile\n"},
                 kinds={"src/train.py": "training-code"}, ids={hostile_file: "hostile-file"},
                 name=name, version=version, description=HOSTILE_MARKUP,
                 license="LicenseRef-hostile-1.0 AND MIT",
                 extra_artifacts=[{"id": "feed", "uri": "javascript:window.pwned=5",
                                   "kind": "dataset", "size": 1,
                                   "digest": {"sha256": "b" * 64},
                                   "description": HOSTILE_MARKUP}],
                 upstream=[{"id": "base", "relation": "fine-tune-of", "name": HOSTILE_MARKUP,
                            "version": HOSTILE_MARKUP, "description": HOSTILE_MARKUP,
                            "manifest": {"uri": HOSTILE_URI,
                                         "digest": {"sha256": "a" * 64}}}])
    sign_release(root, key)
    return root


def hostile_bundles(bundle: bytes) -> dict[str, tuple[bytes, str, str]]:
    """Sigstore bundles made from a good one (``export --to sigstore-bundle``), each with
    the finding code ``verify --bundle`` must report and the JSON pointer it must name.

    * ``wrong-media-type``: a bundle by its members whose mediaType is no bundle's;
    * ``no-media-type``: the same without a mediaType at all;
    * ``message-signature``: a bundle that signs one file, not a DSSE envelope;
    * ``truncated``: the first half of the bytes (no JSON at all);
    * ``other-payload-type``: the envelope inside claims another payloadType;
    * ``envelope-without-payload``: the envelope inside has no payload;
    * ``bad-signature-base64``: the envelope's signature is no base64;
    * ``no-signatures``: the envelope inside carries no signature.
    """
    good = json.loads(bundle)

    def edit(change: dict[str, object], inner: dict[str, object] | None = None,
             drop: tuple[str, ...] = (), drop_inner: tuple[str, ...] = ()) -> bytes:
        data = json.loads(json.dumps(good))
        data.update(change)
        for key in drop:
            data.pop(key, None)
        data["dsseEnvelope"].update(inner or {})
        for key in drop_inner:
            data["dsseEnvelope"].pop(key, None)
        return json.dumps(data, indent=2).encode()

    message = json.loads(json.dumps(good))
    del message["dsseEnvelope"]
    message["messageSignature"] = {"messageDigest": {"algorithm": "SHA2_256", "digest": ""},
                                   "signature": ""}
    return {
        "wrong-media-type": (edit({"mediaType": "application/json"}),
                             "sig.malformed-envelope", "/mediaType"),
        "no-media-type": (edit({}, drop=("mediaType",)), "sig.malformed-envelope", "/mediaType"),
        "message-signature": (json.dumps(message, indent=2).encode(), "sig.malformed-envelope",
                              "/dsseEnvelope"),
        "truncated": (bundle[: len(bundle) // 2], "sig.malformed-envelope", ""),
        "other-payload-type": (edit({}, {"payloadType": "application/vnd.example+json"}),
                               "sig.wrong-payload-type", "/dsseEnvelope/payloadType"),
        "envelope-without-payload": (edit({}, drop_inner=("payload",)),
                                     "sig.malformed-envelope", "/dsseEnvelope/payload"),
        "bad-signature-base64": (edit({}, {"signatures": [{"keyid": "", "sig": "!!"}]}),
                                 "sig.malformed-envelope", "/dsseEnvelope/signatures/0/sig"),
        "no-signatures": (edit({}, {"signatures": []}), "sig.no-signatures",
                          "/dsseEnvelope/signatures"),
    }


def model_trained_without_its_code(root: Path) -> Path:
    """examples/ml-tiny-sentiment with its training step no longer consuming the training
    code (nor shipping it): ML-2 fails, so the release is not complete, and its short,
    cost-free step once made it "rebuildable in full" all the same."""
    example = Path(__file__).resolve().parents[2] / "examples" / "ml-tiny-sentiment"
    shutil.copytree(example, root, ignore=shutil.ignore_patterns("rebuild.dsse.json"))
    data = read_manifest(root)
    train = next(s for s in data["steps"] if s["id"] == "train")
    train["inputs"] = [i for i in train["inputs"] if i != "train-code"]
    data["artifacts"] = [a for a in data["artifacts"] if a["id"] != "train-code"]
    write_manifest(root / "rebuild.yaml", data)
    return root
