"""The unlisted check: files and special files the manifest does not name."""

from __future__ import annotations

import os
from pathlib import Path

from rebuildable.checks.unlisted import MAX_REPORTED
from rebuildable.engine import Options, validate
from rebuildable.findings import Finding
from rebuildable.report import Report
from tests.support import make_release, read_manifest, sha256_hex, write_manifest

FILES = {"src/a.py": b"print(1)\n", "data/x.csv": b"a,b\n"}
STRUCTURE = Options(hash_files=False)


def unlisted(report: Report) -> list[Finding]:
    return [f for f in report.findings if f.code.startswith("unlisted.")]


def test_listed_release_has_nothing_unlisted(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    (root / "empty-dir" / "nested").mkdir(parents=True)  # folders are never reported
    assert unlisted(validate(root, STRUCTURE)) == []


def test_unlisted_file_is_a_warning(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    (root / "src" / "secret_sauce.py").write_bytes(b"x")
    report = validate(root, STRUCTURE)
    found = unlisted(report)
    assert [(f.code, f.data["path"]) for f in found] == [("unlisted.file", "src/secret_sauce.py")]
    assert found[0].severity.value == "warning"
    assert found[0].hint is not None
    assert ".rebuildignore" in found[0].hint
    assert report.ok
    assert not validate(root, Options(strict=True, hash_files=False)).ok


def test_manifest_envelope_and_ignore_file_are_never_unlisted(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    (root / "rebuild.dsse.json").write_text("{}")
    (root / ".rebuildignore").write_text("# nothing\n")
    assert unlisted(validate(root, STRUCTURE)) == []


def test_rebuildignore_patterns(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    for name in ("build/out.o", "build/deep/x.o", "notes.log", "keep.log", "docs/a.md"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"x")
    (root / ".rebuildignore").write_text("# build products\nbuild/\n*.log\n!keep.log\n\n")
    found = unlisted(validate(root, STRUCTURE))
    assert sorted(f.data["path"] for f in found) == ["docs/a.md", "keep.log"]


def test_invalid_ignore_pattern_is_reported_with_its_line(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    (root / "x.tmp").write_bytes(b"x")
    (root / ".rebuildignore").write_text("*.tmp\n!\nfoo\\\n")
    report = validate(root, STRUCTURE)
    bad = [f for f in unlisted(report) if f.code == "unlisted.bad-ignore-pattern"]
    assert [(f.location.file, f.location.line) for f in bad if f.location] == [
        (".rebuildignore", 2), (".rebuildignore", 3)]
    # the valid lines still apply
    assert not [f for f in unlisted(report) if f.code == "unlisted.file"]


def test_ignore_file_that_is_not_utf8(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    (root / ".rebuildignore").write_bytes(b"\xff\xfe*\n")
    assert [f.code for f in unlisted(validate(root, STRUCTURE))] == [
        "unlisted.bad-ignore-pattern"]


def test_ignore_file_that_is_a_symlink_is_not_used(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    (tmp_path / "outside-ignore").write_text("*\n")
    (root / ".rebuildignore").symlink_to(tmp_path / "outside-ignore")
    (root / "extra.txt").write_bytes(b"x")
    found = {f.code for f in unlisted(validate(root, STRUCTURE))}
    assert {"unlisted.bad-ignore-pattern", "unlisted.file"} <= found


def test_symlinks_and_fifos_nobody_names_are_special_files(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    (root / "to-etc").symlink_to("/etc/passwd")
    (root / "loop").symlink_to("loop")
    os.mkfifo(root / "pipe")
    found = unlisted(validate(root, STRUCTURE))
    assert sorted((f.code, f.data["path"]) for f in found) == [
        ("unlisted.special-file", "loop"), ("unlisted.special-file", "pipe"),
        ("unlisted.special-file", "to-etc")]
    assert any("/etc/passwd" in f.message for f in found)


def test_vcs_folders_are_not_release_content(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    (root / ".git" / "objects").mkdir(parents=True)
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    assert unlisted(validate(root, STRUCTURE)) == []


def test_upstream_manifest_shipped_in_the_release_is_listed(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    up = make_release(root / "upstream" / "base", {"w.bin": b"w"})
    data = read_manifest(root)
    data["upstream"] = [{"id": "base", "relation": "fine-tune-of", "manifest": {
        "path": "upstream/base/rebuild.yaml",
        "digest": {"sha256": sha256_hex((up / "rebuild.yaml").read_bytes())}}}]
    write_manifest(root / "rebuild.yaml", data)
    paths = {f.data.get("path") for f in unlisted(validate(root, STRUCTURE))}
    assert "upstream/base/rebuild.yaml" not in paths


def test_many_unlisted_files_are_summed_up(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    junk = root / "junk"
    junk.mkdir()
    for i in range(MAX_REPORTED + 7):
        (junk / f"{i}.txt").write_bytes(b"")
    found = unlisted(validate(root, STRUCTURE))
    assert len(found) == MAX_REPORTED + 1
    assert found[-1].data["count"] == 7


def test_unlisted_member_of_an_archive(tmp_path: Path) -> None:
    import tarfile

    root = make_release(tmp_path / "r", FILES)
    (root / "stray.bin").write_bytes(b"x")
    archive = tmp_path / "r.tgz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(root, arcname="r-1.0")
    found = unlisted(validate(archive, STRUCTURE))
    assert [f.data["path"] for f in found] == ["stray.bin"]


def test_files_an_upstream_manifest_lists_are_listed(tmp_path: Path) -> None:
    from rebuildable.checks import unlisted as unlisted_check
    from rebuildable.context import Context
    from rebuildable.load import load_manifest
    from rebuildable.model import Manifest, UpstreamRef
    from rebuildable.release import open_release
    from rebuildable.upstream import ResolvedUpstream, UpstreamStatus

    root = make_release(tmp_path / "r", FILES)
    up = make_release(root / "upstream" / "base", {"w.bin": b"w", "cfg.json": b"{}"})
    (up / "stray.txt").write_bytes(b"not listed upstream either")
    upstream_manifest = Manifest.from_data(read_manifest(up))
    with open_release(root) as release:
        doc = load_manifest(release.read_manifest(), "rebuild.yaml").document
        assert doc is not None
        ctx = Context(release, doc, Manifest.from_data(doc.data), STRUCTURE)
        ctx.state.upstream = {"base": ResolvedUpstream(
            UpstreamRef("base", "/upstream/0"), UpstreamStatus.VALID,
            source="upstream/base/rebuild.yaml", manifest=upstream_manifest)}
        assert ctx.state.upstream["base"].covered_paths() == {
            "rebuild.yaml", "rebuild.dsse.json", "w.bin", "cfg.json"}
        found = list(unlisted_check.check(ctx))
    assert [f.data["path"] for f in found] == ["upstream/base/stray.txt"]


def test_file_name_that_is_not_utf8_is_reported_printably(tmp_path: Path) -> None:
    import json

    root = make_release(tmp_path / "r", FILES)
    with open(os.path.join(os.fsencode(root), b"caf\xe9.txt"), "wb") as fh:
        fh.write(b"x")
    report = validate(root, STRUCTURE)
    found = unlisted(report)
    assert [f.data["path"] for f in found] == ["caf\\xe9.txt"]
    json.dumps(report.to_dict(), ensure_ascii=False).encode("utf-8")  # printable
