"""Writes the remote-integrity vectors (spec/remote.md) under spec/conformance/remote/.

Each vector is ``vector.json``, a ``release/`` whose manifest names external artifacts
through two tokens the harness replaces before validating, and the ``files/`` those
artifacts' bytes come from:

* ``@FILES@``: the ``file://`` URI of the vector's ``files/`` folder;
* ``@SERVER@``: ``http://127.0.0.1:PORT`` of an HTTP server on loopback that serves
  ``files/`` with the behaviours of spec/conformance/README.md ("Remote vectors");
* ``@TLS_SERVER@``: ``https://127.0.0.1:PORT`` of the same server behind a certificate
  that no trust store knows.

Uses only the standard library: the generator must not depend on the implementation
it tests.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent / "remote"
DATA = bytes(range(256)) * 64  # 16 KiB
OTHER = b"other bytes\n" * 100


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def art(ident: str, uri: str, data: bytes, **over: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": ident, "uri": uri, "kind": "dataset",
                           "digest": {"sha256": sha(data)}, "size": len(data)}
    out.update(over)
    return out


def manifest(name: str, externals: list[dict[str, Any]]) -> str:
    readme = b"remote vector\n"
    data = {"spec": "rebuildable/0.1", "name": name, "version": "1.0.0",
            "license": "CC0-1.0",
            "artifacts": [{"id": "readme", "path": "README", "kind": "document",
                           "digest": {"sha256": sha(readme)}, "size": len(readme)},
                          *externals]}
    return json.dumps(data, indent=2) + "\n"


INDEX = "shards.tsv"


def shard_index_artifact() -> dict[str, Any]:
    """A shipped shard index whose pins the harness fills in once it has replaced the
    tokens inside the index (spec/conformance/README.md, "Remote vectors")."""
    return {"id": "shards", "path": INDEX, "kind": "shard-index",
            "digest": {"sha256": f"@SHA256:{INDEX}@"}, "size": f"@SIZE:{INDEX}@"}


def shard_index(*shards: tuple[Any, ...]) -> bytes:
    """Lines ``URI<TAB>size<TAB>sha256`` for (uri, bytes[, size]), in the order given."""
    lines = []
    for uri, data, *size in shards:
        declared = size[0] if size else len(data)
        lines.append(f"{uri}\t{declared}\t{sha(data)}\n")
    return "".join(lines).encode()


VECTORS: dict[str, dict[str, Any]] = {
    "remote-verified": {
        "description": "Two external artifacts, one file:// and one http://, whose bytes "
                       "match their pins: streamed, hashed, verified.",
        "covers": ["FET-1", "FET-2"],
        "externals": [art("a", "@FILES@/a.bin", DATA), art("b", "@SERVER@/files/a.bin", DATA)],
        "expect": {"ok": True, "codes": [],
                   "findings": [{"code": "fetch.verified", "count": 1}]},
    },
    "remote-digest-mismatch": {
        "description": "The served bytes have the declared size but another digest.",
        "covers": ["FET-5"],
        "externals": [art("a", "@SERVER@/files/b.bin", DATA, size=len(OTHER))],
        "expect": {"ok": False, "codes": ["fetch.digest-mismatch"],
                   "findings": [{"code": "fetch.verified", "count": 0}]},
    },
    "remote-size-endless": {
        "description": "A body that never ends: reading stops one byte past the declared "
                       "size and the artifact is a size mismatch, not a hang.",
        "covers": ["FET-3", "FET-4"],
        "externals": [art("a", "@SERVER@/endless", DATA[:100])],
        "expect": {"ok": False, "codes": ["fetch.size-mismatch"]},
    },
    "remote-size-shorter": {
        "description": "The file is shorter than declared: a size mismatch; no digest is "
                       "compared.",
        "covers": ["FET-4"],
        "externals": [art("a", "@FILES@/a.bin", DATA, size=len(DATA) + 1)],
        "expect": {"ok": False, "codes": ["fetch.size-mismatch"]},
    },
    "remote-not-found": {
        "description": "The URI names nothing, over HTTP (404) and as a file.",
        "covers": ["FET-6"],
        "externals": [art("a", "@SERVER@/files/none.bin", DATA),
                      art("b", "@FILES@/none.bin", DATA)],
        "expect": {"ok": False, "codes": ["fetch.not-found"]},
    },
    "remote-unsupported": {
        "description": "A scheme no reader exists for is an error, not a silent pass.",
        "covers": ["FET-6"],
        "externals": [art("a", "nosuchscheme://bucket/key", DATA)],
        "expect": {"ok": False, "codes": ["fetch.unsupported"]},
    },
    "remote-unverified": {
        "description": "An external artifact pinned by md5 alone is never read: nothing it "
                       "could be compared with proves anything.",
        "covers": ["FET-1"],
        "externals": [{"id": "a", "uri": "@SERVER@/files/a.bin", "kind": "dataset",
                       "digest": {"md5": hashlib.md5(DATA).hexdigest()},  # noqa: S324
                       "size": len(DATA)}],
        "expect": {"ok": False, "codes": ["fetch.unverified", "integrity.weak-only"],
                   "requests": 0},
    },
    "remote-resume": {
        "description": "The first transfer breaks off half-way; the validator resumes "
                       "from the byte it reached and the artifact verifies.",
        "covers": ["FET-7"],
        "externals": [art("a", "@SERVER@/drop/a.bin", DATA)],
        "expect": {"ok": True, "codes": []},
    },
    "remote-redirect": {
        "description": "A redirect to another host name: reported, and the bytes still "
                       "checked.",
        "covers": ["FET-8"],
        "externals": [art("a", "@SERVER@/redirect/a.bin", DATA)],
        "expect": {"ok": True, "codes": ["fetch.redirected"]},
    },
    "remote-interrupted": {
        "description": "Every transfer breaks off after 1 KiB more than asked for: resumed "
                       "attempts run out and the artifact is not verified.",
        "covers": ["FET-6", "FET-7"],
        "externals": [art("a", "@SERVER@/cut/a.bin", DATA)],
        "expect": {"ok": False, "codes": ["fetch.interrupted"]},
    },
    "remote-http-error": {
        "description": "The server refuses (HTTP 403): an error, and not retried as if "
                       "it were transient.",
        "covers": ["FET-6"],
        "externals": [art("a", "@SERVER@/forbidden/a.bin", DATA)],
        "expect": {"ok": False, "codes": ["fetch.http-error"], "requests": 1},
    },
    "remote-tls-error": {
        "description": "An https server whose certificate no trust store knows: a TLS "
                       "error, never a pass and never retried.",
        "covers": ["FET-6"],
        "externals": [art("a", "@TLS_SERVER@/files/a.bin", DATA)],
        "expect": {"ok": False, "codes": ["fetch.tls-error"]},
    },
    "remote-cluster-unreachable": {
        "description": "Distributed fetching with a cluster that cannot be reached: every "
                       "external artifact is an error, not a silent pass.",
        "covers": ["FET-6"],
        "externals": [art("a", "@SERVER@/files/a.bin", DATA)],
        "options": {"dask": "tcp://127.0.0.1:9", "fetch_options": {"timeout": 2.0}},
        "expect": {"ok": False, "codes": ["fetch.distributed-failed"]},
    },
    "remote-shards-verified": {
        "description": "A shard index of two shards, one file:// and one http://: both "
                       "streamed through the fetching rules, verified, and counted for the "
                       "index.",
        "covers": ["SHD-8"],
        "externals": [shard_index_artifact()],
        "release_files": {INDEX: shard_index(("@FILES@/a.bin", DATA),
                                              ("@SERVER@/files/a.bin", DATA))},
        "expect": {"ok": True, "codes": [],
                   "findings": [{"code": "fetch.verified", "count": 1,
                                 "data": {"index": "shards", "verified": 2, "fetched": 2}}]},
    },
    "remote-shards-digest-mismatch": {
        "description": "A shard index whose second shard has the declared size but another "
                       "digest: a fetch error located at that line of the index.",
        "covers": ["SHD-8", "FET-5"],
        "externals": [shard_index_artifact()],
        "release_files": {INDEX: shard_index(("@SERVER@/files/a.bin", DATA),
                                              ("@SERVER@/files/b.bin", DATA, len(OTHER)))},
        "expect": {"ok": False, "codes": ["fetch.digest-mismatch"],
                   "findings": [{"code": "fetch.digest-mismatch", "count": 1,
                                 "artifact": "shards", "data": {"line": 2}},
                                {"code": "fetch.verified", "count": 1,
                                 "data": {"verified": 1, "fetched": 2}}]},
    },
    "remote-credentials": {
        "description": "A URI with a password and a token in its query: the host refuses "
                       "connections, and no finding shows either secret.",
        "covers": ["FET-6", "FET-9"],
        "externals": [art("a", "http://alice:pw-VERYSECRET@127.0.0.1:9/x?token=TOKEN-SECRET",
                          DATA)],
        "options": {"fetch_options": {"retries": 0}},
        "expect": {"ok": False, "codes": ["fetch.unreachable"],
                   "absent_text": ["VERYSECRET", "TOKEN-SECRET"]},
    },
}


def main() -> None:
    if HERE.exists():
        shutil.rmtree(HERE)
    for name, spec in VECTORS.items():
        folder = HERE / name
        (folder / "release").mkdir(parents=True)
        (folder / "files").mkdir()
        (folder / "release" / "README").write_bytes(b"remote vector\n")
        (folder / "release" / "rebuild.json").write_text(manifest(name, spec["externals"]))
        (folder / "files" / "a.bin").write_bytes(DATA)
        (folder / "files" / "b.bin").write_bytes(OTHER)
        for path, data in spec.get("release_files", {}).items():
            (folder / "release" / path).write_bytes(data)
        vector = {"description": spec["description"], "covers": spec["covers"],
                  "options": {"fetch": True, **spec.get("options", {})},
                  "expect": spec["expect"]}
        (folder / "vector.json").write_text(json.dumps(vector, indent=2) + "\n")


if __name__ == "__main__":
    main()
