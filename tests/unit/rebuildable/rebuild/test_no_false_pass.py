"""Hostile steps that try to make a rebuild say "reproduced" about a release that is not
(issue "No false pass"): each test names its hostile asset and fails on the old code."""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rebuildable.api import rebuild
from rebuildable.findings import Severity
from rebuildable.rebuild import RebuildOptions, runner
from rebuildable.rebuild.runner import probe_isolation, remove_tree
from rebuildable.report import Report
from tests.support import make_release
from tests.support.formats_build import psd
from tests.support.hostile_steps import one_step, release_overwriting_step

SANDBOXES = ("bwrap", "unshare")


def errors(report: Report) -> set[str]:
    return {f.code for f in report.findings if f.severity is Severity.ERROR}


def need(method: str) -> None:
    try:
        probe_isolation(method)
    except ValueError as exc:
        if os.environ.get("CI") == "true" and method == "bwrap":
            raise
        pytest.skip(str(exc))


@contextlib.contextmanager
def host_places() -> Iterator[dict[str, Path]]:
    """A secret file, a UNIX socket server and a writable folder in the host's /tmp, and
    a TCP server on loopback: a sandboxed step must reach none of them."""
    base = Path(tempfile.mkdtemp(prefix="rebuildable-host-", dir="/tmp"))
    os.chmod(base, 0o755)
    secret = base / "secret.txt"
    secret.write_text("host secret\n")
    sock_path = base / "host.sock"
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(str(sock_path))
    unix.listen()
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen()
    stop = threading.Event()

    def serve(server: socket.socket) -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                conn, _ = server.accept()
                conn.sendall(b"hello from the host\n")
                conn.close()

    threads = [threading.Thread(target=serve, args=(s,), daemon=True) for s in (unix, tcp)]
    for t in threads:
        t.start()
    try:
        yield {"base": base, "secret": secret, "socket": sock_path,
               "port": Path(str(tcp.getsockname()[1]))}
    finally:
        stop.set()
        for t in threads:
            t.join()
        unix.close()
        tcp.close()
        for p in base.iterdir():
            p.unlink()
        base.rmdir()


ESCAPE_PROBE = r'''
import os, socket, sys
rel, secret, sock, port, outside = sys.argv[1:6]
def can(f):
    try:
        f()
        return "ESCAPED"
    except OSError:
        return "no"
def unix():
    s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sock); s.recv(10)
def tcp():
    s = socket.socket(); s.settimeout(2); s.connect(("127.0.0.1", int(port))); s.recv(10)
def write():
    open(outside, "w").write("x")
print("read-secret", can(lambda: open(secret).read()))
print("read-release", can(lambda: open(os.path.join(rel, "out/result.txt")).read()))
print("write-outside", can(write))
print("unix-socket", can(unix))
print("network", can(tcp))
'''
CONFINED = (b"read-secret no\nread-release no\nwrite-outside no\nunix-socket no\n"
            b"network no\n")


def escaping_release(root: Path, places: dict[str, Path]) -> Path:
    """Hostile asset: a step that reads the host's files and the release, writes outside,
    and talks to a host UNIX socket and a loopback server; it publishes what it got."""
    args = " ".join(str(a) for a in (root, places["secret"], places["socket"],
                                      places["port"], places["base"] / "written"))
    return one_step(root, f"mkdir -p out && python3 probe.py {args} > out/result.txt",
                    {"probe.py": ESCAPE_PROBE.encode(), "out/result.txt": CONFINED},
                    ["out/result.txt"])


@pytest.mark.parametrize("method", SANDBOXES)
def test_every_sandbox_confines_an_escaping_step(tmp_path: Path, method: str) -> None:
    need(method)
    with host_places() as places:
        rel = escaping_release(tmp_path / "rel", places)
        report = rebuild(rel, RebuildOptions(timeout=60, isolation=method))
        assert not (places["base"] / "written").exists()
    assert report.ok, [f.message for f in report.findings]
    iso = report.to_dict()["rebuild"]["steps"][0]["isolation"]
    assert iso["private_mounts"] is True
    assert iso["not_enforced"] == []


def test_without_a_sandbox_the_escape_is_seen_and_said(tmp_path: Path) -> None:
    """``--isolation none`` (explicit) runs, and the report says what was not enforced."""
    with host_places() as places:
        rel = escaping_release(tmp_path / "rel", places)
        report = rebuild(rel, RebuildOptions(timeout=60, isolation="none"))
    weak = next(f for f in report.findings if f.code == "rebuild.isolation-weak")
    assert weak.severity is Severity.WARNING
    assert "private-mounts" in weak.message
    assert "no-network" in weak.message
    assert "rebuild.output-differs" in errors(report)  # the probe escaped


def test_no_working_sandbox_refuses_instead_of_running_unconfined(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without bwrap or unshare: the default (auto) used to fall back to a
    plain process and say "reproduced" at exit 0; now nothing runs and the rebuild fails."""
    monkeypatch.setattr(runner, "_PROBED", {})
    marker = tmp_path / "ran"
    rel = one_step(tmp_path / "rel", f"touch {marker}; mkdir -p out && cp in.txt out/r.txt",
                   {"in.txt": b"x\n", "out/r.txt": b"x\n"}, ["out/r.txt"])
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # neither bwrap nor unshare here
    report = rebuild(rel, RebuildOptions(timeout=30, caller_env={"PATH": os.defpath}))
    assert errors(report) == {"rebuild.isolation-unavailable"}
    assert not report.ok
    assert not marker.exists()


@pytest.mark.parametrize("method", [*SANDBOXES, "none"])
def test_a_step_cannot_plant_the_published_copy(tmp_path: Path, method: str) -> None:
    """Hostile asset: the shipped output is a backdoor whose digest is declared honestly
    (validation passes); the step makes the honest bytes and writes them where the old
    rebuilder kept, and reused, its copy of the published output
    (``../../../published/<id>``). Old code: "reproduced", exit 0."""
    if method != "none":
        need(method)
    plant = ("mkdir -p out && printf 'honest\\n' > out/x.txt; "
             "for up in .. ../.. ../../.. ../../../..; do mkdir -p $up/published 2>/dev/null "
             "&& cp out/x.txt $up/published/out-x-txt 2>/dev/null; done; true")
    rel = one_step(tmp_path / "rel", plant, {"out/x.txt": b"backdoor\n"}, ["out/x.txt"])
    report = rebuild(rel, RebuildOptions(timeout=30, isolation=method,
                                         work_root=tmp_path / "w"))
    assert "rebuild.output-differs" in errors(report)
    assert not report.ok


@pytest.mark.parametrize("method", ["bwrap", "none"])
def test_a_step_that_overwrites_the_shipped_output_is_not_reproduced(tmp_path: Path,
                                                                      method: str) -> None:
    """Hostile asset ``release_overwriting_step``: the step writes its honest bytes over
    the release's shipped backdoor. Under ``--isolation none`` the old rebuilder then
    copied the published output from the release it had changed: "reproduced", exit 0,
    the release modified. A sandbox hides the release; without one the change is seen."""
    if method != "none":
        need(method)
    rel = release_overwriting_step(tmp_path / "rel")
    report = rebuild(rel, RebuildOptions(timeout=30, isolation=method))
    assert not report.ok
    expected = "rebuild.release-modified" if method == "none" else "rebuild.output-differs"
    assert expected in errors(report), [f.message for f in report.findings]
    assert report.to_dict()["rebuild"]["steps"][0]["outputs"][0]["status"] != "reproduced"


def test_failed_validation_fails_the_rebuild(tmp_path: Path) -> None:
    """Hostile asset: a flat PSD declared as the layered source of an artwork. Validation
    fails (content.flat-layered-image); the step copies it and "reproduces" the output.
    Old code: rebuild OK, exit 0, and the text report never mentioned validation."""
    from rebuildable.render.text import render_text

    flat = psd(store="none")
    rel = one_step(tmp_path / "rel", "mkdir -p out && cp art.psd out/art.psd",
                   {"art.psd": flat, "out/art.psd": flat}, ["out/art.psd"],
                   kinds={"art.psd": "layered-image"})
    report = rebuild(rel, RebuildOptions(timeout=30))
    assert not report.ok
    assert errors(report) == {"rebuild.validation-failed"}
    assert "content.flat-layered-image" in report.to_dict()["rebuild"]["validation"]["errors"]
    text = render_text(report)
    assert "static validation" in text
    assert "content.flat-layered-image" in text


def test_cleanup_never_chmods_through_a_link(tmp_path: Path) -> None:
    """Hostile asset: a step leaves a link to a file outside its folder inside a folder
    it made read-only. The old cleanup's EACCES retry chmodded the link, i.e. its target.
    Run as an unprivileged user (root never sees EACCES)."""
    base = Path(tempfile.mkdtemp(prefix="rebuildable-rm-", dir="/tmp"))
    try:
        os.chmod(base, 0o755)
        outside = base / "outside.txt"
        outside.write_text("not yours\n")
        os.chmod(outside, 0o600)
        tree = base / "tree" / "locked"
        tree.mkdir(parents=True)
        (tree / "link").symlink_to(outside)
        os.chmod(tree, 0o500)
        code = ("import sys; from pathlib import Path; "
                "from rebuildable.rebuild.runner import remove_tree; "
                f"remove_tree(Path({str(base / 'tree')!r}))")
        if os.geteuid() == 0:
            for p in (base, outside, base / "tree", tree):
                os.lchown(p, 65534, 65534)
            os.lchown(tree / "link", 65534, 65534)
            argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    sys.executable, "-c", code]
        else:
            argv = [sys.executable, "-c", code]
        env = {"PATH": os.defpath, "PYTHONPATH": os.pathsep.join(sys.path)}
        subprocess.run(argv, check=True, env=env, timeout=60)
        assert stat.S_IMODE(outside.stat().st_mode) == 0o600
        assert not (base / "tree").exists()
    finally:
        remove_tree(base)


def test_sparse_terabyte_output_is_refused_quickly(tmp_path: Path) -> None:
    """Hostile asset: ``truncate -s 1T``: the old rebuilder copied it densely, outside
    the sandbox and the time limit."""
    rel = one_step(tmp_path / "rel", "mkdir -p out && truncate -s 1T out/big.bin",
                   {"out/big.bin": b"small\n"}, ["out/big.bin"])
    start = time.monotonic()
    report = rebuild(rel, RebuildOptions(timeout=30))
    assert time.monotonic() - start < 30
    too_large = next(f for f in report.findings if f.code == "rebuild.output-too-large")
    assert too_large.data["bound"] == RebuildOptions().max_output_size
    assert report.to_dict()["rebuild"]["steps"][0]["outputs"][0]["status"] == "too-large"
    assert not report.ok


def test_output_bound_is_an_option(tmp_path: Path) -> None:
    rel = one_step(tmp_path / "rel", "mkdir -p out && head -c 5000 /dev/zero > out/z.bin",
                   {"out/z.bin": bytes(5000)}, ["out/z.bin"])
    assert rebuild(rel, RebuildOptions(timeout=30)).ok
    report = rebuild(rel, RebuildOptions(timeout=30, max_output_size=4096))
    assert "rebuild.output-too-large" in errors(report)


@pytest.mark.parametrize("twice", [False, True])
def test_a_step_that_precreates_the_next_work_folder_is_no_crash(tmp_path: Path,
                                                                  twice: bool) -> None:
    """Hostile asset: under ``--isolation none`` a step sees its parent folders and makes
    the folder the next step (or the second run) would use. Old code: FileExistsError."""
    squat = ("mkdir -p ../002-second/work ../work-run2 ../../steps/002-second/work "
             "../../002-second/work 2>/dev/null; cp in.txt mid.txt")
    ids = {"in.txt": "in", "mid.txt": "mid", "final.txt": "final"}
    steps = [{"id": "first", "run": squat, "inputs": ["in"], "outputs": ["mid"]},
             {"id": "second", "run": "cp mid.txt final.txt", "inputs": ["mid"],
              "outputs": ["final"]}]
    rel = make_release(tmp_path / "rel", {"in.txt": b"x\n", "mid.txt": b"x\n",
                                          "final.txt": b"x\n"}, steps, ids=ids)
    report = rebuild(rel, RebuildOptions(timeout=30, isolation="none", twice=twice,
                                         work_root=tmp_path / "w"))
    assert errors(report) == set(), [f.message for f in report.findings]


@pytest.mark.parametrize("place", [".rebuild/home", ".rebuild/tmp/x"])
def test_an_input_in_the_rebuilders_own_folder_is_no_crash(tmp_path: Path, place: str) -> None:
    """Hostile asset: a source declared at ``.rebuild/home``, where the rebuilder makes
    the step's HOME. Old code: "internal error: FileExistsError"."""
    ids = {"out/x.txt": "out", place: "hidden"}
    steps = [{"id": "build", "run": "mkdir -p out && echo x > out/x.txt",
              "inputs": ["hidden"], "outputs": ["out"]}]
    rel = make_release(tmp_path / "rel", {"out/x.txt": b"x\n", place: b"gotcha"}, steps,
                       ids=ids)
    report = rebuild(rel, RebuildOptions(timeout=30))
    assert errors(report) == {"rebuild.input-unavailable"}
    unavailable = next(f for f in report.findings if f.code == "rebuild.input-unavailable")
    assert "the rebuilder's folder" in unavailable.message


def test_failed_step_shows_twenty_lines_and_where_the_log_is(tmp_path: Path) -> None:
    run = "for i in $(seq 1 30); do echo line-$i >&2; done; exit 3"
    rel = one_step(tmp_path / "rel", run, {"out/r.txt": b"x\n"}, ["out/r.txt"])
    from rebuildable.render.text import render_text

    report = rebuild(rel, RebuildOptions(timeout=30))
    failed = next(f for f in report.findings if f.code == "rebuild.step-failed")
    assert failed.data["excerpt"] == [f"line-{i}" for i in range(11, 31)]
    assert "--keep" in failed.message
    text = render_text(report)
    assert "| line-11\n" in text
    assert "| line-30\n" in text
    assert "line-10\n" not in text
    kept = next(f for f in rebuild(rel, RebuildOptions(timeout=30, keep=True,
                                                       work_root=tmp_path / "k")).findings
                if f.code == "rebuild.step-failed")
    log = Path(kept.data["log"])
    assert str(log) in kept.message
    assert "line-1\n" in log.read_text()


def test_a_missing_module_is_not_blamed_on_an_undeclared_file(tmp_path: Path) -> None:
    run = "python3 -c 'import rebuildable_no_such_module_xyz'"
    rel = one_step(tmp_path / "rel", run, {"out/r.txt": b"x\n"}, ["out/r.txt"])
    failed = next(f for f in rebuild(rel, RebuildOptions(timeout=30)).findings
                  if f.code == "rebuild.step-failed")
    assert failed.hint is not None
    assert "module" in failed.hint
    assert "declare" in failed.hint
    assert "does not declare" not in failed.hint
    assert "No module named" in failed.message


def test_an_undeclared_file_is_still_named_as_the_likely_cause(tmp_path: Path) -> None:
    rel = one_step(tmp_path / "rel", "mkdir -p out && cat secret.txt > out/r.txt",
                   {"secret.txt": b"x\n", "out/r.txt": b"x\n"}, ["out/r.txt"], inputs=[])
    failed = next(f for f in rebuild(rel, RebuildOptions(timeout=30)).findings
                  if f.code == "rebuild.step-failed")
    assert failed.hint is not None
    assert "does not declare" in failed.hint
