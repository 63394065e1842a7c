"""`rebuildable validate`: exit codes, formats, option wiring, stdout discipline."""

from __future__ import annotations

import hashlib
import io
import json
import sys
import tarfile
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rich.console import Console

from rebuildable import api as cli_validate
from rebuildable import schema
from rebuildable.cli import cli
from rebuildable.cli import common as cli_common
from rebuildable.context import Options
from rebuildable.progress import NO_PROGRESS
from rebuildable.report import ReleaseInfo, Report
from tests.support import make_release

FILES = {"src/a.py": b"print('a')\n", "out/b.bin": b"b"}
IDS = {"src/a.py": "a", "out/b.bin": "b"}
STEP = {"id": "s", "run": "true", "inputs": ["a"], "outputs": ["b"]}


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["validate", *args], catch_exceptions=False, env=env)


def good(tmp_path: Path) -> Path:
    return make_release(tmp_path / "good", FILES, [STEP], ids=IDS)


def test_a_good_release_exits_0(tmp_path: Path) -> None:
    result = invoke(str(good(tmp_path)))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].startswith("OK example 1.0.0: 0 errors")
    assert result.stderr == ""


def test_a_manifest_path_is_accepted(tmp_path: Path) -> None:
    result = invoke(str(good(tmp_path) / "rebuild.yaml"))
    assert result.exit_code == 0, result.output


def test_default_release_is_the_current_folder(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(good(tmp_path))
    assert invoke().exit_code == 0


def test_an_archive_on_standard_input(tmp_path: Path) -> None:
    root = good(tmp_path)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for path in sorted(root.rglob("*")):
            tar.add(path, path.relative_to(root).as_posix(), recursive=False)
    result = CliRunner().invoke(cli, ["validate", "-", "--format", "json"], input=buf.getvalue(),
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["release"]["name"] == "example"


def test_every_error_is_reported_at_once_and_exits_1(tmp_path: Path) -> None:
    steps = [{"id": "s", "run": "true", "inputs": ["nowhere"], "outputs": ["b"]},
             {"id": "t", "run": "true", "inputs": ["a"], "outputs": ["ghost"]}]
    root = make_release(tmp_path / "bad", FILES, steps, ids=IDS)
    result = invoke(str(root), "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    codes = {f["code"] for f in report["findings"] if f["severity"] == "error"}
    assert {"refs.dangling-input", "refs.dangling-output"} <= codes
    located = [f for f in report["findings"] if f["code"] == "refs.dangling-output"]
    assert located[0]["step"] == "t"
    assert located[0]["location"]["line"] is not None
    assert located[0]["location"]["column"] is not None


def test_warnings_exit_0_and_1_with_strict(tmp_path: Path) -> None:
    step = {"id": "s", "run": "true", "inputs": ["a", "a"], "outputs": ["b"]}
    root = make_release(tmp_path / "warn", FILES, [step], ids=IDS)
    plain = invoke(str(root))
    assert plain.exit_code == 0, plain.output
    assert "refs.duplicate-reference" in plain.stdout
    strict = invoke(str(root), "--strict", "--format", "json")
    assert strict.exit_code == 1
    assert json.loads(strict.stdout)["ok"] is False


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_unreadable_input_exits_2_with_the_report_on_stdout(tmp_path: Path, fmt: str) -> None:
    result = invoke(str(tmp_path / "missing"), "--format", fmt)
    assert result.exit_code == 2
    data = json.loads(result.stdout)  # stdout holds exactly one JSON document
    if fmt == "json":
        assert data["findings"][0]["code"] == "release.not-found"
        assert list(schema.validator("report").iter_errors(data)) == []
    else:
        assert data["runs"][0]["results"][0]["ruleId"] == "release.not-found"
    assert result.stderr == ""


def test_a_folder_without_manifest_exits_2(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = invoke(str(tmp_path / "empty"))
    assert result.exit_code == 2
    assert "release.no-manifest" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("FAIL")


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_machine_formats_print_nothing_but_the_document(tmp_path: Path, fmt: str) -> None:
    result = invoke(str(good(tmp_path)), "--format", fmt)
    assert result.exit_code == 0
    assert json.loads(result.stdout)
    assert result.stdout.endswith("}\n")


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    root = str(good(tmp_path))
    for args in (["--format", "xml"], ["--threshold", "0"], ["--require", "magic"],
                 ["--key", str(tmp_path / "no-such.pub")], ["--workers", "0"],
                 ["--upstream-dir", str(tmp_path / "nowhere")], ["--trust", root]):
        result = invoke(root, *args)
        assert result.exit_code == 2, args
        assert result.stdout == ""
        assert "Error" in result.stderr


def test_options_reach_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Options] = []

    def fake_validate(target: str, options: Options) -> Report:
        seen.append(options)
        return Report(ReleaseInfo("x", "1", "rebuild.yaml"))

    monkeypatch.setattr(cli_validate, "validate", fake_validate)
    runner = CliRunner()
    for name in ("a", "b"):
        made = runner.invoke(cli, ["keygen", str(tmp_path / name)], catch_exceptions=False)
        assert made.exit_code == 0, made.output
    key1, key2 = tmp_path / "a.pub", tmp_path / "b.pub"
    trust = tmp_path / "trust.yaml"
    trust.write_text("policy: rebuildable-policy/0.1\nthreshold: 1\nkeys:\n"
                     "  - id: a\n    path: a.pub\n")
    ups = tmp_path / "ups"
    ups.mkdir()
    result = invoke(".", "--strict", "--key", str(key1), "--key", str(key2), "--threshold", "2",
                    "--trust", str(trust), "--require", "open-source", "--upstream-dir",
                    str(ups), "--workers", "3", "--no-color")
    assert result.exit_code == 0, result.output
    (options,) = seen
    assert options.strict is True
    assert options.keys == (key1.read_bytes(), key2.read_bytes())
    assert options.threshold == 2
    assert options.trust == trust
    assert options.require == frozenset({"open-source"})
    assert options.upstream_dirs == (ups,)
    assert options.workers == 3
    assert options.progress is NO_PROGRESS  # stderr is not a terminal under CliRunner


def test_unexpected_errors_are_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(target: str, options: Options) -> Report:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli_validate, "validate", boom)
    monkeypatch.delenv(cli_common.DEBUG_ENV, raising=False)
    result = invoke(".")
    assert result.exit_code == 2
    assert result.stderr == "rebuildable: internal error: RuntimeError: boom\n"
    assert result.stdout == ""
    monkeypatch.setenv(cli_common.DEBUG_ENV, "1")
    with pytest.raises(RuntimeError, match="boom"):
        invoke(".")


def test_colour_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert cli_common.use_color(False, Tty()) is True
    assert cli_common.use_color(True, Tty()) is False
    assert cli_common.use_color(False, io.StringIO()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli_common.use_color(False, Tty()) is False


def test_progress_only_for_text_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert cli_common.progress_wanted("text") is True
    assert cli_common.progress_wanted("json") is False
    assert cli_common.progress_wanted("sarif") is False
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert cli_common.progress_wanted("text") is False


def test_rich_progress_counts_advances_from_many_threads() -> None:
    out = io.StringIO()
    progress = cli_common.RichProgress(Console(file=out, force_terminal=True, width=80))
    with progress:
        progress.start("hashing", 4000)

        def work() -> None:
            for _ in range(1000):
                progress.advance(1)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert progress.completed == 4000
        progress.finish()
        assert progress.completed == 0
        progress.advance(5)  # after finish: ignored, never raises


def test_exit_code_contract() -> None:
    info = ReleaseInfo("x", "1", "rebuild.yaml")
    from rebuildable.findings import finding

    warning = finding("unlisted.file", "x")
    error = finding("refs.cycle", "y")
    assert cli_common.exit_code(Report(info)) == 0
    assert cli_common.exit_code(Report(info, [warning])) == 0
    assert cli_common.exit_code(Report(info, [warning], strict=True)) == 1
    assert cli_common.exit_code(Report(info, [error])) == 1
    assert cli_common.exit_code(Report(info, [error], fatal=True)) == 2




def test_release_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = good(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert cli_common.release_base("good") == "good/"
    assert cli_common.release_base("good/rebuild.yaml") == "good/"
    assert cli_common.release_base(str(root)) == "good/"
    assert cli_common.release_base(".") == ""
    assert cli_common.release_base("-") is None
    assert cli_common.release_base("missing") is None
    # above or beside the working folder: absolute, never "../" (no place in a repository)
    assert cli_common.release_base(str(tmp_path.parent)) == tmp_path.parent.as_posix() + "/"
    assert cli_common.release_base("..") == tmp_path.parent.as_posix() + "/"
    (tmp_path / "alias").symlink_to(root)
    assert cli_common.release_base("alias") == "alias/"


def test_sarif_points_at_the_manifest_from_the_working_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    steps = [{"id": "s", "run": "true", "inputs": ["nowhere"], "outputs": ["b"]}]
    make_release(tmp_path / "rel" / "model", FILES, steps, ids=IDS)
    monkeypatch.chdir(tmp_path)
    result = invoke("rel/model", "--format", "sarif")
    assert result.exit_code == 1
    results = json.loads(result.stdout)["runs"][0]["results"]
    located = [r for r in results if r["ruleId"] == "refs.dangling-input"]
    physical = located[0]["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "rel/model/rebuild.yaml"
    assert physical["region"]["startLine"] >= 1


def test_text_names_a_release_beside_the_working_folder_absolutely(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From a folder beside the release, 'at rebuild.yaml:7:5' is a file that is not
    there (or another one); the path that opens the right file is absolute."""
    steps = [{"id": "s", "run": "true", "inputs": ["nowhere"], "outputs": ["b"]}]
    make_release(tmp_path / "rel", FILES, steps, ids=IDS)
    (tmp_path / "ci").mkdir()
    monkeypatch.chdir(tmp_path / "ci")
    result = invoke("../rel", "--no-color")
    assert result.exit_code == 1
    assert f"at {(tmp_path / 'rel' / 'rebuild.yaml').as_posix()}:" in result.stdout


def test_an_upstreams_errors_are_located_where_its_manifest_is(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An upstream found with --upstream-dir lives beside the release, not in it: its
    errors were shown at 'rel/ups/base/rebuild.yaml', a file that does not exist."""
    base = make_release(tmp_path / "ups" / "base", {"a.txt": b"a\n"}, license="MIT")
    (base / "a.txt").write_bytes(b"changed\n")
    pin = hashlib.sha256((base / "rebuild.yaml").read_bytes()).hexdigest()
    make_release(tmp_path / "rel", {"b.txt": b"b\n"}, license="MIT", upstream=[
        {"id": "base", "relation": "derived-from",
         "manifest": {"uri": "https://example.org/base/rebuild.yaml",
                      "digest": {"sha256": pin}}}])
    monkeypatch.chdir(tmp_path)
    text = invoke("rel", "--upstream-dir", "ups", "--no-color")
    assert text.exit_code == 1
    assert "at ups/base/rebuild.yaml:" in text.stdout
    assert "rel/ups/" not in text.stdout
    sarif = json.loads(invoke("rel", "--upstream-dir", "ups", "--format", "sarif").stdout)
    uris = {r["ruleId"]: r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in sarif["runs"][0]["results"]}
    assert uris["integrity.digest-mismatch"] == "ups/base/rebuild.yaml"
    assert uris["upstream.invalid"] == "rel/rebuild.yaml"


def test_key_that_is_no_key_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pub"
    bad.write_text("not a key\n")
    result = invoke(str(good(tmp_path)), "--key", str(bad), "--format", "json")
    assert result.exit_code == 2
    assert result.stdout == ""


def test_threshold_above_the_keys_is_a_usage_error(tmp_path: Path) -> None:
    keygen = CliRunner().invoke(cli, ["keygen", str(tmp_path / "k")], catch_exceptions=False)
    assert keygen.exit_code == 0, keygen.output
    result = invoke(str(good(tmp_path)), "--key", str(tmp_path / "k.pub"), "--threshold", "2")
    assert result.exit_code == 2
    assert "threshold 2" in result.stderr


def test_unsigned_release_fails_when_a_key_is_required(tmp_path: Path) -> None:
    keygen = CliRunner().invoke(cli, ["keygen", str(tmp_path / "k")], catch_exceptions=False)
    assert keygen.exit_code == 0, keygen.output
    result = invoke(str(good(tmp_path)), "--key", str(tmp_path / "k.pub"), "--format", "json")
    assert result.exit_code == 1
    codes = {f["code"] for f in json.loads(result.stdout)["findings"]}
    assert "sig.missing-envelope" in codes


def test_detail_reaches_the_core(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Options] = []

    def fake(target: str, options: Options) -> Report:
        seen.append(options)
        return Report(ReleaseInfo("x", "1", "rebuild.yaml"))

    monkeypatch.setattr(cli_validate, "validate", fake)
    assert invoke(str(tmp_path), "--detail").exit_code == 0
    assert invoke(str(tmp_path)).exit_code == 0
    assert [o.detail for o in seen] == [True, False]
