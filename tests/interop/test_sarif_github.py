"""SARIF that GitHub code scanning accepts (issue 9): every log `rebuildable` writes passes
the SARIF multitool's validation with GitHub's rules (``--rule-kind Sarif;Gh;Ghas``), and
every file it names is the right file, seen from the working folder.

Code scanning refused our logs: results without ``locations`` (the summaries, in every
log), file URIs relative to the release instead of the repository root, rebuild results
with only logical locations, rules without ``fullDescription`` and ``help``. The
multitool catches the first, third and fourth; the second only shows when a URI is
resolved the way code scanning does, from the working folder, so every case below also
resolves each URI and requires the file to be there (the archive itself for a release
read from an archive).

The logs cover ``validate``, ``verify`` and ``rebuild``; clean and failing releases; a
release named as a folder, a manifest file and an archive; run from the folder holding
the release, from the release itself and from a folder beside it (then the URIs are
absolute ``file:`` URIs: a ``../`` reference is no place in a repository); a tampered
envelope (``sig.*`` on ``rebuild.dsse.json``) and an unlisted file whose name needs
percent-encoding.
"""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner

from rebuildable.cli import cli
from tests.golden.cases import CASES, normalize, scratch
from tests.support.npm_tools import sarif_multitool
from tests.support.releases import make_release
from tests.support.signing import key, read_envelope, signed_release, write_envelope

#: an unlisted file whose name is no valid URI as it stands (space, '#', '%', '?', 'é')
ODD_NAME = "notes #1 100% é?.txt"


@dataclass(frozen=True)
class Run:
    name: str
    cwd: str          # from the scratch folder
    args: tuple[str, ...]
    exit_code: int
    archive: str | None = None  # from ``cwd``: every URI must name it
    #: the release could not be read: the one URI is the path the user gave
    unreadable: bool = False


RUNS: tuple[Run, ...] = (
    *(Run(f"validate-{c.name}", ".", ("validate", c.target, *c.args), c.exit_code,
          archive=c.target if c.target.endswith((".tar", ".tar.gz", ".zip")) else None,
          unreadable=c.exit_code == 2)
      for c in CASES),
    # from a folder beside the release: absolute file: URIs
    Run("validate-broken-from-beside", "beside", ("validate", "../broken"), 1),
    Run("validate-manifest-from-beside", "beside", ("validate", "../complete/rebuild.yaml"), 0),
    Run("validate-archive-from-beside", "beside", ("validate", "../complete.zip"), 0,
        archive="../complete.zip"),
    Run("validate-hostile-archive-from-beside", "beside", ("validate", "../hostile.tar"), 1,
        archive="../hostile.tar"),
    # from inside the release
    Run("validate-broken-from-inside", "broken", ("validate", "."), 1),
    Run("validate-odd-name", ".", ("validate", "odd"), 0),
    # a tampered envelope: sig.* findings on rebuild.dsse.json
    Run("validate-tampered-signature", ".", ("validate", "signed", "--key", "alice.pub"), 1),
    Run("verify-tampered-signature", "beside", ("verify", "../signed", "--key", "../alice.pub"),
        1),
    Run("verify-tampered-archive", ".", ("verify", "signed.zip", "--key", "alice.pub"), 1,
        archive="signed.zip"),
    # rebuild: clean and failing, as folder, manifest and archive, from here and beside
    Run("rebuild-clean-folder", ".", ("rebuild", "complete", "--isolation", "none"), 0),
    Run("rebuild-clean-manifest", "beside",
        ("rebuild", "../complete/rebuild.yaml", "--isolation", "none"), 0),
    Run("rebuild-clean-archive", ".", ("rebuild", "complete.tar.gz", "--isolation", "none"), 0,
        archive="complete.tar.gz"),
    Run("rebuild-failing-folder", ".", ("rebuild", "differs", "--isolation", "none"), 1),
    Run("rebuild-failing-from-beside", "beside",
        ("rebuild", "../differs", "--isolation", "none"), 1),
    Run("rebuild-failing-from-inside", "differs", ("rebuild", ".", "--isolation", "none"), 1),
)


def _build_more(workdir: Path) -> None:
    """What the golden releases lack: a tampered signed release (folder and zip), an
    unlisted file with an odd name, a step whose output differs from the shipped one."""
    (workdir / "beside").mkdir()
    signed_release(workdir / "signed", key("alice"))
    (workdir / "alice.pub").write_bytes(key("alice").public.pem())
    envelope = read_envelope(workdir / "signed")
    sig = envelope["signatures"][0]["sig"]
    envelope["signatures"][0]["sig"] = ("A" if sig[0] != "A" else "B") + sig[1:]
    write_envelope(workdir / "signed", envelope)
    with zipfile.ZipFile(workdir / "signed.zip", "w") as zf:
        for path in sorted((workdir / "signed").rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(workdir / "signed").as_posix())
    make_release(workdir / "odd", {"a.txt": b"a\n"})
    (workdir / "odd" / ODD_NAME).write_bytes(b"not listed\n")
    make_release(workdir / "differs", {"in.txt": b"a\n", "out.txt": b"not what it makes\n"},
                 [{"id": "copy", "run": "cp in.txt out.txt", "inputs": ["in"],
                   "outputs": ["out"]}], ids={"in.txt": "in", "out.txt": "out"})


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every run's log (written under ``logs/``) and the multitool's verdict on all of
    them, from one multitool run (it takes seconds to start)."""
    tool = sarif_multitool()
    with scratch(tmp_path_factory.mktemp("sarif-gh")) as workdir:
        _build_more(workdir)
        out = workdir.parent / "logs"
        out.mkdir()
        for run in RUNS:
            os.chdir(workdir / run.cwd)
            try:
                result = CliRunner().invoke(cli, [*run.args, "--format", "sarif"],
                                            catch_exceptions=False, env={"NO_COLOR": "1"})
            finally:
                os.chdir(workdir)
            assert result.exit_code == run.exit_code, (run.name, result.stdout, result.stderr)
            data = json.loads(result.stdout)
            # The multitool wants a real version; golden logs carry a placeholder.
            data["runs"][0]["tool"]["driver"]["version"] = "0.1.0"
            (out / f"{run.name}.sarif").write_text(json.dumps(data), encoding="utf-8")
        verdict = out.parent / "validation.sarif"
        done = subprocess.run([str(tool), "validate", "--rule-kind", "Sarif;Gh;Ghas",
                               "--output", str(verdict), *sorted(map(str, out.glob("*.sarif")))],
                              capture_output=True, text=True, timeout=600, check=False)
        assert verdict.is_file(), done.stdout + done.stderr
        yield workdir, json.loads(verdict.read_text("utf-8"))


def _problems(validation: dict[str, Any], log_name: str) -> list[str]:
    """What the multitool reports about one log (errors and warnings), a line each."""
    found = []
    for r in validation["runs"][0].get("results", []):
        uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        if not unquote(uri).endswith("/" + log_name):
            continue
        if r.get("level", "warning") in ("error", "warning"):
            message = r["message"].get("text") or r["message"].get("arguments")
            found.append(f"{r['ruleId']} {r.get('level', 'warning')}: {message}")
    return found


def _resolve(uri: str, cwd: Path) -> Path:
    """Where code scanning looks for ``uri``: a relative reference from the working folder
    (the repository root), an absolute ``file:`` URI as it stands."""
    parts = urlsplit(uri)
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    assert (parts.scheme, parts.netloc, parts.query, parts.fragment) == ("", "", "", ""), uri
    assert not uri.startswith("../"), uri
    assert "/../" not in uri, uri
    return cwd / unquote(parts.path)


@pytest.mark.parametrize("run", RUNS, ids=lambda r: r.name)
def test_sarif_passes_githubs_rules_and_names_the_right_files(
        logs: tuple[Path, dict[str, Any]], run: Run) -> None:
    workdir, validation = logs
    assert _problems(validation, f"{run.name}.sarif") == []
    data = json.loads((workdir.parent / "logs" / f"{run.name}.sarif").read_text("utf-8"))
    results = data["runs"][0]["results"]
    assert results
    cwd = workdir / run.cwd
    for result in results:
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["region"]["startLine"] >= 1
        uri = physical["artifactLocation"]["uri"]
        where = _resolve(uri, cwd)
        if run.unreadable:
            continue  # the path the user gave, which may not exist: that is the finding
        if run.archive is not None and not where.name.endswith(".pub"):
            assert where.resolve() == (cwd / run.archive).resolve(), (result["ruleId"], uri)
        assert where.is_file(), (result["ruleId"], uri)
        if run.cwd == "beside":
            assert uri.startswith("file:///"), uri


def test_results_name_the_envelope_and_the_odd_file(logs: tuple[Path, dict[str, Any]]) -> None:
    """The cases above hold the places the issue named: sig.* on the envelope, an unlisted
    file (percent-encoded), a rebuild result on the manifest."""
    workdir, _ = logs

    def uris(name: str, prefix: str) -> set[str]:
        data = json.loads((workdir.parent / "logs" / f"{name}.sarif").read_text("utf-8"))
        return {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                for r in data["runs"][0]["results"] if r["ruleId"].startswith(prefix)}

    assert uris("validate-tampered-signature", "sig.") == {"signed/rebuild.dsse.json"}
    envelope = (workdir / "signed" / "rebuild.dsse.json").as_uri()
    assert uris("verify-tampered-signature", "sig.") == {envelope}
    assert uris("validate-odd-name", "unlisted.") == {
        "odd/notes%20%231%20100%25%20%C3%A9%3F.txt"}
    assert uris("rebuild-failing-folder", "rebuild.") == {"differs/rebuild.yaml"}
    assert uris("rebuild-failing-from-inside", "rebuild.") == {"rebuild.yaml"}
    assert uris("validate-archive-from-beside", "") == {(workdir / "complete.zip").as_uri()}


def test_golden_sarif_is_what_validate_writes_today() -> None:
    """The golden logs hold no release-relative URI (they are compared byte for byte in
    tests/golden; here: each URI is a file of the scratch folder)."""
    golden = Path(__file__).resolve().parents[1] / "golden"
    for case in CASES:
        path = golden / "expected" / f"{case.name}.sarif"
        if not path.is_file():
            continue
        data = json.loads(normalize(path.read_text("utf-8"), "sarif"))
        for result in data["runs"][0]["results"]:
            uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            assert (golden / "releases" / unquote(uri)).is_file(), (case.name, uri)
