"""Upstream releases: found inside the release or offline, pinned, validated recursively,
chains bounded, errors summarised and relabelled; hostile paths never read."""

from __future__ import annotations

import hashlib
import os
import tarfile
from pathlib import Path
from typing import Any

import pytest

from rebuildable.context import Options
from rebuildable.engine import validate
from rebuildable.findings import Severity
from rebuildable.upstream import MAX_DEPTH, UpstreamStatus
from tests.support import PROBLEMS, codes, make_release, read_manifest, write_manifest


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def upstream_entry(path: str | None, digest: str, uri: str | None = None,
                   ident: str = "base") -> dict[str, Any]:
    manifest: dict[str, Any] = {"digest": {"sha256": digest}}
    if path is not None:
        manifest["path"] = path
    if uri is not None:
        manifest["uri"] = uri
    return {"id": ident, "relation": "derived-from", "manifest": manifest}


def with_base(tmp_path: Path, *, base_files: dict[str, bytes] | None = None,
              inputs: tuple[str, ...] = ("base:data.csv",)) -> Path:
    root = tmp_path / "rel"
    make_release(root / "upstream" / "base", base_files or {"data.csv": b"x,y\n1,2\n"},
                 name="base")
    make_release(root, {"make.py": b"print(1)\n", "out.csv": b"o\n"},
                 [{"id": "make", "run": "python3 make.py", "inputs": ["make.py", *inputs],
                   "outputs": ["out.csv"]}],
                 kinds={"make.py": "source-code"},
                 upstream=[upstream_entry("upstream/base/rebuild.yaml",
                                          sha(root / "upstream" / "base" / "rebuild.yaml"))])
    return root


def test_valid_upstream_inside_the_release(tmp_path: Path) -> None:
    report = validate(with_base(tmp_path))
    assert set(codes(report, *PROBLEMS)) == set(), [f.message for f in report.findings]
    [summary] = [f for f in report.findings if f.code == "upstream.valid"]
    assert summary.upstream == "base"
    assert summary.data["counts"]["error"] == 0
    up = report.to_dict()["verdicts"]["upstream"]["base"]
    assert up["status"] == "valid"
    assert up["name"] == "base"


def test_dangling_upstream_artifact(tmp_path: Path) -> None:
    report = validate(with_base(tmp_path, inputs=("base:data.csv", "base:nope")))
    [f] = [f for f in report.findings if f.code == "upstream.dangling-artifact"]
    assert f.step == "make"
    assert f.upstream == "base"
    assert f.location is not None
    assert f.location.pointer == "/steps/0/inputs/2"


def test_upstream_errors_are_summarised_and_relabelled(tmp_path: Path) -> None:
    root = with_base(tmp_path)
    (root / "upstream/base/data.csv").write_bytes(b"changed\n")  # pin of the base's manifest holds
    report = validate(root)
    assert {"upstream.invalid", "integrity.digest-mismatch"} <= set(codes(report, *PROBLEMS))
    [summary] = [f for f in report.findings if f.code == "upstream.invalid"]
    assert summary.data["counts"]["error"] >= 1
    relabelled = [f for f in report.findings if f.code == "integrity.digest-mismatch"]
    assert relabelled
    assert all(f.upstream == "base" for f in relabelled)
    assert relabelled[0].message.startswith("upstream base: ")
    loc = relabelled[0].location
    assert loc is not None
    assert loc.file == "upstream/base/rebuild.yaml"
    assert not report.to_dict()["verdicts"]["intact"]["ok"]


def test_changed_upstream_manifest_is_not_trusted(tmp_path: Path) -> None:
    root = with_base(tmp_path)
    data = read_manifest(root / "upstream/base")
    data["license"] = "CC-BY-NC-4.0"
    write_manifest(root / "upstream/base/rebuild.yaml", data)
    report = validate(root)
    assert "upstream.digest-mismatch" in set(codes(report, *PROBLEMS))
    [f] = [f for f in report.findings if f.code == "upstream.digest-mismatch"]
    assert f.data["expected"]["sha256"] != f.data["actual"]["sha256"]
    assert report.to_dict()["verdicts"]["upstream"]["base"]["status"] == "mismatch"
    # nothing of the changed manifest is used: its artifacts' openness is unknown
    arts = report.to_dict()["verdicts"]["open-source"]["artifacts"]
    assert arts["base:data.csv"]["status"] == "unknown"


@pytest.mark.parametrize("path", ["../outside/rebuild.yaml", "/etc/passwd", "a//b.yaml",
                                  "a\\b.yaml", "./rebuild.yaml", "C:/x.yaml"])
def test_escaping_paths_are_never_read(tmp_path: Path, path: str) -> None:
    outside = tmp_path / "outside"
    make_release(outside, {"a": b"a"})
    root = make_release(tmp_path / "rel", {"x": b"x"},
                        upstream=[upstream_entry(path, sha(outside / "rebuild.yaml"))])
    report = validate(root)
    assert "upstream.path-escapes" in set(codes(report, *PROBLEMS))
    assert "upstream.valid" not in {f.code for f in report.findings}


def test_symlinked_upstream_manifest_is_missing(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    make_release(outside, {"a": b"a"})
    root = make_release(tmp_path / "rel", {"x": b"x"},
                        upstream=[upstream_entry("up/rebuild.yaml", sha(outside / "rebuild.yaml"))])
    (root / "up").mkdir()
    os.symlink(outside / "rebuild.yaml", root / "up" / "rebuild.yaml")
    report = validate(root)
    [f] = [f for f in report.findings if f.code == "upstream.missing"]
    assert "link" in f.message


def test_self_reference_is_a_cycle(tmp_path: Path) -> None:
    root = make_release(tmp_path / "rel", {"x": b"x"},
                        upstream=[upstream_entry("rebuild.yaml", "0" * 64, ident="me")])
    report = validate(root)
    assert set(codes(report, *PROBLEMS)) >= {"upstream.cycle"}
    assert "upstream.digest-mismatch" not in set(codes(report, *PROBLEMS))


def test_cycle_through_a_folder_of_manifests(tmp_path: Path) -> None:
    # A's uri upstream resolves (by digest) to B; B's uri upstream resolves (by name) to
    # a copy of A's final bytes, which are on the chain already: a cycle, found before
    # B's (necessarily stale) pin of A is compared.
    store = tmp_path / "store"
    store.mkdir()
    a = make_release(tmp_path / "a", {"x": b"a"}, name="a",
                     upstream=[upstream_entry(None, "1" * 64, uri="https://e.org/b.yaml")])
    write_manifest(store / "b.yaml", {
        "spec": "rebuildable/0.1", "name": "b", "version": "1", "artifacts": [
            {"id": "y", "uri": "https://e.org/y", "kind": "dataset",
             "digest": {"sha256": "2" * 64}}],
        "upstream": [upstream_entry(None, sha(a / "rebuild.yaml"), uri="https://e.org/a.yaml")]})
    (store / "a.yaml").write_bytes((a / "rebuild.yaml").read_bytes())
    data = read_manifest(a)
    data["upstream"][0]["manifest"]["digest"] = {"sha256": sha(store / "b.yaml")}
    write_manifest(a / "rebuild.yaml", data)
    # the copy in the store must be A's final bytes for the cycle to be exact
    (store / "a.yaml").write_bytes((a / "rebuild.yaml").read_bytes())
    data_b = read_manifest(store, "b.yaml")
    data_b["upstream"][0]["manifest"]["digest"] = {"sha256": sha(a / "rebuild.yaml")}
    write_manifest(store / "b.yaml", data_b)
    data["upstream"][0]["manifest"]["digest"] = {"sha256": sha(store / "b.yaml")}
    write_manifest(a / "rebuild.yaml", data)
    (store / "a.yaml").write_bytes((a / "rebuild.yaml").read_bytes())
    report = validate(a, Options(upstream_dirs=(store,)))
    assert {"upstream.cycle", "upstream.invalid"} <= set(codes(report, *PROBLEMS))
    [cycle] = [f for f in report.findings if f.code == "upstream.cycle"]
    assert cycle.upstream == "base/base"
    assert cycle.data["chain"][0] == cycle.data["chain"][-1] == sha(a / "rebuild.yaml")


def _chain(root: Path, depth: int) -> Path:
    """``depth`` releases, each the upstream of the one above it, nested in folders."""
    folders = [root / "/".join(["up"] * i) if i else root for i in range(depth)]
    for i in reversed(range(depth)):
        fields: dict[str, Any] = {"name": f"level-{i}"}
        if i < depth - 1:
            fields["upstream"] = [upstream_entry("up/rebuild.yaml",
                                                 sha(folders[i + 1] / "rebuild.yaml"), ident="up")]
        make_release(folders[i], {f"d{i}.csv": f"{i}\n".encode()}, **fields)
        if (folders[i] / "up").is_dir():
            ignore = folders[i] / ".rebuildignore"
            ignore.write_text("up/\n")
    return root


def test_chain_at_the_bound_is_followed(tmp_path: Path) -> None:
    report = validate(_chain(tmp_path / "c", MAX_DEPTH))
    assert "upstream.too-deep" not in set(codes(report, *PROBLEMS))
    assert not any(f.severity is Severity.ERROR for f in report.findings), [
        f.message for f in report.findings if f.severity is Severity.ERROR]


def test_chain_beyond_the_bound_stops(tmp_path: Path) -> None:
    report = validate(_chain(tmp_path / "c", MAX_DEPTH + 1))
    assert "upstream.too-deep" in set(codes(report, *PROBLEMS))
    deep = [f for f in report.findings if f.code == "upstream.too-deep"]
    # named by its path from the outer release: the ninth release is eight hops down
    assert deep[0].upstream == "/".join(["up"] * MAX_DEPTH)


def test_uri_upstream_resolved_offline_by_digest(tmp_path: Path) -> None:
    store = tmp_path / "store"
    base = make_release(store / "tiny-base", {"w.bin": b"w"}, name="tiny-base")
    root = make_release(tmp_path / "rel", {"x": b"x"},
                        upstream=[upstream_entry(None, sha(base / "rebuild.yaml"),
                                                 uri="https://models.example.org/base.yaml")])
    unresolved = validate(root)
    assert set(codes(unresolved, *PROBLEMS)) == {"upstream.not-resolved"}
    report = validate(root, Options(upstream_dirs=(store,)))
    assert set(codes(report, *PROBLEMS)) == set()
    [f] = [f for f in report.findings if f.code == "upstream.valid"]
    assert "tiny-base" in f.message


def test_uri_upstream_found_by_name_but_changed(tmp_path: Path) -> None:
    store = tmp_path / "store"
    make_release(store / "x", {"w.bin": b"w"})
    (store / "base.yaml").write_bytes((store / "x" / "rebuild.yaml").read_bytes() + b"# edit\n")
    root = make_release(tmp_path / "rel", {"x": b"x"},
                        upstream=[upstream_entry(None, "a" * 64,
                                                 uri="https://models.example.org/base.yaml")])
    report = validate(root, Options(upstream_dirs=(store,)))
    assert "upstream.digest-mismatch" in set(codes(report, *PROBLEMS))


def test_lone_manifest_is_checked_without_its_files(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    base = make_release(tmp_path / "base", {"w.bin": b"w"}, name="base")
    (store / "base.rebuild.yaml").write_bytes((base / "rebuild.yaml").read_bytes())
    root = make_release(tmp_path / "rel", {"x": b"x"},
                        upstream=[upstream_entry(None, sha(base / "rebuild.yaml"),
                                                 uri="https://e.org/base.rebuild.yaml")])
    report = validate(root, Options(upstream_dirs=(store,)))
    assert set(codes(report, *PROBLEMS)) == set(), [f.message for f in report.findings]
    [f] = [f for f in report.findings if f.code == "upstream.valid"]
    assert "manifest only" in f.message


def test_weak_pin_is_not_followed(tmp_path: Path) -> None:
    root = with_base(tmp_path)
    data = read_manifest(root)
    data["upstream"][0]["manifest"]["digest"] = {"md5": "0" * 32}
    write_manifest(root / "rebuild.yaml", data)
    report = validate(root)
    assert "upstream.weak-digest" in set(codes(report, *PROBLEMS))
    assert report.to_dict()["verdicts"]["upstream"]["base"]["status"] == UpstreamStatus.WEAK.value


def test_upstream_inside_a_tar_archive(tmp_path: Path) -> None:
    root = with_base(tmp_path)
    tar_path = tmp_path / "rel.tar"
    with tarfile.open(tar_path, "w") as tar:
        tar.add(root, arcname="rel-1.0")
    report = validate(tar_path)
    assert "upstream.valid" in {f.code for f in report.findings}, [
        (f.code, f.message) for f in report.findings]
    assert set(codes(report, *PROBLEMS)) == set()


def test_garbage_upstream_manifest_is_an_invalid_upstream(tmp_path: Path) -> None:
    root = make_release(tmp_path / "rel", {"x": b"x"}, upstream=[upstream_entry(
        "up/rebuild.yaml", hashlib.sha256(b"{ not: [yaml\n").hexdigest())])
    (root / "up").mkdir()
    (root / "up" / "rebuild.yaml").write_bytes(b"{ not: [yaml\n")
    report = validate(root)
    assert {"upstream.invalid", "load.syntax"} <= set(codes(report, *PROBLEMS))
    [syntax] = [f for f in report.findings if f.code == "load.syntax"]
    assert syntax.upstream == "base"
    assert syntax.location is not None
    assert syntax.location.file == "up/rebuild.yaml"


def test_oversized_upstream_manifest_is_not_read_whole(tmp_path: Path) -> None:
    big = b"#" * 2048 + b"\n"
    root = make_release(tmp_path / "rel", {"x": b"x"}, upstream=[upstream_entry(
        "up/rebuild.yaml", hashlib.sha256(big).hexdigest())])
    (root / "up").mkdir()
    (root / "up" / "rebuild.yaml").write_bytes(big)
    from rebuildable.load import Limits

    report = validate(root, Options(limits=Limits(max_bytes=1024)))
    [f] = [f for f in report.findings if f.code == "upstream.too-large"]
    assert "larger than 1024 bytes" in f.message
