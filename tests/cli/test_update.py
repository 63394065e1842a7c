"""`rebuildable update`: refreshed digests and sizes, everything else kept byte for byte."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from rebuildable import api
from rebuildable.cli import cli
from rebuildable.load import load_manifest


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, ["update", *args], catch_exceptions=False)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


MANIFEST = """\
# yaml-language-server: $schema=https://rebuildable.dev/schemas/0.1/manifest.schema.json
# The release of the tiny tool.   (a comment the author wrote)
spec: rebuildable/0.1
name: tiny
version: "1.0"
license: MIT   # the whole release

artifacts:
  - id: main
    path: src/main.c        # the one source file
    kind: source-code
    digest: {{sha256: "{main}"}}
    size: 6
    license: MIT
  - id: hello
    path: hello
    kind: binary
    digest:
      sha256: '{hello}'
      sha512: {hello512}
    # no size yet
  - id: corpus
    uri: https://data.example.org/corpus.bin
    kind: dataset
    digest: {{sha256: "{zero}"}}
steps:
  - id: build        # cc, nothing else
    run: cc -o hello src/main.c
    inputs: [main]
    outputs: [hello]
"""


def release(tmp_path: Path) -> Path:
    root = tmp_path / "rel"
    (root / "src").mkdir(parents=True)
    (root / "src" / "main.c").write_bytes(b"main;\n")
    (root / "hello").write_bytes(b"BINX old")
    text = MANIFEST.format(main=sha(b"main;\n"), hello=sha(b"BINX old"),
                           hello512=hashlib.sha512(b"BINX old").hexdigest(), zero="0" * 64)
    (root / "rebuild.yaml").write_text(text, encoding="utf-8")
    return root


def test_refreshes_digests_and_sizes_keeping_everything_else(tmp_path: Path) -> None:
    root = release(tmp_path)
    before = (root / "rebuild.yaml").read_text(encoding="utf-8")
    (root / "hello").write_bytes(b"BINX new build")
    result = invoke(str(root))
    assert result.exit_code == 0, result.output
    after = (root / "rebuild.yaml").read_text(encoding="utf-8")
    new = b"BINX new build"
    expected = (before.replace(sha(b"BINX old"), sha(new))
                .replace(hashlib.sha512(b"BINX old").hexdigest(),
                         hashlib.sha512(new).hexdigest())
                .replace("    # no size yet\n", "    size: 14\n    # no size yet\n"))
    assert after == expected
    old256, old512 = sha(b"BINX old"), hashlib.sha512(b"BINX old").hexdigest()
    assert result.stdout.splitlines() == [
        f"hello  hello  digest.sha256: {old256[:12]}… -> {sha(new)[:12]}…",
        f"hello  hello  digest.sha512: {old512[:12]}… -> {hashlib.sha512(new).hexdigest()[:12]}…",
        "hello  hello  size: (none) -> 14"]
    assert "left alone corpus: external artifact" in result.stderr
    assert api.validate(root).counts["error"] == 0


def test_up_to_date_writes_nothing(tmp_path: Path) -> None:
    root = release(tmp_path)
    (root / "rebuild.yaml").write_text(
        (root / "rebuild.yaml").read_text().replace("    # no size yet\n", "    size: 8\n"))
    stat = (root / "rebuild.yaml").stat()
    result = invoke(str(root))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "is up to date" in result.stderr
    assert (root / "rebuild.yaml").stat().st_mtime_ns == stat.st_mtime_ns


def test_check_and_dry_run_write_nothing(tmp_path: Path) -> None:
    root = release(tmp_path)
    (root / "src" / "main.c").write_bytes(b"int main;\n")
    before = (root / "rebuild.yaml").read_bytes()
    checked = invoke("--check", str(root))
    assert checked.exit_code == 1
    assert "main  src/main.c  size: 6 -> 10" in checked.stdout
    dry = invoke("--dry-run", str(root / "rebuild.yaml"))
    assert dry.exit_code == 0
    assert (root / "rebuild.yaml").read_bytes() == before


def test_signed_manifest_needs_force(tmp_path: Path) -> None:
    root = release(tmp_path)
    (root / "rebuild.dsse.json").write_text("{}")
    (root / "hello").write_bytes(b"changed")
    before = (root / "rebuild.yaml").read_bytes()
    refused = invoke(str(root))
    assert refused.exit_code == 2
    assert "is signed" in refused.stderr
    assert "--force" in refused.stderr
    assert (root / "rebuild.yaml").read_bytes() == before
    forced = invoke("--force", str(root))
    assert forced.exit_code == 0
    assert "sign` again" in forced.stderr
    assert sha(b"changed") in (root / "rebuild.yaml").read_text()


def test_missing_file_is_reported_and_others_refreshed(tmp_path: Path) -> None:
    root = release(tmp_path)
    (root / "hello").unlink()
    (root / "src" / "main.c").write_bytes(b"main2;\n")
    result = invoke(str(root))
    assert result.exit_code == 1
    assert "cannot re-hash hello" in result.stderr
    assert sha(b"main2;\n") in (root / "rebuild.yaml").read_text()


def test_json_manifest_and_json_output(tmp_path: Path) -> None:
    root = tmp_path / "j"
    root.mkdir()
    (root / "a.txt").write_bytes(b"a")
    data = {"spec": "rebuildable/0.1", "name": "j", "version": "1", "artifacts": [
        {"id": "a", "path": "a.txt", "kind": "other", "digest": {"sha256": sha(b"b")}}]}
    (root / "rebuild.json").write_text(json.dumps(data, indent=4))
    result = invoke("--format", "json", str(root))
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out["written"] is True
    assert [c["field"] for c in out["changes"]] == ["digest.sha256", "size"]
    written = json.loads((root / "rebuild.json").read_text())
    assert written["artifacts"][0] == {"id": "a", "path": "a.txt", "kind": "other",
                                       "digest": {"sha256": sha(b"a")}, "size": 1}


def test_broken_manifest_and_archive_are_refused(tmp_path: Path) -> None:
    root = release(tmp_path)
    (root / "rebuild.yaml").write_text("spec: x\nspec: y\n")
    result = invoke(str(root))
    assert result.exit_code == 2
    assert "load.duplicate-key" in result.stderr
    assert "line 2" in result.stderr
    tar = tmp_path / "r.tar"
    tar.write_bytes(b"")
    assert invoke(str(tar)).exit_code == 2


COMMENT_CHARS = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cf", "Zl", "Zp"))


@settings(max_examples=25)
@given(content=st.binary(max_size=64), comment=st.text(alphabet=COMMENT_CHARS, max_size=20),
       style=st.sampled_from(['"{}"', "'{}'", "{}"]))
def test_property_only_digest_and_size_change(tmp_path_factory: pytest.TempPathFactory,
                                              content: bytes, comment: str, style: str) -> None:
    root = tmp_path_factory.mktemp("p")
    (root / "f.bin").write_bytes(b"old")
    text = ("spec: rebuildable/0.1\nname: p\nversion: '1'\nartifacts:\n"
            f"  - id: f   # {comment}\n    path: f.bin\n"
            f"    digest:\n      sha256: {style.format(sha(b'old'))}\n    size: 3\n")
    (root / "rebuild.yaml").write_text(text, encoding="utf-8")
    (root / "f.bin").write_bytes(content)
    plan = api.plan_update(root)
    if content == b"old":
        assert not plan.changed
        return
    loaded = load_manifest(plan.text.encode(), "rebuild.yaml")
    assert loaded.document is not None
    art = loaded.document.data["artifacts"][0]
    assert art["digest"] == {"sha256": sha(content)}
    assert art["size"] == len(content)
    assert plan.text.replace(sha(content), sha(b"old")).replace(
        f"size: {len(content)}\n", "size: 3\n") == text


def test_a_byte_order_mark_is_kept(tmp_path: Path) -> None:
    # A manifest saved by an editor that writes a BOM: update changes digests and sizes,
    # nothing else, so the mark stays (it used to be dropped).
    root = release(tmp_path)
    manifest = root / "rebuild.yaml"
    before = b"\xef\xbb\xbf" + manifest.read_bytes()
    manifest.write_bytes(before)
    (root / "src" / "main.c").write_bytes(b"main2;\n")
    result = invoke(str(root))
    assert result.exit_code == 0, result.output
    after = manifest.read_bytes()
    assert after.startswith(b"\xef\xbb\xbf")
    assert after == (before.replace(sha(b"main;\n").encode(), sha(b"main2;\n").encode())
                     .replace(b"size: 6\n", b"size: 7\n")
                     .replace(b"    # no size yet\n", b"    size: 8\n    # no size yet\n"))
