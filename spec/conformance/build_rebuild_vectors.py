#!/usr/bin/env python3
# ruff: noqa: E501 - vector descriptions and shell commands read best unwrapped
"""Write the conformance vectors of spec/rebuild.md (``vectors/rebuild-*``).

Every file is made here, byte for byte the same on every run (fixed zip times, numpy
and PNG encodings), with its manifest's digests computed from the bytes written.
Vectors about a wrong digest mark that artifact ``x-conformance-keep: true`` so that
``refresh.py`` leaves it wrong. Needs numpy and Pillow (the ``test`` extra).

Usage::

    python spec/conformance/build_rebuild_vectors.py           # (re)write the vectors
    python spec/conformance/build_rebuild_vectors.py --check   # exit 1 when one differs
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from _support import support
from PIL import Image

_releases = support("releases")
make_release, read_manifest, write_manifest = (
    _releases.make_release, _releases.read_manifest, _releases.write_manifest)

VECTORS = Path(__file__).resolve().parent / "vectors"
#: where vector() writes; --check points it at a temporary folder
STATE = {"out": VECTORS}


def vector(name: str,  # noqa: PLR0917 - one call per vector, read as a table
            description: str, covers: list[str], ok: bool, codes: list[str],
           files: dict[str, bytes], steps: list[dict[str, Any]], *,
           rebuild: dict[str, Any] | None = None, ids: dict[str, str] | None = None,
           extra_artifacts: tuple[dict[str, Any], ...] | list[dict[str, Any]] = (),
           edit: Callable[[dict[str, Any], Path], None] | None = None,
           findings: list[dict[str, Any]] | None = None,
           simulate: dict[str, Any] | None = None,
           **fields: Any) -> None:
    folder = STATE["out"] / name
    if folder.exists():
        shutil.rmtree(folder)
    rel = make_release(folder / "release", files, steps, ids=ids,
                       extra_artifacts=extra_artifacts, name=name, **fields)
    if edit:
        data = read_manifest(rel)
        edit(data, rel)
        write_manifest(rel / "rebuild.yaml", data)
    vec: dict[str, Any] = {"description": description, "covers": covers, "command": "rebuild",
                           "refresh_digests": True,
                           "expect": {"ok": ok, "codes": sorted(set(codes))}}
    if rebuild:
        vec["rebuild"] = rebuild
    if simulate:
        vec["simulate"] = simulate
    if findings:
        vec["expect"]["findings"] = findings
    (folder / "vector.json").write_text(json.dumps(vec, indent=2) + "\n", encoding="utf-8")


def npy(a: Any) -> bytes:
    b = io.BytesIO()
    np.save(b, a, allow_pickle=False)
    return b.getvalue()


def png(a: Any, level: int) -> bytes:
    b = io.BytesIO()
    Image.fromarray(a).save(b, "PNG", compress_level=level)
    return b.getvalue()


def zipb(members: list[tuple[str, bytes]], date: tuple[int, int, int, int, int, int]) -> bytes:
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as zf:
        for n, d in members:
            i = zipfile.ZipInfo(n, date)
            i.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(i, d)
    return b.getvalue()


def build() -> None:
    io_ids = {"src/a.txt": "a", "src/b.txt": "b", "out/ab.txt": "ab"}
    ab = {"src/a.txt": b"alpha\n", "src/b.txt": b"beta\n", "out/ab.txt": b"alpha\nbeta\n"}
    cat = {"id": "cat", "run": "mkdir -p out && cat src/a.txt src/b.txt > out/ab.txt",
           "inputs": ["a", "b"], "outputs": ["ab"]}

    vector("rebuild-reproduced", "A step run from its declared inputs alone makes the published output, byte for byte.",
           ["REB-3", "REB-10", "REB-11", "REB-17"], True, [], ab, [cat], ids=io_ids,
           findings=[{"code": "rebuild.output-reproduced", "count": 1, "artifact": "ab", "step": "cat"}])
    def drop_published(d: dict[str, Any], rel: Path) -> None:
        (rel / "out" / "ab.txt").unlink()
        (rel / "out").rmdir()
    vector("rebuild-reference-unavailable", "The published output is not in the release: the step runs, but there is nothing to compare its output with.",
           ["REB-10"], False, ["rebuild.reference-unavailable", "rebuild.validation-failed"], ab, [cat], ids=io_ids,
           edit=drop_published,
           findings=[{"code": "rebuild.reference-unavailable", "count": 1, "artifact": "ab"}])
    vector("rebuild-no-steps", "A manifest without steps: there is nothing to rebuild, which is a warning, not a failure.",
           ["REB-1"], True, ["rebuild.no-steps"], {"README.txt": b"hello\n"}, [],
           findings=[{"code": "rebuild.no-steps", "count": 1, "pointer": ""}])
    vector("rebuild-undeclared-write", "A step that leaves a file no artifact declares is noted; the declared output still reproduces.",
           ["REB-3"], True, [], ab,
           [{**cat, "run": "mkdir -p out && cat src/a.txt src/b.txt > out/ab.txt && echo scratch > notes.log"}],
           ids=io_ids,
           findings=[{"code": "rebuild.undeclared-write", "count": 1, "step": "cat"},
                     {"code": "rebuild.output-reproduced", "count": 1}])

    def dangling(d: dict[str, Any], rel: Path) -> None:
        d["steps"][0]["inputs"].append("nowhere")
    vector("rebuild-refused", "A step names an input no artifact declares: the manifest is broken, so nothing runs.",
           ["REB-1"], False, ["rebuild.refused", "refs.dangling-input"], ab,
           [{**cat, "run": "mkdir -p out && cat src/a.txt src/b.txt > out/ab.txt && echo ran > ../ran"}],
           ids=io_ids, edit=dangling)

    def tamper_out(d: dict[str, Any], rel: Path) -> None:
        (rel / "out/ab.txt").write_bytes(b"alpha\nBETA\n")
        d["artifacts"][2]["x-conformance-keep"] = True
    vector("rebuild-output-digest-mismatch", "The shipped output no longer matches its digest: not a reason to refuse; the rebuild compares against the shipped bytes and finds them different, and the failed validation fails the rebuild too.",
           ["REB-1", "REB-10"], False, ["rebuild.output-differs", "rebuild.validation-failed"], ab, [cat], ids=io_ids, edit=tamper_out)

    def tamper_src(d: dict[str, Any], rel: Path) -> None:
        (rel / "src/b.txt").write_bytes(b"BETA\n")
        d["artifacts"][1]["x-conformance-keep"] = True
    vector("rebuild-tampered-source", "A source's bytes do not match its declared digest: it is never given to the step.",
           ["REB-5", "REB-1"], False, ["rebuild.input-unavailable", "rebuild.validation-failed"], ab, [cat], ids=io_ids, edit=tamper_src)

    escape = ("mkdir -p out && printf 'honest\\n' > out/x.txt; "
              "for up in .. ../.. ../../.. ../../../..; do mkdir -p $up/published 2>/dev/null "
              "&& cp out/x.txt $up/published/x 2>/dev/null; done; true")
    vector("rebuild-escape-published", "The shipped output is not what the step makes; the step also writes its own output where a rebuilder might keep its copy of the published one (../../../published/ID). Nothing a step can write is ever trusted: the output differs.",
           ["REB-3", "REB-10"], False, ["rebuild.output-differs"], {"out/x.txt": b"backdoor\n"},
           [{"id": "build", "inputs": [], "outputs": ["x"], "run": escape}], ids={"out/x.txt": "x"})
    vector("rebuild-validation-failed", "A rebuild whose steps all reproduce still fails when static validation fails (here: a licence that is not a valid SPDX expression).",
           ["REB-1"], False, ["rebuild.validation-failed"], ab, [cat], ids=io_ids, license="MIT AND (")

    vector("rebuild-isolation-none", "--isolation none, asked for explicitly: the step runs unconfined and the report says what REB-3 asks that was not enforced (a warning).",
           ["REB-19", "REB-17"], True, ["rebuild.isolation-weak"], ab, [cat], ids=io_ids, rebuild={"isolation": "none"})
    vector("rebuild-output-too-large", "An output over the output size bound (here 8 bytes) is refused before it is copied, and not compared.",
           ["REB-20"], False, ["rebuild.output-too-large"], {"out/big.txt": b"0123456789\n"},
           [{"id": "big", "inputs": [], "outputs": ["big"], "run": "mkdir -p out && echo 0123456789 > out/big.txt"}],
           ids={"out/big.txt": "big"}, rebuild={"max_output_size": 8})

    ckpts = {"c1.txt": b"1\n", "c2.txt": b"2\n", "c3.txt": b"3\n"}
    ckpt_ids = {"c1.txt": "c1", "c2.txt": "c2", "c3.txt": "c3"}
    count = {"id": "count", "inputs": [], "outputs": ["c3"], "checkpoints": ["c1", "c2", "c3"],
             "run": "for i in 1 2 3; do echo $i > c$i.txt; done",
             "replay": "echo $(( {index} + 1 )) > {out}",
             "cost": {"hardware": "a shell", "hours": 0.0001}}
    vector("rebuild-sample-reproduced", "--sample 3: every segment of a counting step is replayed from the checkpoint before it and reproduces the published one.",
           ["REB-21", "REB-22", "REB-23"], True, [], ckpts, [count], ids=ckpt_ids, rebuild={"sample": 3, "seed": 0},
           findings=[{"code": "rebuild.sample-summary", "count": 1, "severity": "info", "pointer": None,
                      "data": {"seed": 0, "segments": 3, "replayed": 3, "fabricated_at_most": 0}}])
    vector("rebuild-sample-tampered", "--sample 3: the middle checkpoint was replaced (its digest matches the new bytes, so validation passes); replaying the segment that makes it shows the difference.",
           ["REB-21", "REB-23"], False, ["rebuild.output-differs"], {**ckpts, "c2.txt": b"9\n"}, [count], ids=ckpt_ids,
           rebuild={"sample": 3, "seed": 0})
    vector("rebuild-sample-unavailable", "--sample on a release whose steps declare no checkpoints and replay command: an error, nothing replayed.",
           ["REB-21"], False, ["rebuild.sample-unavailable"], ab, [cat], ids=io_ids, rebuild={"sample": 2, "seed": 0})
    vector("rebuild-replay-placeholder", "A replay command that never writes {out}: the manifest is broken, so nothing runs.",
           ["REB-1", "REB-21"], False, ["rebuild.refused", "refs.replay-placeholder"], ckpts,
           [{**count, "replay": "echo {index} > c1.txt"}], ids=ckpt_ids)

    vector("rebuild-environment-unusable-lock", "The step's environment is a pylock.toml without a lock-version: not a usable lock, so the environment is not built and the step does not run.",
           ["REB-24"], False, ["rebuild.environment-failed"], {"pylock.toml": b'created-by = "hand"\n', "out.txt": b"x\n"},
           [{"id": "use", "inputs": ["lock"], "outputs": ["out"], "environment": "lock", "run": "echo x > out.txt"}],
           ids={"pylock.toml": "lock", "out.txt": "out"})

    vector("rebuild-hidden-dependency", "The step reads a shipped file it does not declare as an input: the file is not in its work folder, and the step fails.",
           ["REB-3"], False, ["rebuild.step-failed"], ab,
           [{**cat, "inputs": ["a"]}], ids=io_ids)

    chain = {"a.txt": b"A\n", "mid.txt": b"A\nA\n", "final.txt": b"A\nA\nA\nA\n"}
    chain_ids = {"a.txt": "a", "mid.txt": "mid", "final.txt": "final"}
    second = {"id": "second", "run": "cat mid.txt mid.txt > final.txt", "inputs": ["mid"], "outputs": ["final"]}
    first = {"id": "first", "run": "cat a.txt a.txt > mid.txt", "inputs": ["a"], "outputs": ["mid"]}
    vector("rebuild-dependency-order", "Steps listed consumer first run in dependency order; the consumer gets the rebuilt intermediate.",
           ["REB-2"], True, [], chain, [second, first], ids=chain_ids)
    vector("rebuild-failed-step-skips-dependants", "The first step exits non-zero: it is reported with its status, and the step that needs its output is skipped.",
           ["REB-2", "REB-9"], False, ["rebuild.step-failed", "rebuild.step-skipped"], chain,
           [second, {**first, "run": "echo 'no compiler here' >&2; exit 7"}], ids=chain_ids)
    vector("rebuild-step-only", "--step second: the intermediate made by another step is taken as shipped, verified by digest.",
           ["REB-16"], True, [], chain, [second, first], ids=chain_ids, rebuild={"step": "second"})
    def tamper_mid(d: dict[str, Any], rel: Path) -> None:
        (rel / "mid.txt").write_bytes(b"B\nB\n")
        d["artifacts"][1]["x-conformance-keep"] = True
    vector("rebuild-step-only-tampered-intermediate", "--step second with a shipped intermediate that does not match its digest: unavailable, not used.",
           ["REB-5", "REB-16", "REB-1"], False, ["rebuild.input-unavailable", "rebuild.validation-failed"], chain, [second, first], ids=chain_ids,
           rebuild={"step": "second"}, edit=tamper_mid)

    corpus = b"external corpus\n"
    ext = {"id": "corpus", "uri": "https://data.example.org/corpus.txt", "kind": "dataset",
           "digest": {"sha256": hashlib.sha256(corpus).hexdigest()}, "size": len(corpus)}
    vector("rebuild-external-unavailable", "An external input is neither in --inputs-dir nor fetched: the step is not rebuildable offline and its dependant is skipped.",
           ["REB-4"], False, ["rebuild.input-unavailable", "rebuild.step-skipped"],
           {"copy.txt": corpus, "twice.txt": corpus * 2},
           [{"id": "copy", "run": "cp external/corpus/corpus.txt copy.txt", "inputs": ["corpus"], "outputs": ["copy"]},
            {"id": "double", "run": "cat copy.txt copy.txt > twice.txt", "inputs": ["copy"], "outputs": ["twice"]}],
           ids={"copy.txt": "copy", "twice.txt": "twice"}, extra_artifacts=[ext])

    # upstream inside the release
    up_files = {"w.bin": b"base weights\n"}
    def upstream_edit(d: dict[str, Any], rel: Path) -> None:
        up = make_release(rel / "upstream/base", up_files, ids={"w.bin": "weights"}, name="base")
        digest = hashlib.sha256((up / "rebuild.yaml").read_bytes()).hexdigest()
        d["upstream"] = [{"id": "base", "relation": "fine-tune-of",
                          "manifest": {"path": "upstream/base/rebuild.yaml", "digest": {"sha256": digest}}}]
        d["artifacts"] += [
            {"id": "base-manifest", "path": "upstream/base/rebuild.yaml", "kind": "other", "digest": {"sha256": digest}},
            {"id": "base-weights", "path": "upstream/base/w.bin", "kind": "weights",
             "digest": {"sha256": hashlib.sha256(up_files["w.bin"]).hexdigest()}, "size": len(up_files["w.bin"])}]
    vector("rebuild-upstream-input", "An upstream input is taken from the pinned upstream manifest shipped inside the release.",
           ["REB-4"], True, [], {"tuned.bin": b"base weights\ntuned\n"},
           [{"id": "tune", "run": "cat upstream/base/w.bin > tuned.bin && echo tuned >> tuned.bin",
             "inputs": ["base:weights"], "outputs": ["tuned"]}], ids={"tuned.bin": "tuned"}, edit=upstream_edit)

    env_out = b"HOME\nLANG\nPATH\nSOURCE_DATE_EPOCH\nTMPDIR\nTZ\nC.UTF-8 UTC 315532800\nhome-inside tmp-inside\n"
    vector("rebuild-environment", "A step sees only PATH, HOME, TMPDIR, LANG, TZ and SOURCE_DATE_EPOCH (plus what /bin/sh adds), with HOME and TMPDIR inside its work folder.",
           ["REB-6", "REB-7"], True, [], {"env.txt": env_out},
           [{"id": "env", "inputs": [], "outputs": ["env"],
             "run": "env | cut -d= -f1 | grep -v -x -e PWD -e SHLVL -e OLDPWD -e _ | LC_ALL=C sort > e.tmp && "
                    "printf '%s %s %s\\n' \"$LANG\" \"$TZ\" \"$SOURCE_DATE_EPOCH\" >> e.tmp && "
                    "here=$(pwd) && case \"$HOME\" in \"$here\"/*) h=home-inside;; *) h=home-outside;; esac && "
                    "case \"$TMPDIR\" in \"$here\"/*) t=tmp-inside;; *) t=tmp-outside;; esac && "
                    "echo \"$h $t\" >> e.tmp && mv e.tmp env.txt"}],
           ids={"env.txt": "env"})
    sde_field: dict[str, Any] = {"x-source-date-epoch": 1234567890}
    vector("rebuild-source-date-epoch", "x-source-date-epoch sets SOURCE_DATE_EPOCH for the steps.",
           ["REB-7"], True, [], {"sde.txt": b"1234567890\n"},
           [{"id": "sde", "inputs": [], "outputs": ["sde"], "run": "echo \"$SOURCE_DATE_EPOCH\" > sde.txt"}],
           ids={"sde.txt": "sde"}, **sde_field)
    vector("rebuild-timeout", "A step that hangs is killed with its process group when its time limit (1 s here) runs out.",
           ["REB-8"], False, ["rebuild.step-timeout"], {"never.txt": b"never\n"},
           [{"id": "hang", "inputs": [], "outputs": ["never"], "run": "sleep 60 & sleep 60; echo never > never.txt"}],
           ids={"never.txt": "never"}, rebuild={"timeout": 1})
    vector("rebuild-output-differs", "The rebuilt output differs from the published one (exact policy).",
           ["REB-10", "REB-11"], False, ["rebuild.output-differs"], {"v.txt": b"version 1.0.0\n"},
           [{"id": "v", "inputs": [], "outputs": ["v"], "run": "echo 'version 1.0.1' > v.txt"}], ids={"v.txt": "v"})
    vector("rebuild-output-missing", "The step exits 0 but does not produce its declared output.",
           ["REB-10"], False, ["rebuild.output-missing"], {"v.txt": b"v\n"},
           [{"id": "v", "inputs": [], "outputs": ["v"], "run": "echo v > other.txt"}], ids={"v.txt": "v"})
    vector("rebuild-text-equivalent", "CRLF line endings, trailing blanks and a trailing empty line are accepted by the text policy.",
           ["REB-12"], True, [], {"notes.txt": b"one\ntwo\n"},
           [{"id": "t", "inputs": [], "outputs": ["notes"], "run": "printf 'one  \\r\\ntwo\\t\\r\\n\\r\\n' > notes.txt",
             "equivalence": {"notes": "text"}}], ids={"notes.txt": "notes"},
           findings=[{"code": "rebuild.output-equivalent", "count": 1, "artifact": "notes",
                      "pointer": "/steps/0/equivalence"}])
    vector("rebuild-text-differs", "Leading whitespace counts under the text policy.",
           ["REB-12"], False, ["rebuild.output-differs"], {"notes.txt": b"one\ntwo\n"},
           [{"id": "t", "inputs": [], "outputs": ["notes"], "run": "printf 'one\\n  two\\n' > notes.txt",
             "equivalence": {"notes": "text"}}], ids={"notes.txt": "notes"})

    base = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    noisy = base.copy()
    noisy[2, 1] += np.float32(3e-6)
    num = {"src/noisy.npy": npy(noisy), "model/w.npy": npy(base)}
    num_ids = {"src/noisy.npy": "noisy", "model/w.npy": "w"}
    def step_num(pol: Any) -> list[dict[str, Any]]:
        return [{"id": "fit", "inputs": ["noisy"], "outputs": ["w"],
                 "run": "mkdir -p model && cp src/noisy.npy model/w.npy", "equivalence": {"w": pol}}]
    vector("rebuild-numeric-equivalent", "Weights that differ by floating-point noise pass the numeric policy (needs numpy).",
           ["REB-13"], True, [], num, step_num({"numeric": {"rtol": 1e-5, "atol": 1e-8}}), ids=num_ids)
    vector("rebuild-numeric-comparator-unavailable", "The bytes differ and the numeric policy's library is missing here: the output cannot be judged, an error.",
           ["REB-13"], False, ["rebuild.comparator-unavailable"], num,
           step_num({"numeric": {"rtol": 1e-5, "atol": 1e-8}}), ids=num_ids,
           simulate={"unavailable_comparators": ["numeric"]})
    vector("rebuild-numeric-differs", "The same noise is beyond a tighter tolerance.",
           ["REB-13"], False, ["rebuild.output-differs"], num, step_num({"numeric": {"rtol": 0, "atol": 1e-7}}), ids=num_ids)

    grad = np.tile(np.arange(48, dtype=np.uint8)[None, :, None] * 5, (16, 1, 3))
    off = grad.copy()
    off[3, 4, 2] += 3
    img = {"src/render.png": png(grad, 1), "src/off.png": png(off, 9), "art.png": png(grad, 9)}
    img_ids = {"src/render.png": "render", "src/off.png": "off", "art.png": "art"}
    vector("rebuild-image-equivalent", "The same pixels encoded at another PNG compression level pass the image policy (needs Pillow).",
           ["REB-14"], True, [], img,
           [{"id": "export", "inputs": ["render"], "outputs": ["art"], "run": "cp src/render.png art.png",
             "equivalence": {"art": "image"}}], ids=img_ids)
    vector("rebuild-image-differs", "One pixel off by 3 is beyond tolerance 2.",
           ["REB-14"], False, ["rebuild.output-differs"], img,
           [{"id": "export", "inputs": ["off"], "outputs": ["art"], "run": "cp src/off.png art.png",
             "equivalence": {"art": {"image": {"tolerance": 2}}}}], ids=img_ids)

    members = [("a.txt", b"alpha\n"), ("dir/b.txt", b"beta\n")]
    arc = {"src/pack.zip": zipb(members[::-1], (2024, 2, 3, 4, 5, 6)),
           "src/bad.zip": zipb([("a.txt", b"alphA\n"), members[1]], (2020, 1, 1, 0, 0, 0)),
           "dist/pack.zip": zipb(members, (1980, 1, 1, 0, 0, 0))}
    arc_ids = {"src/pack.zip": "pack-src", "src/bad.zip": "bad-src", "dist/pack.zip": "pack"}
    vector("rebuild-archive-equivalent", "A zip with the same members in another order with other timestamps passes the archive policy.",
           ["REB-15"], True, [], arc,
           [{"id": "pack", "inputs": ["pack-src"], "outputs": ["pack"], "run": "mkdir -p dist && cp src/pack.zip dist/pack.zip",
             "equivalence": {"pack": "archive"}}], ids=arc_ids)
    vector("rebuild-archive-differs", "A member's content differs: the archive policy refuses it.",
           ["REB-15"], False, ["rebuild.output-differs"], arc,
           [{"id": "pack", "inputs": ["bad-src"], "outputs": ["pack"], "run": "mkdir -p dist && cp src/bad.zip dist/pack.zip",
             "equivalence": {"pack": "archive"}}], ids=arc_ids)

    vector("rebuild-twice-nondeterministic", "--twice: a step that writes random bytes gives different outputs in two runs.",
           ["REB-18"], False, ["rebuild.nondeterministic", "rebuild.output-differs"], {"r.txt": b"0\n"},
           [{"id": "r", "inputs": [], "outputs": ["r"], "run": "od -An -N16 -tx1 /dev/urandom > r.txt"}],
           ids={"r.txt": "r"}, rebuild={"twice": True})
    vector("rebuild-twice-deterministic", "--twice: a deterministic step gives the same bytes in both runs.",
           ["REB-18"], True, [], ab, [cat], ids=io_ids, rebuild={"twice": True})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a vector is stale")
    args = parser.parse_args()
    if not args.check:
        build()
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        STATE["out"] = Path(tmp)
        build()
        stale = []
        for folder in sorted(STATE["out"].iterdir()):
            if _differs(folder, VECTORS / folder.name):
                stale.append(folder.name)
    for name in stale:
        print(f"stale: {name}", file=sys.stderr)
    return 1 if stale else 0


def _files(root: Path) -> dict[str, bytes]:
    """Every regular file under root by its relative path. Folders count only through the
    files in them: git keeps no empty folder, so a clean clone has none to compare."""
    if not root.is_dir():
        return {}
    return {p.relative_to(root).as_posix():
            b"-> " + str(p.readlink()).encode() if p.is_symlink() else p.read_bytes()
            for p in root.rglob("*") if p.is_symlink() or p.is_file()}


def _differs(made: Path, committed: Path) -> bool:
    return _files(made) != _files(committed)


if __name__ == "__main__":
    sys.exit(main())
