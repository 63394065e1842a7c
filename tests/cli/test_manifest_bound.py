"""`validate --max-manifest-size`: [LOAD-9]'s bound on the manifest, which a user may
raise (or lower) on the command line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from rebuildable.cli import cli
from tests.support import make_release


def _validate(root: Path, *args: str) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(cli, ["validate", str(root), "--format", "json", *args])
    return result.exit_code, json.loads(result.stdout)


def test_a_manifest_over_the_bound_is_refused_and_a_raised_bound_reads_it(
        tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"a.txt": b"a\n"})
    size = (root / "rebuild.yaml").stat().st_size
    code, report = _validate(root, "--max-manifest-size", str(size - 1))
    assert code == 1
    findings = report["findings"]
    assert isinstance(findings, list)
    assert [f["code"] for f in findings] == ["load.too-large"]
    assert "--max-manifest-size" in findings[0]["hint"]
    code, report = _validate(root, "--max-manifest-size", str(size))
    assert code == 0, report


def test_the_default_is_the_standards_128_mib() -> None:
    result = CliRunner().invoke(cli, ["validate", "--help"])
    assert "--max-manifest-size" in result.output
    assert "134217728" in result.output


def test_a_bound_below_one_byte_is_a_usage_error(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"a.txt": b"a\n"})
    result = CliRunner().invoke(cli, ["validate", str(root), "--max-manifest-size", "0"])
    assert result.exit_code == 2
