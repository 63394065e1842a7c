"""validate --fetch against a real HTTP(S) server on loopback that misbehaves on purpose."""

from __future__ import annotations

import hashlib
import json
import resource
from pathlib import Path

import pytest

from rebuildable import api
from rebuildable.remote.fetch import FetchOptions, fetch_one
from rebuildable.remote.urls import redact
from tests.support.web import self_signed, serve

QUICK = FetchOptions(retries=3, backoff=0.01, timeout=5.0)
BLOB = bytes(range(256)) * 4096  # 1 MiB


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def release(tmp_path: Path, externals: list[dict[str, object]]) -> Path:
    root = tmp_path / "rel"
    root.mkdir(parents=True)
    (root / "README").write_text("hi\n")
    manifest = {
        "spec": "rebuildable/0.1", "name": "remote", "version": "1.0.0",
        "license": "CC0-1.0",
        "artifacts": [{"id": "readme", "path": "README", "kind": "document",
                       "digest": {"sha256": sha(b"hi\n")}, "size": 3}, *externals],
    }
    (root / "rebuild.json").write_text(json.dumps(manifest, indent=1))
    return root


def ext(ident: str, uri: str, data: bytes, size: int | None = None) -> dict[str, object]:
    return {"id": ident, "uri": uri, "kind": "dataset", "digest": {"sha256": sha(data)},
            "size": len(data) if size is None else size}


def codes(report: api.Report) -> list[str]:
    return sorted(f.code for f in report.findings if f.code.startswith("fetch."))


def validate(root: Path) -> api.Report:
    return api.validate(root, api.Options(fetch=True, fetch_options=QUICK))


def test_good_remote_artifacts_verify(tmp_path: Path) -> None:
    with serve({"a.bin": BLOB, "b.bin": b"second"}) as web:
        root = release(tmp_path, [ext("a", web.url("files", "a.bin"), BLOB),
                                  ext("b", web.url("files", "b.bin"), b"second")])
        report = validate(root)
    assert report.ok, [f.message for f in report.findings]
    assert codes(report) == ["fetch.verified"]
    verified = next(f for f in report.findings if f.code == "fetch.verified")
    assert verified.data == {"verified": 2, "fetched": 2, "bytes": len(BLOB) + 6}


def test_without_fetch_nothing_is_read(tmp_path: Path) -> None:
    with serve({"a.bin": BLOB}) as web:
        root = release(tmp_path, [ext("a", web.url("files", "a.bin"), b"tampered")])
        report = api.validate(root)
        assert web.state.requests == []
    assert codes(report) == []


def test_tampered_remote_artifact_is_a_digest_mismatch(tmp_path: Path) -> None:
    served = b"y" * len(BLOB)
    with serve({"a.bin": served}) as web:
        root = release(tmp_path, [ext("a", web.url("files", "a.bin"), BLOB)])
        report = validate(root)
    assert not report.ok
    assert codes(report) == ["fetch.digest-mismatch"]
    bad = next(f for f in report.findings if f.code == "fetch.digest-mismatch")
    assert bad.artifact == "a"
    assert bad.location is not None
    assert bad.location.pointer == "/artifacts/1/digest/sha256"
    assert bad.location.line is not None


def test_missing_and_unreachable(tmp_path: Path) -> None:
    with serve({}) as web:
        missing = web.url("files", "nothing.bin")
    # the server is gone now: its port refuses connections
    root = release(tmp_path, [ext("gone", missing, b"x")])
    report = validate(root)
    assert codes(report) == ["fetch.unreachable"]
    with serve({}) as web:
        root2 = release(tmp_path / "2", [ext("nf", web.url("files", "nothing.bin"), b"x")])
        assert codes(validate(root2)) == ["fetch.not-found"]


def test_dropped_connection_resumes_with_a_range(tmp_path: Path) -> None:
    with serve({"a.bin": BLOB}) as web:
        result = fetch_one(web.url("drop", "a.bin"), ("sha256",), len(BLOB), QUICK)
        ranges = [r for _, r in web.state.requests]
    assert result.problem is None, result.message
    assert result.digests["sha256"] == sha(BLOB)
    assert result.resumed == 1
    assert ranges[0] is None
    assert ranges[1] == f"bytes={len(BLOB) // 2}-"


def test_transfer_that_keeps_breaking_is_interrupted(tmp_path: Path) -> None:
    with serve({"a.bin": BLOB}) as web:
        root = release(tmp_path, [ext("a", web.url("cut", "a.bin"), BLOB)])
        report = validate(root)
    assert codes(report) == ["fetch.interrupted"]


def test_transient_server_error_is_retried(tmp_path: Path) -> None:
    with serve({"a.bin": BLOB}) as web:
        root = release(tmp_path, [ext("a", web.url("flaky", "a.bin"), BLOB)])
        report = validate(root)
    assert codes(report) == ["fetch.verified"]


def test_endless_body_stops_one_byte_past_the_declared_size(tmp_path: Path) -> None:
    with serve({}) as web:
        result = fetch_one(web.url("endless"), ("sha256",), 1000, QUICK)
        root = release(tmp_path, [ext("e", web.url("endless"), b"z" * 1000)])
        report = validate(root)
    assert result.size == 1001
    assert codes(report) == ["fetch.size-mismatch"]
    assert "longer than" in next(f.message for f in report.findings
                                 if f.code == "fetch.size-mismatch")


@pytest.mark.parametrize("announced", ["9" * 5000, "\u00b2", "-1", "six"],
                         ids=["5000-digits", "superscript-two", "negative", "words"])
def test_a_hostile_content_length_is_ignored_not_a_crash(tmp_path: Path,
                                                         announced: str) -> None:
    """Python's int() refuses 5,000 digits and "²" (which str.isdigit accepts): the
    announced length was trusted and the check ended in internal.error (issue 9)."""
    with serve({"a.bin": b"second"}) as web:
        web.state.content_length = announced
        report = validate(release(tmp_path, [ext("a", web.url("length", "a.bin"), b"second")]))
    assert "internal.error" not in {f.code for f in report.findings}
    assert codes(report) == ["fetch.verified"]


def test_shorter_body_is_a_size_mismatch(tmp_path: Path) -> None:
    with serve({"a.bin": b"short"}) as web:
        root = release(tmp_path, [ext("a", web.url("files", "a.bin"), b"short", size=10)])
        report = validate(root)
    assert codes(report) == ["fetch.size-mismatch"]


def test_redirect_to_another_host_is_reported(tmp_path: Path) -> None:
    with serve({"a.bin": BLOB}) as web:
        root = release(tmp_path, [ext("a", web.url("redirect", "a.bin"), BLOB)])
        report = validate(root)
    assert codes(report) == ["fetch.redirected", "fetch.verified"]
    note = next(f for f in report.findings if f.code == "fetch.redirected")
    assert "localhost" in note.message


def test_tls_error_is_its_own_finding(tmp_path: Path) -> None:
    with serve({"a.bin": BLOB}, tls=self_signed(tmp_path)) as web:
        assert web.base.startswith("https://")
        root = release(tmp_path, [ext("a", web.url("files", "a.bin"), BLOB)])
        report = validate(root)
    assert codes(report) == ["fetch.tls-error"]
    # a certificate problem is not retried: one request at most
    assert len(web.state.requests) <= 1


def test_credentials_never_reach_the_report(tmp_path: Path) -> None:
    with serve({}) as web:
        uri = web.url("files", "x.bin").replace("http://", "http://alice:s3cret@") + \
            "?X-Amz-Signature=abcdef&part=1"
        root = release(tmp_path, [ext("a", uri, b"x")])
        report = validate(root)
    text = json.dumps(report.to_dict())
    assert "s3cret" not in text
    assert "abcdef" not in text
    assert "part=1" in text
    assert redact("https://u:p@h/x?token=t&a=b") == "https://***@h/x?token=***&a=b"


def test_file_uri_through_fsspec(tmp_path: Path) -> None:
    data = tmp_path / "shard.bin"
    data.write_bytes(BLOB)
    root = release(tmp_path, [ext("f", data.as_uri(), BLOB),
                              ext("g", (tmp_path / "none.bin").as_uri(), b"x")])
    report = validate(root)
    assert codes(report) == ["fetch.not-found", "fetch.verified"]


def test_unknown_scheme_is_unsupported(tmp_path: Path) -> None:
    root = release(tmp_path, [ext("f", "nosuchscheme://bucket/key", b"x")])
    assert codes(validate(root)) == ["fetch.unsupported"]


def test_weak_only_external_is_not_fetched(tmp_path: Path) -> None:
    with serve({"a.bin": BLOB}) as web:
        root = release(tmp_path, [{"id": "a", "uri": web.url("files", "a.bin"),
                                   "kind": "dataset",
                                   "digest": {"md5": hashlib.md5(BLOB).hexdigest()},
                                   "size": len(BLOB)}])
        report = validate(root)
        assert web.state.requests == []
    assert "fetch.unverified" in codes(report)


@pytest.mark.slow
def test_memory_does_not_grow_with_file_size(tmp_path: Path) -> None:
    """1 GiB streamed: peak RSS grows by far less than the file (heavier run only)."""
    size = 1 << 30
    big = tmp_path / "big.bin"
    with big.open("wb") as fh:
        fh.truncate(size)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = fetch_one(big.as_uri(), ("sha256",), size, QUICK)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result.problem is None
    assert result.size == size
    assert grown_mib < 64
