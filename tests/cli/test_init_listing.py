"""`rebuildable init --from-listing`: a manifest of remote shards from an inventory."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml
from click.testing import CliRunner

from rebuildable import api
from rebuildable.cli import cli
from rebuildable.draft_listing import MAX_PROBLEMS
from tests.support.web import serve


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["init", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_listing_becomes_external_artifacts_that_fetch_verifies(tmp_path: Path) -> None:
    shards = {f"part-{i}.bin": f"shard {i}\n".encode() * (i + 1) for i in range(5)}
    with serve(shards) as web:
        listing = tmp_path / "inventory.tsv"
        lines = ["# uri\tsize\tsha256"]
        lines += [f"{web.url('files', n)}\t{len(d)}\t{_sha(d).upper()}" for n, d in shards.items()]
        listing.write_text("\n".join(lines) + "\n\n")
        out = tmp_path / "crawl"
        out.mkdir()
        code, _, err = _invoke(str(out), "--from-listing", str(listing), "--license", "CC0-1.0")
        assert code == 0, err
        assert "5 external artifacts" in err
        data = yaml.safe_load((out / "rebuild.yaml").read_text())
        assert [a["uri"] for a in data["artifacts"]] == [web.url("files", n) for n in shards]
        assert all(a["digest"]["sha256"] == a["digest"]["sha256"].lower()
                   for a in data["artifacts"])
        assert len({a["id"] for a in data["artifacts"]}) == 5
        report = api.validate(out, api.Options(fetch=True))
    assert report.ok, [(f.code, f.message) for f in report.findings]
    assert any(f.code == "fetch.verified" for f in report.findings)


def test_bad_lines_are_located_and_nothing_is_written(tmp_path: Path) -> None:
    listing = tmp_path / "inventory.txt"
    good = f"s3://b/k 3 {_sha(b'abc')}"
    listing.write_text("\n".join([good, "not-a-uri 3 " + _sha(b"x"), f"s3://b/k2 -1 {'0' * 64}",
                                  "s3://b/k3 3 abc", "s3://b/k4 3"]) + "\n")
    code, _, err = _invoke(str(tmp_path), "--from-listing", str(listing))
    assert code == 2
    for number in (2, 3, 4, 5):
        assert f"inventory.txt:{number}:" in err
    assert "4 bad line(s)" in err
    assert not (tmp_path / "rebuild.yaml").exists()


def test_a_size_of_thousands_of_digits_is_a_bad_line_not_a_crash(tmp_path: Path) -> None:
    """int() refuses 5,000 digits: init ended in 'internal error: ValueError' (issue 9)."""
    listing = tmp_path / "l.txt"
    listing.write_text(f"s3://b/k {'9' * 5000} {_sha(b'x')}\ns3://b/j {'0' * 30}7 {_sha(b'x')}\n")
    result = CliRunner().invoke(cli, ["init", str(tmp_path), "--from-listing", str(listing)])
    assert result.exit_code == 2
    assert "internal error" not in result.stderr
    assert "l.txt:1: size of 5000 digits is beyond 2^53" in result.stderr
    assert "1 bad line(s)" in result.stderr  # leading zeros are still a number


def test_many_bad_lines_are_summed_up(tmp_path: Path) -> None:
    listing = tmp_path / "l.txt"
    listing.write_text("bad\n" * (MAX_PROBLEMS + 7))
    code, _, err = _invoke(str(tmp_path), "--from-listing", str(listing))
    assert code == 2
    assert "and 7 more" in err


def test_same_names_get_distinct_ids_in_linear_time(tmp_path: Path) -> None:
    listing = tmp_path / "l.txt"
    listing.write_text("".join(f"https://h/x?part={i} 1 {'a' * 64}\n" for i in range(3000)))
    draft = api.draft_from_listing(listing, name="dups")
    ids = [line.split(": ", 1)[1] for line in draft.text.splitlines()
           if line.startswith("- id: ")]
    assert len(set(ids)) == 3000
    assert ids[:3] == ["h-x", "h-x-2", "h-x-3"]


def test_existing_manifest_is_kept_without_force(tmp_path: Path) -> None:
    (tmp_path / "rebuild.yaml").write_text("keep me\n")
    listing = tmp_path / "l.txt"
    listing.write_text(f"s3://b/k 3 {_sha(b'abc')}\n")
    code, _, err = _invoke(str(tmp_path), "--from-listing", str(listing))
    assert code == 2
    assert (tmp_path / "rebuild.yaml").read_text() == "keep me\n"
    assert "--force" in err


def test_empty_or_binary_listing_is_a_usage_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    assert _invoke(str(tmp_path), "--from-listing", str(empty))[0] == 2
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00junk")
    code, _, err = _invoke(str(tmp_path), "--from-listing", str(binary))
    assert code == 2
    assert "not UTF-8" in err


def test_shard_index_mode_writes_a_sorted_index_that_fetch_verifies(tmp_path: Path) -> None:
    shards = {f"part-{i}.bin": f"shard {i}\n".encode() * (i + 1) for i in range(6)}
    with serve(shards) as web:
        listing = tmp_path / "inventory.tsv"
        lines = [f"{web.url('files', n)}\t{len(d)}\t{_sha(d)}" for n, d in shards.items()]
        listing.write_text("# uri size sha256\n" + "\n".join(reversed(lines)) + "\n")
        out = tmp_path / "crawl"
        out.mkdir()
        code, _, err = _invoke(str(out), "--from-listing", str(listing), "--shard-index",
                               "data/shards.tsv", "--license", "CC0-1.0")
        assert code == 0, err
        assert "a shard index of 6 external files" in err
        index = (out / "data" / "shards.tsv").read_bytes()
        assert index.decode().splitlines() == sorted(lines)
        data = yaml.safe_load((out / "rebuild.yaml").read_text())
        (art,) = data["artifacts"]
        assert (art["kind"], art["path"], art["size"]) == ("shard-index", "data/shards.tsv",
                                                           len(index))
        assert art["digest"]["sha256"] == _sha(index)
        report = api.validate(out, api.Options(fetch=True))
    assert report.ok, [(f.code, f.message) for f in report.findings]
    assert report.to_dict()["shards"][art["id"]]["verified"] == 6


def test_shard_index_mode_refuses_a_uri_listed_twice(tmp_path: Path) -> None:
    listing = tmp_path / "inventory.txt"
    listing.write_text(f"s3://b/k 3 {_sha(b'abc')}\ns3://b/j 1 {_sha(b'a')}\n"
                       f"s3://b/k 3 {_sha(b'abc')}\n")
    code, _, err = _invoke(str(tmp_path), "--from-listing", str(listing), "--shard-index",
                           "shards.tsv")
    assert code == 2
    assert "inventory.txt:3: s3://b/k is already listed on line 1" in err
    assert not (tmp_path / "shards.tsv").exists()
    assert not (tmp_path / "rebuild.yaml").exists()


def test_shard_index_dry_run_writes_nothing(tmp_path: Path) -> None:
    listing = tmp_path / "inventory.txt"
    listing.write_text(f"s3://b/k 3 {_sha(b'abc')}\n")
    code, out, err = _invoke(str(tmp_path), "--from-listing", str(listing), "--shard-index",
                             "shards.tsv", "--dry-run")
    assert code == 0, err
    assert 'kind: "shard-index"' in out
    assert not (tmp_path / "shards.tsv").exists()


def test_shard_index_needs_a_listing(tmp_path: Path) -> None:
    code, _, err = _invoke(str(tmp_path), "--shard-index", "shards.tsv")
    assert code == 2
    assert "--shard-index needs --from-listing" in err
