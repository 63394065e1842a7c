#!/usr/bin/env python3
"""Write the core conformance vectors that are easier to generate than to edit by hand:
chains of upstream manifests pinned by digest, JSON with NaN, precedence cases, and the
vectors that need the harness's ``setup`` or ``simulate`` (spec/conformance/README.md).

Usage::

    python spec/conformance/make_core_vectors.py           # (re)write the vectors
    python spec/conformance/make_core_vectors.py --check   # exit 1 when one differs

Standard library only (``blake3`` when installed, for one digest value): a generator
must not lean on the implementation the vectors test.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).resolve().parent / "vectors"
README = b"hello\n"
ZEROS = "0" * 64

Files = dict[str, bytes]  # path inside the vector folder -> bytes


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def blake3_hex(data: bytes) -> str:
    try:
        import blake3  # noqa: PLC0415 - optional: only for a value nobody compares
    except ImportError:
        return "ab" * 32  # well formed; the vector makes blake3 unavailable anyway
    return str(blake3.blake3(data).hexdigest())


def artifact(ident: str, data: bytes | None = None, *, path: str | None = None,
             uri: str | None = None, kind: str = "document", digest: str | None = None,
             size: bool = True) -> str:
    where = f"    path: {json.dumps(path)}" if path is not None else f"    uri: {uri}"
    value = digest if digest is not None else f'{{sha256: "{sha256(data or b"")}"}}'
    lines = [f"  - id: {ident}", where, f"    kind: {kind}", f"    digest: {value}"]
    if size and data is not None:
        lines.append(f"    size: {len(data)}")
    return "\n".join(lines)


def manifest(name: str, artifacts: list[str], tail: str = "", head: str = "") -> bytes:
    text = (f'spec: rebuildable/0.1\nname: {name}\nversion: "1.0.0"\nlicense: MIT\n{head}'
            "artifacts:\n" + "\n".join(artifacts) + "\n" + tail)
    return text.encode()


def vector(description: str, covers: list[str], expect: dict[str, Any],
           **extra: Any) -> bytes:
    expect = {**expect, "codes": sorted(set(expect["codes"]))}
    data = {"description": description, "covers": covers, **extra, "expect": expect}
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


def step(ident: str, inputs: list[str], outputs: list[str]) -> str:
    return (f"  - id: {ident}\n    run: make\n    inputs: [{', '.join(inputs)}]\n"
            f"    outputs: [{', '.join(outputs)}]\n")


OUT = artifact("out", uri="https://example.org/out.txt", digest=f'{{sha256: "{ZEROS}"}}')
UP_URI = (f'  - id: up\n    relation: derived-from\n    manifest: '
          f'{{uri: "https://example.org/up/rebuild.yaml", digest: {{sha256: "{ZEROS}"}}}}\n')


# -- references, paths, integrity ---------------------------------------------------------

def refs_upstream_output() -> Files:
    m = manifest("upstream-output", [artifact("readme", README, path="README.txt")],
                 "steps:\n" + step("s", ["readme"], ["up:weights"]) + "upstream:\n" + UP_URI)
    return {"release/rebuild.yaml": m, "release/README.txt": README, "vector.json": vector(
        "A step cannot produce an upstream's artifact: refs.upstream-output alone, not a "
        "second schema finding for the same value", ["REF-2", "MAN-12"],
        {"ok": False, "codes": ["refs.upstream-output", "upstream.not-resolved"],
         "findings": [{"code": "refs.upstream-output", "count": 1,
                       "pointer": "/steps/0/outputs/0", "step": "s"},
                      {"code": "schema.invalid-value", "count": 0}]})}


def refs_duplicate_reference() -> Files:
    m = manifest("duplicate-reference",
                 [artifact("readme", README, path="README.txt", size=False), OUT],
                 "steps:\n" + step("s", ["readme", "readme"], ["out"])).replace(
                     b'version: "1.0.0"', b"version: 1.0")
    return {"release/rebuild.yaml": m, "release/README.txt": README, "vector.json": vector(
        "A step that lists one input twice gets a warning; the release still passes. The "
        "unquoted version 1.0 stays the string '1.0' (an info), and an artifact without "
        "a size is an info too", ["REF-1", "LOAD-3", "DIG-5"],
        {"ok": True, "codes": ["refs.duplicate-reference"],
         "findings": [{"code": "refs.duplicate-reference", "count": 1,
                       "pointer": "/steps/0/inputs/1"},
                      {"code": "load.unquoted-string", "count": 1, "pointer": "/version"},
                      {"code": "integrity.no-size", "count": 1, "artifact": "readme"},
                      {"code": "completeness.summary", "count": 1}]})}


C1, C2 = b"1\n", b"2\n"


def _replay_release(name: str, tail: str) -> Files:
    m = manifest(name, [artifact("readme", README, path="README.txt"),
                        artifact("c1", C1, path="c1.txt", kind="checkpoint"),
                        artifact("c2", C2, path="c2.txt", kind="checkpoint")], tail)
    return {"release/rebuild.yaml": m, "release/README.txt": README,
            "release/c1.txt": C1, "release/c2.txt": C2}


def refs_checkpoint_not_output() -> Files:
    files = _replay_release(
        "checkpoint-not-output",
        "steps:\n  - id: count\n    run: make\n    inputs: [readme]\n    outputs: [c1]\n"
        "    checkpoints: [c1, c2]\n    replay: \"echo {index} > {out}\"\n")
    files["vector.json"] = vector(
        "The last checkpoint is the step's output: a step whose checkpoints end with an "
        "artifact its outputs do not list is an error, at that checkpoint",
        ["REB-21"],
        {"ok": False, "codes": ["refs.checkpoint-not-output"],
         "findings": [{"code": "refs.checkpoint-not-output", "count": 1, "step": "count",
                       "artifact": "c2", "pointer": "/steps/0/checkpoints/1"}]})
    return files


def refs_replay_without_checkpoints() -> Files:
    files = _replay_release(
        "replay-without-checkpoints",
        "steps:\n  - id: count\n    run: make\n    inputs: [readme]\n    outputs: [c1, c2]\n"
        "    replay: \"echo {index} > {out}\"\n")
    files["vector.json"] = vector(
        "A replay command needs checkpoints to replay: without them it is an error, at "
        "the replay", ["REB-21"],
        {"ok": False, "codes": ["refs.replay-without-checkpoints"],
         "findings": [{"code": "refs.replay-without-checkpoints", "count": 1, "step": "count",
                       "pointer": "/steps/0/replay"}]})
    return files


def path_not_portable() -> Files:
    m = manifest("not-portable", [artifact("aux", README, path="docs/aux.txt",
                                           digest=f'{{sha256: "{sha256(b"other")}"}}')])
    return {"release/rebuild.yaml": m, "release/docs/aux.txt": README, "vector.json": vector(
        "A path Windows cannot create (the reserved name AUX) is a warning that stops "
        "nothing: the file is still verified, and its wrong digest is reported",
        ["PREC-1", "DIG-4"],
        {"ok": False, "codes": ["integrity.digest-mismatch", "path.not-portable"],
         "findings": [{"code": "path.not-portable", "count": 1,
                       "pointer": "/artifacts/0/path", "severity": "warning"}]})}


def path_hardlink() -> Files:
    m = manifest("hardlink", [artifact("a", README, path="a.txt"),
                              artifact("b", README, path="b.txt")])
    return {"release/rebuild.yaml": m, "release/a.txt": README, "vector.json": vector(
        "Two artifacts whose files are hard links of one another: each gets path.hardlink "
        "(a warning) and is still verified", ["PATH-9", "PREC-2"],
        {"ok": True, "codes": ["path.hardlink"],
         "findings": [{"code": "path.hardlink", "count": 2}]},
        setup=[{"op": "hardlink", "path": "b.txt", "target": "a.txt"}])}


def unlisted_special_file() -> Files:
    m = manifest("special-files", [artifact("readme", README, path="README.txt")])
    return {"release/rebuild.yaml": m, "release/README.txt": README, "vector.json": vector(
        "A symbolic link and a FIFO that no artifact names are each unlisted.special-file "
        "(a warning); neither is unlisted.file", ["FILE-1", "PREC-4"],
        {"ok": True, "codes": ["unlisted.special-file"],
         "findings": [{"code": "unlisted.special-file", "count": 2},
                      {"code": "unlisted.file", "count": 0}]},
        setup=[{"op": "symlink", "path": "latest", "target": "README.txt"},
               {"op": "fifo", "path": "pipe"}])}


def integrity_unverified() -> Files:
    m = manifest("unverified", [artifact(
        "readme", README, path="README.txt", digest=f'{{blake3: "{blake3_hex(README)}"}}')])
    return {"release/rebuild.yaml": m, "release/README.txt": README, "vector.json": vector(
        "The only digest is blake3, and blake3 cannot be computed here: the algorithm is "
        "unavailable (a warning) and the file is not verified (an error)", ["DIG-4"],
        {"ok": False, "codes": ["integrity.algorithm-unavailable", "integrity.unverified"]},
        simulate={"unavailable_algorithms": ["blake3"]})}


def integrity_algorithm_unavailable() -> Files:
    digest = f'{{sha256: "{sha256(README)}", blake3: "{blake3_hex(README)}"}}'
    m = manifest("algorithm-unavailable",
                 [artifact("readme", README, path="README.txt", digest=digest)])
    return {"release/rebuild.yaml": m, "release/README.txt": README, "vector.json": vector(
        "blake3 cannot be computed here, but sha256 beside it verifies the file: a warning, "
        "and the release passes", ["DIG-4"],
        {"ok": True, "codes": ["integrity.algorithm-unavailable"],
         "findings": [{"code": "integrity.algorithm-unavailable", "count": 1,
                       "pointer": "/artifacts/0/digest/blake3"}]},
        simulate={"unavailable_algorithms": ["blake3"]})}


def integrity_changed_while_reading() -> Files:
    data = b"line\n" * 200
    m = manifest("changed-while-reading", [artifact("log", data, path="log.txt")])
    return {"release/rebuild.yaml": m, "release/log.txt": data, "vector.json": vector(
        "A file that grows while the validator reads it cannot be verified: "
        "integrity.changed-while-reading, and no digest or size finding", ["DIG-7"],
        {"ok": False, "codes": ["integrity.changed-while-reading"],
         "findings": [{"code": "integrity.changed-while-reading", "count": 1,
                       "artifact": "log"}]},
        simulate={"change_while_reading": ["log.txt"]})}


def integrity_structure_only() -> Files:
    m = manifest("structure-only", [artifact(
        "readme", README, path="README.txt", digest=f'{{sha256: "{sha256(b"other")}"}}')])
    return {"release/rebuild.yaml": m, "release/README.txt": README, "vector.json": vector(
        "A structure-only run checks presence and size but not digests, and says so once",
        ["DIG-5"],
        {"ok": True, "codes": [],
         "findings": [{"code": "integrity.not-hashed", "count": 1, "pointer": None}]},
        options={"hash_files": False})}


def schema_unknown_kind() -> Files:
    m = manifest("unknown-kind", [artifact("readme", README, path="README.txt",
                                           kind="documnet")])
    return {"release/rebuild.yaml": m, "release/README.txt": README, "vector.json": vector(
        "A kind one letter away from a kind of the vocabulary is a warning (a typo no rule "
        "would read); kinds stay open-ended, so the release still passes", ["MAN-9"],
        {"ok": True, "codes": ["schema.unknown-kind"],
         "findings": [{"code": "schema.unknown-kind", "count": 1,
                       "pointer": "/artifacts/0/kind"}]})}


def schema_unknown_relation() -> Files:
    up = (f'  - id: base\n    relation: finetune-of\n    manifest: '
          f'{{uri: "https://example.org/base/rebuild.yaml", digest: {{sha256: "{ZEROS}"}}}}\n')
    m = manifest("unknown-relation", [artifact("readme", README, path="README.txt")],
                 "upstream:\n" + up)
    return {"release/rebuild.yaml": m, "release/README.txt": README, "vector.json": vector(
        "An upstream relation one letter away from a relation of the vocabulary is a "
        "warning (a typo lineage queries would not match); relations stay open-ended",
        ["MAN-11"],
        {"ok": True, "codes": ["schema.unknown-relation", "upstream.not-resolved"],
         "findings": [{"code": "schema.unknown-relation", "count": 1,
                       "pointer": "/upstream/0/relation"}]})}


# -- reading the release ------------------------------------------------------------------

def release_not_found() -> Files:
    return {"vector.json": vector(
        "The validator is given a path that does not exist: a fatal report with one finding",
        ["REP-3"],
        {"ok": False, "fatal": True, "codes": ["release.not-found"],
         "findings": [{"code": "release.not-found", "count": 1}]},
        target="no-such-release")}


def release_unreadable() -> Files:
    junk = bytes(range(256)) * 4
    return {"release.bin": junk, "vector.json": vector(
        "The validator is given a file that is neither a manifest nor a supported archive: "
        "a fatal report", ["REP-3", "ARC-1"],
        {"ok": False, "fatal": True, "codes": ["release.unreadable"]},
        target="release.bin")}


def load_json_nan() -> Files:
    data = {"spec": "rebuildable/0.1", "name": "json-nan", "version": "1.0.0",
            "license": "MIT", "x-score": "NAN", "artifacts": [
                {"id": "readme", "path": "README.txt", "kind": "document",
                 "digest": {"sha256": sha256(README)}, "size": "INF"}]}
    text = json.dumps(data, indent=2).replace('"NAN"', "NaN").replace('"INF"', "Infinity")
    return {"release/rebuild.json": (text + "\n").encode(), "release/README.txt": README,
            "vector.json": vector(
                "JSON NaN and Infinity are not JSON numbers: each is load.number-range, not "
                "fatal; Infinity where the schema wants an integer is also the wrong type",
                ["LOAD-10", "LOAD-11"],
                {"ok": False, "codes": ["load.number-range", "schema.wrong-type"],
                 "findings": [{"code": "load.number-range", "count": 1, "pointer": "/x-score"},
                              {"code": "load.number-range", "count": 1,
                               "pointer": "/artifacts/0/size"},
                              {"code": "schema.wrong-type", "count": 1,
                               "pointer": "/artifacts/0/size"}]})}


# -- precedence ------------------------------------------------------------------------------

def prec_path_text() -> Files:
    src = artifact("src", path="./main.c", kind="source-code",
                   digest=f'{{md5: "{hashlib.md5(b"x", usedforsecurity=False).hexdigest()}"}}')
    m = manifest("path-text", [artifact("readme", README, path="README.txt"), src, OUT],
                 "steps:\n" + step("s", ["readme", "src"], ["out"]))
    return {"release/rebuild.yaml": m, "release/README.txt": README, "vector.json": vector(
        "A source path that breaks a text rule is reported by that rule alone: no "
        "integrity.missing and no completeness.missing-source, though no such file "
        "exists; its digest set is still judged (md5 alone)", ["PREC-1", "COMP-3", "PATH-4"],
        {"ok": False, "codes": ["integrity.weak-only", "path.empty-segment"],
         "findings": [{"code": "integrity.missing", "count": 0},
                      {"code": "completeness.missing-source", "count": 0}]})}


def prec_not_nfc_source() -> Files:
    nfd = unicodedata.normalize("NFD", "café.c")
    src = artifact("src", README, path=nfd, kind="source-code")
    m = manifest("not-nfc-source", [artifact("readme", README, path="README.txt"), src, OUT],
                 "steps:\n" + step("s", ["readme", "src"], ["out"]))
    return {"release/rebuild.yaml": m, "release/README.txt": README, "vector.json": vector(
        "A source path not in NFC is path.not-nfc alone: the missing file is not also "
        "completeness.missing-source", ["PREC-1", "PATH-7"],
        {"ok": False, "codes": ["path.not-nfc"],
         "findings": [{"code": "completeness.missing-source", "count": 0}]})}


def prec_below_file() -> Files:
    m = manifest("below-file", [artifact("readme", README, path="README.txt"),
                                artifact("src", README, path="README.txt/main.c",
                                         kind="source-code"), OUT],
                 "steps:\n" + step("s", ["src"], ["out"]))
    return {"release/rebuild.yaml": m, "release/README.txt": README, "vector.json": vector(
        "A path below a regular file names nothing: integrity.missing, and "
        "completeness.missing-source for the output that needs it", ["PREC-2", "DIG-6"],
        {"ok": False, "codes": ["completeness.missing-source", "integrity.missing"],
         "findings": [{"code": "integrity.missing", "count": 1, "artifact": "src"},
                      {"code": "completeness.unused-source", "count": 1,
                       "artifact": "readme"}]})}


def prec_first_id_wins() -> Files:
    weak = f'{{md5: "{hashlib.md5(b"x", usedforsecurity=False).hexdigest()}"}}'
    m = manifest("first-id-wins", [artifact("data", README, path="README.txt"),
                                   artifact("data", uri="https://example.org/data.csv",
                                            digest=weak), OUT],
                 "steps:\n" + step("s", ["data"], ["out"]))
    return {"release/rebuild.yaml": m, "release/README.txt": README, "vector.json": vector(
        "Two artifacts share an id; references name the first (shipped and pinned), so the "
        "weakly pinned second is no unpinned source", ["PREC-6", "MAN-8"],
        {"ok": False, "codes": ["ids.duplicate", "integrity.weak-only"],
         "findings": [{"code": "completeness.unpinned-source", "count": 0},
                      {"code": "ids.duplicate", "count": 1, "pointer": "/artifacts/1/id"}]})}


def upstream_path_and_pin() -> Files:
    up = (f'  - id: up\n    relation: derived-from\n    manifest: {{path: "../up/rebuild.yaml",'
          f' digest: {{md5: "{hashlib.md5(b"x", usedforsecurity=False).hexdigest()}"}}}}\n')
    m = manifest("path-and-pin", [artifact("readme", README, path="README.txt")],
                 "upstream:\n" + up)
    return {"release/rebuild.yaml": m, "release/README.txt": README, "vector.json": vector(
        "An upstream with an escaping path and a weak pin: both are reported, and nothing "
        "is read", ["PREC-5", "UP-1", "UP-4"],
        {"ok": False, "codes": ["upstream.path-escapes", "upstream.weak-digest"]})}


# -- upstream chains ---------------------------------------------------------------------------

def _chain_release(depth: int, levels: int, name: str) -> tuple[Files, bytes]:
    """A release at ``depth`` whose upstream lives in ``up/``, ``levels`` below it."""
    files: Files = {"README.txt": README}
    tail = ""
    if levels:
        below, below_manifest = _chain_release(depth + 1, levels - 1, name)
        files.update({f"up/{p}": d for p, d in below.items()})
        tail = (f'upstream:\n  - id: up\n    relation: derived-from\n    manifest: '
                f'{{path: "up/rebuild.yaml", digest: {{sha256: "{sha256(below_manifest)}"}}}}\n')
    m = manifest(f"{name}-{depth}", [artifact("readme", README, path="README.txt")], tail)
    files["rebuild.yaml"] = m
    return files, m


def upstream_too_deep() -> Files:
    files, _ = _chain_release(0, 8, "chain")
    out: Files = {f"release/{p}": d for p, d in files.items()}
    out["vector.json"] = vector(
        "A chain of nine releases, one inside the other: the eighth reports "
        "upstream.too-deep for the ninth, and every release above repeats it under "
        "upstream.invalid; the ninth release, never read, covers none of its files",
        ["UP-6", "UP-5", "PREC-5"],
        {"ok": False, "codes": ["unlisted.file", "upstream.invalid", "upstream.too-deep"],
         "findings": [{"code": "upstream.too-deep", "count": 1},
                      {"code": "upstream.invalid", "count": 7},
                      {"code": "unlisted.file", "count": 1, "pointer": None}]})
    return out


def upstream_too_large() -> Files:
    big = manifest("big-upstream", [artifact("readme", README, path="README.txt")],
                   head=f"description: {'x' * 2000}\n")
    up = (f'upstream:\n  - id: up\n    relation: derived-from\n    manifest: '
          f'{{path: "up/rebuild.yaml", digest: {{sha256: "{sha256(big)}"}}}}\n')
    m = manifest("too-large-upstream", [artifact("readme", README, path="README.txt")], up)
    return {"release/rebuild.yaml": m, "release/README.txt": README,
            "release/up/rebuild.yaml": big, "release/up/README.txt": README,
            "vector.json": vector(
                "An upstream manifest beyond the manifest size bound is not read: "
                "upstream.too-large, and its digest is not checked", ["UP-2", "PREC-5"],
                {"ok": False, "codes": ["upstream.too-large", "unlisted.file"],
                 "findings": [{"code": "upstream.too-large", "count": 1, "upstream": "up"},
                              {"code": "upstream.digest-mismatch", "count": 0}]},
                options={"limits": {"max_bytes": 1500}})}


def _many_not_open() -> bytes:
    parts = [artifact(f"part-{i:02d}", uri=f"https://example.org/parts/{i:02d}.txt",
                      digest=f'{{sha256: "{ZEROS}"}}') for i in range(25)]
    return manifest("many-infos", parts).replace(b"license: MIT", b"license: CC-BY-NC-4.0")


def report_folds_infos() -> Files:
    return {"release/rebuild.yaml": _many_not_open(), "vector.json": vector(
        "25 artifacts under a licence that is not open give 25 alike infos: the report "
        "folds them into one openness.not-open finding that counts them", ["REP-5"],
        {"ok": True, "codes": [],
         "findings": [{"code": "openness.not-open", "count": 1, "artifact": None,
                       "pointer": None}]})}


def report_detail() -> Files:
    return {"release/rebuild.yaml": _many_not_open(), "vector.json": vector(
        "With detail, the 25 alike infos are each reported, at their artifact", ["REP-5"],
        {"ok": True, "codes": [],
         "findings": [{"code": "openness.not-open", "count": 25},
                      {"code": "openness.not-open", "count": 1, "artifact": "part-24",
                       "pointer": "/license"}]},
        options={"detail": True})}


# -- shard indexes (spec/shards.md) --------------------------------------------------------

def shard_line(n: int, uri: str | None = None) -> bytes:
    data = f"shard {n}\n".encode()
    uri = uri or f"https://data.example.org/crawl/part-{n:05d}.bin"
    return f"{uri}\t{len(data)}\t{sha256(data)}\n".encode()


GOOD_INDEX = b"".join(shard_line(n) for n in range(3))


def _shard_release(name: str, index: bytes, description: str, covers: list[str],
                   expect: dict[str, Any], *, digest: str | None = None) -> Files:
    pin = None if digest is None else f'{{sha256: "{digest}"}}'
    m = manifest(name, [artifact("readme", README, path="README.txt"),
                        artifact("shards", index, path="shards.tsv", kind="shard-index",
                                 digest=pin)])
    return {"release/rebuild.yaml": m, "release/README.txt": README,
            "release/shards.tsv": index, "vector.json": vector(description, covers, expect)}


def shards_good() -> Files:
    return _shard_release(
        "shards-good", GOOD_INDEX,
        "A shipped shard index of three sorted, well-formed lines: nothing to report, and "
        "nothing is fetched unless asked", ["SHD-2", "SHD-4", "SHD-6"],
        {"ok": True, "codes": [],
         "findings": [{"code": "fetch.verified", "count": 0}]})


def shards_malformed() -> Files:
    index = (shard_line(0) + b"relative/part\t3\t" + ZEROS.encode() + b"\n"
             + shard_line(1).replace(b"\t8\t", b"\t08\t") + shard_line(2)[:-1] + b"\r\n"
             + b"https://data.example.org/crawl/part-00003.bin 8 " + ZEROS.encode() + b"\n"
             + shard_line(4).replace(b"\t8\t", b"\t8\t\t") + shard_line(5)[:-1])
    return _shard_release(
        "shards-malformed", index,
        "Malformed lines, each located by its line number: a relative URI, a size with a "
        "leading zero, a CR before the LF, spaces for tabs, four fields, a last line "
        "without its LF", ["SHD-2"],
        {"ok": False, "codes": ["shards.malformed-line"],
         "findings": [{"code": "shards.malformed-line", "count": 6, "artifact": "shards"},
                      *({"code": "shards.malformed-line", "count": 1, "data": {"line": n}}
                        for n in range(2, 8))]})


def shards_too_long() -> Files:
    index = (shard_line(0) + shard_line(1, "https://data.example.org/" + "a" * 9000)
             + shard_line(2))
    return _shard_release(
        "shards-too-long-line", index,
        "A line longer than 8192 bytes is an error at its line; the lines after it are "
        "still read", ["SHD-3"],
        {"ok": False, "codes": ["shards.too-long-line"],
         "findings": [{"code": "shards.too-long-line", "count": 1, "data": {"line": 2}}]})


def shards_unsorted() -> Files:
    index = shard_line(1) + shard_line(0) + shard_line(2) + shard_line(2)
    return _shard_release(
        "shards-unsorted-duplicate", index,
        "Lines must be sorted by URI bytewise without repeats: line 2 sorts before line 1, "
        "line 4 repeats line 3", ["SHD-4"],
        {"ok": False, "codes": ["shards.duplicate", "shards.unsorted"],
         "findings": [{"code": "shards.unsorted", "count": 1, "data": {"line": 2}},
                      {"code": "shards.duplicate", "count": 1,
                       "data": {"line": 4, "first": 3}}]})


def shards_empty() -> Files:
    return _shard_release(
        "shards-empty", b"",
        "An index that lists no shard pins nothing: an error", ["SHD-5"],
        {"ok": False, "codes": ["shards.empty"]})


def shards_bounded() -> Files:
    index = b"".join(f"bad line {n}\n".encode() for n in range(30))
    return _shard_release(
        "shards-bounded-findings", index,
        "Thirty malformed lines: the first twenty are reported one by one and one more "
        "finding counts the ten left out", ["SHD-7", "SHD-5"],
        {"ok": False, "codes": ["shards.empty", "shards.malformed-line"],
         "findings": [{"code": "shards.malformed-line", "count": 21},
                      {"code": "shards.malformed-line", "count": 1,
                       "data": {"omitted": 10}}]})


def shards_unpinned() -> Files:
    return _shard_release(
        "shards-unpinned", GOOD_INDEX,
        "An index whose bytes are not those its digest pins: the integrity error, and "
        "the shards it lists are pinned by nothing", ["SHD-6"],
        {"ok": False, "codes": ["integrity.digest-mismatch", "shards.unpinned"],
         "findings": [{"code": "shards.unpinned", "count": 1, "artifact": "shards"}]},
        digest=ZEROS)


def shards_external() -> Files:
    m = manifest("shards-external", [
        artifact("readme", README, path="README.txt"),
        artifact("shards", GOOD_INDEX, uri="https://data.example.org/shards.tsv",
                 kind="shard-index")])
    return {"release/rebuild.yaml": m, "release/README.txt": README, "vector.json": vector(
        "A shard index given by uri is not pinned by the release: an error, and nothing it "
        "lists is read", ["SHD-1"],
        {"ok": False, "codes": ["shards.external-index"],
         "findings": [{"code": "shards.external-index", "count": 1,
                       "pointer": "/artifacts/1/uri"}]})}


VECTOR_BUILDERS: dict[str, Callable[[], Files]] = {
    "shards-good": shards_good,
    "shards-malformed": shards_malformed,
    "shards-too-long-line": shards_too_long,
    "shards-unsorted-duplicate": shards_unsorted,
    "shards-empty": shards_empty,
    "shards-bounded-findings": shards_bounded,
    "shards-unpinned": shards_unpinned,
    "shards-external-index": shards_external,
    "core-report-folds-infos": report_folds_infos,
    "core-report-detail": report_detail,
    "core-refs-upstream-output": refs_upstream_output,
    "core-refs-duplicate-reference": refs_duplicate_reference,
    "core-refs-checkpoint-not-output": refs_checkpoint_not_output,
    "core-refs-replay-without-checkpoints": refs_replay_without_checkpoints,
    "core-path-not-portable": path_not_portable,
    "core-path-hardlink": path_hardlink,
    "core-unlisted-special-file": unlisted_special_file,
    "core-integrity-unverified": integrity_unverified,
    "core-integrity-algorithm-unavailable": integrity_algorithm_unavailable,
    "core-integrity-changed-while-reading": integrity_changed_while_reading,
    "core-integrity-structure-only": integrity_structure_only,
    "core-schema-unknown-kind": schema_unknown_kind,
    "core-schema-unknown-relation": schema_unknown_relation,
    "core-release-not-found": release_not_found,
    "core-release-unreadable": release_unreadable,
    "core-load-json-nan": load_json_nan,
    "core-prec-path-text-stops-file-checks": prec_path_text,
    "core-prec-not-nfc-source": prec_not_nfc_source,
    "core-prec-below-a-file": prec_below_file,
    "core-prec-first-id-wins": prec_first_id_wins,
    "core-upstream-path-and-pin": upstream_path_and_pin,
    "core-upstream-too-deep": upstream_too_deep,
    "core-upstream-too-large": upstream_too_large,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the generated core vectors.")
    parser.add_argument("--check", action="store_true", help="exit 1 when a vector differs")
    args = parser.parse_args(argv)
    stale = []
    for name, build in VECTOR_BUILDERS.items():
        folder = VECTORS / name
        files = build()
        wanted = {folder / p for p in files}
        present = {p for p in folder.rglob("*") if p.is_file()} if folder.is_dir() else set()
        differs = [p for p, d in files.items()
                   if not (folder / p).is_file() or (folder / p).read_bytes() != d]
        extra = present - wanted
        if not differs and not extra:
            continue
        stale.append(name)
        if args.check:
            continue
        for old in extra:
            old.unlink()
        for rel, data in files.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(data)
    for name in stale:
        sys.stderr.write(f"{'stale' if args.check else 'wrote'}: {name}\n")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
