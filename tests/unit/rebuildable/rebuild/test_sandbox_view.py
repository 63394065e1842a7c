"""What a sandboxed step sees and may change ([REB-3]), probed by hostile steps
(tests/support/hostile_steps.py), under each sandbox and under ``auto`` when bwrap is
missing or unshare does not work."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from rebuildable.api import rebuild
from rebuildable.findings import Severity
from rebuildable.rebuild import RebuildOptions, runner, sandbox
from rebuildable.report import Report
from tests.support.hostile_steps import archive_reading_step, one_step, proc_sys_writing_step
from tests.unit.rebuildable.rebuild.test_no_false_pass import (
    escaping_release,
    host_places,
    need,
)

SANDBOXES = ("bwrap", "unshare")


def errors(report: Report) -> set[str]:
    return {f.code for f in report.findings if f.severity is Severity.ERROR}


@pytest.mark.parametrize("method", SANDBOXES)
def test_a_step_cannot_write_kernel_settings(tmp_path: Path, method: str) -> None:
    """Hostile asset ``proc_sys_writing_step``. Run by root, bwrap left the step uid 0
    with /proc/sys writable (777 settings here, core_pattern among them). The probe only
    opens the files; as another user it cannot fail, the kernel refusing first."""
    need(method)
    rel = proc_sys_writing_step(tmp_path / "rel")
    report = rebuild(rel, RebuildOptions(timeout=60, isolation=method))
    out = report.to_dict()["rebuild"]["steps"][0]["outputs"][0]
    assert report.ok, [f.message for f in report.findings]
    assert out["status"] == "reproduced"


@pytest.mark.parametrize("method", SANDBOXES)
def test_a_release_archive_is_hidden_wherever_it_lies(tmp_path: Path, method: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Hostile asset ``archive_reading_step``: the step extracts the shipped output from
    the release archive by its path. /tmp is taken off the standard hidden places, as
    for an archive in a checkout (/work, /builds): unshare covered only folders, so the
    step read the archive and the backdoor was "reproduced", exit 0."""
    need(method)
    monkeypatch.setattr(sandbox, "HIDDEN_PLACES", ("/root", "/home", "/run"))
    archive = archive_reading_step(tmp_path)
    report = rebuild(archive, RebuildOptions(timeout=60, isolation=method))
    assert errors(report) == {"rebuild.output-missing"}, [f.message for f in report.findings]


def _path_without(tmp_path: Path, *missing: str) -> str:
    """A PATH folder with every program of the system's but ``missing``."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for system in ("/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"):
        if not os.path.isdir(system):
            continue
        for name in os.listdir(system):
            if name not in missing and not (folder / name).exists():
                (folder / name).symlink_to(os.path.join(system, name))
    return str(folder)


def test_without_bwrap_auto_falls_back_to_an_unshare_that_confines(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No bwrap on PATH: auto picks unshare, and the escaping step is confined there as
    under bwrap (it used to get a plain process and "reproduced", exit 0)."""
    need("unshare")
    path = _path_without(tmp_path, "bwrap")
    monkeypatch.setattr(runner, "_PROBED", {})
    monkeypatch.setenv("PATH", path)
    with host_places() as places:
        rel = escaping_release(tmp_path / "rel", places)
        report = rebuild(rel, RebuildOptions(timeout=60, caller_env={"PATH": path}))
        assert not (places["base"] / "written").exists()
    assert report.ok, [f.message for f in report.findings]
    section = report.to_dict()["rebuild"]
    assert section["isolation"]["method"] == "unshare"
    assert any("bwrap" in note for note in section["isolation"]["probe"])
    assert section["steps"][0]["isolation"]["not_enforced"] == []


def test_without_bwrap_and_a_broken_unshare_auto_refuses(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """unshare on PATH but not working (user namespaces disabled, as on many hosts): the
    probe, not the program's presence, decides; nothing runs."""
    path = _path_without(tmp_path, "bwrap", "unshare")
    broken = Path(path) / "unshare"
    broken.write_text("#!/bin/sh\necho 'unshare: unshare failed: Operation not permitted' >&2\n"
                      "exit 1\n")
    broken.chmod(broken.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(runner, "_PROBED", {})
    monkeypatch.setenv("PATH", path)
    marker = tmp_path / "ran"
    rel = one_step(tmp_path / "rel", f"touch {marker}; mkdir -p out && cp in.txt out/r.txt",
                   {"in.txt": b"x\n", "out/r.txt": b"x\n"}, ["out/r.txt"])
    report = rebuild(rel, RebuildOptions(timeout=30, caller_env={"PATH": path}))
    assert errors(report) == {"rebuild.isolation-unavailable"}
    refusal = next(f for f in report.findings if f.code == "rebuild.isolation-unavailable")
    assert "Operation not permitted" in refusal.message
    assert "private-mounts" in refusal.message
    assert not marker.exists()


def test_a_path_naming_a_whole_home_shows_none_of_it(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """PATH entries are shown again when a hidden place covers them (a virtual
    environment, ~/.local/bin); an entry that is a home folder itself (``~`` on PATH)
    or a hidden place would have shown all of it, ~/.ssh included."""
    home = tmp_path / "home"
    user = home / "user"
    (user / ".ssh").mkdir(parents=True)
    (user / ".local" / "bin").mkdir(parents=True)
    monkeypatch.setattr(sandbox, "HIDDEN_PLACES", (str(home), "/root"))
    monkeypatch.setattr(sandbox, "HOMES", (str(home),), raising=False)
    view = sandbox.make_view([], os.pathsep.join([str(user), str(home), "/root",
                                                  str(user / ".local" / "bin")]))
    assert view.hide == (str(home), "/root")
    assert view.keep == (str(user / ".local" / "bin"),)
