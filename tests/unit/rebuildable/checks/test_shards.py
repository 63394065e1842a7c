"""The shard index check (spec/shards.md): read once with bounded findings; with fetch,
every shard streamed and judged at its line, in line order."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from rebuildable import api
from rebuildable.checks.shards import MAX_PER_CODE
from rebuildable.findings import Finding, Severity
from rebuildable.remote import FetchOptions
from tests.support.web import serve

QUICK = FetchOptions(retries=0, backoff=0.0, timeout=5.0, concurrency=2)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _release(root: Path, lines: list[tuple[str, int, str]], *, pin: str | None = None) -> Path:
    root.mkdir()
    index = "".join(f"{u}\t{s}\t{d}\n" for u, s, d in lines).encode()
    (root / "shards.tsv").write_bytes(index)
    manifest = {"spec": "rebuildable/0.1", "name": "crawl", "version": "1.0",
                "license": "CC0-1.0",
                "artifacts": [{"id": "shards", "path": "shards.tsv", "kind": "shard-index",
                               "digest": {"sha256": pin or _sha(index)}, "size": len(index)}]}
    (root / "rebuild.json").write_text(json.dumps(manifest))
    return root


def _errors(findings: list[Finding]) -> list[tuple[str, int | None]]:
    return [(f.code, f.data.get("line")) for f in findings if f.severity is Severity.ERROR]


def test_a_good_index_fills_the_section_and_fetches_nothing(tmp_path: Path) -> None:
    lines = [(f"https://nowhere.invalid/p{i}", i, _sha(b"")) for i in range(5)]
    report = api.validate(_release(tmp_path / "r", lines))
    assert report.ok, _errors(report.findings)
    assert report.to_dict()["shards"]["shards"] == {
        "path": "shards.tsv", "lines": 5, "shards": 5, "malformed": 0, "unsorted": 0,
        "duplicate": 0, "bytes": 10, "pinned": True}


def test_findings_of_one_code_stop_at_the_bound_and_are_counted(tmp_path: Path) -> None:
    lines = [(f"https://h/p{i:03d}", -1, "x") for i in range(MAX_PER_CODE + 7)]
    report = api.validate(_release(tmp_path / "r", lines))
    bad = [f for f in report.findings if f.code == "shards.malformed-line"]
    assert len(bad) == MAX_PER_CODE + 1
    assert bad[-1].data == {"omitted": 7, "total": MAX_PER_CODE + 7}
    assert {f.code for f in report.findings if f.severity is Severity.ERROR} == {
        "shards.malformed-line", "shards.empty"}


def test_a_wrong_pin_unpins_the_shards_and_nothing_is_fetched(tmp_path: Path) -> None:
    with serve({"a": b"a"}) as web:
        root = _release(tmp_path / "r", [(web.url("files", "a"), 1, _sha(b"a"))],
                        pin="0" * 64)
        report = api.validate(root, api.Options(fetch=True, fetch_options=QUICK))
        assert web.state.requests == []
    assert {"integrity.digest-mismatch", "shards.unpinned"} <= {c for c, _ in
                                                                  _errors(report.findings)}
    assert report.to_dict()["shards"]["shards"]["pinned"] is False


def test_fetch_judges_every_shard_at_its_line_in_line_order(tmp_path: Path) -> None:
    files = {f"p{i:02d}": f"shard {i}\n".encode() for i in range(30)}
    with serve(files) as web:
        lines = [(web.url("files", n), len(d), _sha(d)) for n, d in sorted(files.items())]
        lines[3] = (lines[3][0], lines[3][1], _sha(b"other"))  # digest mismatch
        lines[17] = (web.url("files", "p17-gone"), 3, _sha(b"abc"))  # 404
        lines[25] = (lines[25][0], lines[25][1] + 1, lines[25][2])  # shorter than declared
        report = api.validate(_release(tmp_path / "r", lines),
                              api.Options(fetch=True, fetch_options=QUICK))
    assert _errors(report.findings) == [("fetch.digest-mismatch", 4),
                                        ("fetch.not-found", 18), ("fetch.size-mismatch", 26)]
    section = report.to_dict()["shards"]["shards"]
    assert (section["fetched"], section["verified"], section["failed"]) == (30, 27, 3)
    verified = next(f for f in report.findings if f.code == "fetch.verified")
    assert verified.data["index"] == "shards"
    assert verified.data["verified"] == 27


def test_credentials_in_shard_uris_never_reach_the_report(tmp_path: Path) -> None:
    lines = [("http://alice:pw-SECRET@127.0.0.1:9/x?token=TOKEN-SECRET", 1, _sha(b"x"))]
    report = api.validate(_release(tmp_path / "r", lines),
                          api.Options(fetch=True, fetch_options=QUICK))
    assert _errors(report.findings) == [("fetch.unreachable", 1)]
    text = json.dumps(report.to_dict())
    assert "pw-SECRET" not in text
    assert "TOKEN-SECRET" not in text


def test_an_unreachable_cluster_fails_every_shard(tmp_path: Path) -> None:
    lines = [(f"https://h/p{i}", 1, _sha(b"x")) for i in range(3)]
    report = api.validate(_release(tmp_path / "r", lines),
                          api.Options(dask="tcp://127.0.0.1:9", fetch_options=QUICK))
    assert _errors(report.findings) == [("fetch.distributed-failed", n) for n in (1, 2, 3)]
    assert report.to_dict()["shards"]["shards"]["verified"] == 0


def test_an_index_given_by_uri_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    (root / "rebuild.json").write_text(json.dumps({
        "spec": "rebuildable/0.1", "name": "crawl", "version": "1.0",
        "artifacts": [{"id": "shards", "uri": "https://h/shards.tsv", "kind": "shard-index",
                       "digest": {"sha256": _sha(b"")}, "size": 0}]}))
    report = api.validate(root)
    assert ("shards.external-index", None) in _errors(report.findings)
