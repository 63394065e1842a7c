"""Rebuild: steps run from their declared inputs alone, isolated, time-limited, and the
outputs are compared with the published ones."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rebuildable.api import rebuild
from rebuildable.findings import Severity
from rebuildable.rebuild import RebuildOptions
from rebuildable.rebuild.plan import DEFAULT_SOURCE_DATE_EPOCH
from rebuildable.rebuild.runner import probe_isolation
from tests.support import PROBLEMS, codes, make_release, read_manifest, write_manifest

HELLO = b"hello\n"


def tree_digest(root: Path) -> str:
    """One digest over every path, mode, mtime and content below ``root``."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames) + sorted(dirnames):
            p = Path(dirpath, name)
            st = p.lstat()
            h.update(f"{p.relative_to(root)}\0{st.st_mode}\0{st.st_mtime_ns}\0".encode())
            if p.is_file() and not p.is_symlink():
                h.update(p.read_bytes())
    return h.hexdigest()


def simple(root: Path, run: str, *, files: dict[str, bytes] | None = None,
           outputs: dict[str, bytes] | None = None, inputs: list[str] | None = None,
           **step: Any) -> Path:
    """A release with sources ``files``, published ``outputs`` and one step."""
    files = files if files is not None else {"src/in.txt": HELLO}
    outputs = outputs if outputs is not None else {"out/result.txt": HELLO}
    ids = {p: p.replace("/", "-").replace(".", "-") for p in {**files, **outputs}}
    steps = [{"id": "build", "run": run,
              "inputs": inputs if inputs is not None else [ids[p] for p in files],
              "outputs": [ids[p] for p in outputs], **step}]
    return make_release(root, {**files, **outputs}, steps, ids=ids)


@pytest.fixture
def opts() -> RebuildOptions:
    return RebuildOptions(timeout=30)


# -- the happy path and the report -------------------------------------------------------


def test_reproduced_output_exits_ok_and_reports_each_output(tmp_path: Path,
                                                              opts: RebuildOptions) -> None:
    rel = simple(tmp_path / "rel", "mkdir -p out && cp src/in.txt out/result.txt")
    report = rebuild(rel, opts)
    assert report.ok, report.findings
    assert set(codes(report, Severity.INFO)) - {"rebuild.isolation-weak"} == {
        "rebuild.output-reproduced"}
    section = report.to_dict()["rebuild"]
    step = section["steps"][0]
    assert step["status"] == "reproduced"
    assert step["outputs"][0]["status"] == "reproduced"
    assert step["outputs"][0]["matches_declared_digest"] is True
    assert step["isolation"]["timeout"] == 30
    assert step["isolation"]["method"] in ("bwrap", "unshare", "none")
    assert section["source_date_epoch"] == {"value": DEFAULT_SOURCE_DATE_EPOCH,
                                            "from": "default"}


def test_release_tree_is_never_modified(tmp_path: Path, opts: RebuildOptions) -> None:
    rel = simple(tmp_path / "rel",
                 "mkdir -p out && echo changed > out/result.txt && echo x > new-file")
    before = tree_digest(rel)
    report = rebuild(rel, opts)
    assert tree_digest(rel) == before
    assert "rebuild.output-differs" in codes(report, *PROBLEMS)


def test_work_folder_is_outside_the_release_and_removed(tmp_path: Path,
                                                       opts: RebuildOptions) -> None:
    rel = simple(tmp_path / "rel", "mkdir -p out && pwd > out/result.txt")
    report = rebuild(rel, RebuildOptions(timeout=30, work_root=tmp_path / "work"))
    diff = next(f for f in report.findings if f.code == "rebuild.output-differs")
    assert diff.data["bytes"]["offset"] == 0
    assert list((tmp_path / "work").iterdir()) == []  # cleaned up
    assert str(rel) not in json.dumps(report.to_dict()["rebuild"]["steps"])


def test_keep_keeps_the_work_folders(tmp_path: Path) -> None:
    rel = simple(tmp_path / "rel", "mkdir -p out && cp src/in.txt out/result.txt")
    report = rebuild(rel, RebuildOptions(timeout=30, keep=True, work_root=tmp_path / "w"))
    kept = Path(report.to_dict()["rebuild"]["work_dir"])
    assert kept.is_dir()
    assert (kept / "steps").is_dir()
    assert any(kept.rglob("result.txt"))


# -- undeclared dependencies and failures ----------------------------------------------


def test_hidden_dependency_fails_loudly(tmp_path: Path, opts: RebuildOptions) -> None:
    """The step reads a shipped file it does not declare: it is not in its folder."""
    rel = simple(tmp_path / "rel", "mkdir -p out && cat src/secret.txt > out/result.txt",
                 files={"src/in.txt": HELLO, "src/secret.txt": HELLO},
                 inputs=["src-in-txt"])
    report = rebuild(rel, opts)
    assert not report.ok
    failed = next(f for f in report.findings if f.code == "rebuild.step-failed")
    assert failed.step == "build"
    assert "secret.txt" in failed.data["stderr_tail"]
    assert failed.location is not None
    assert failed.location.pointer == "/steps/0/run"


def test_release_is_not_reachable_by_absolute_path_under_bwrap(tmp_path: Path) -> None:
    if probe_isolation().method != "bwrap":
        pytest.skip("bubblewrap is not available here")
    rel = tmp_path / "rel"
    simple(rel, f"mkdir -p out && cat {rel}/src/secret.txt > out/result.txt",
           files={"src/in.txt": HELLO, "src/secret.txt": HELLO}, inputs=["src-in-txt"])
    report = rebuild(rel, RebuildOptions(timeout=30))
    assert "rebuild.step-failed" in codes(report, *PROBLEMS)


def test_failing_step_reports_exit_status_and_stderr_tail(tmp_path: Path,
                                                         opts: RebuildOptions) -> None:
    rel = simple(tmp_path / "rel", "echo 'compiler exploded' >&2; exit 3")
    report = rebuild(rel, opts)
    failed = next(f for f in report.findings if f.code == "rebuild.step-failed")
    assert failed.data["exit_code"] == 3
    assert "compiler exploded" in failed.data["stderr_tail"]
    assert "status 3" in failed.message
    assert report.to_dict()["rebuild"]["steps"][0]["status"] == "failed"


def test_missing_output_is_reported(tmp_path: Path, opts: RebuildOptions) -> None:
    rel = simple(tmp_path / "rel", "true")
    report = rebuild(rel, opts)
    assert codes(report, *PROBLEMS) == ["rebuild.output-missing"]
    missing = next(f for f in report.findings if f.code == "rebuild.output-missing")
    assert missing.artifact == "out-result-txt"


def test_output_symlink_out_of_the_work_folder_is_not_followed(tmp_path: Path,
                                                               opts: RebuildOptions) -> None:
    (tmp_path / "outside.txt").write_bytes(HELLO)
    rel = simple(tmp_path / "rel", f"mkdir -p out && ln -s {tmp_path}/outside.txt out/result.txt")
    report = rebuild(rel, opts)
    assert "rebuild.output-missing" in codes(report, *PROBLEMS)


def test_output_mismatch_is_located_at_the_first_differing_byte(tmp_path: Path,
                                                               opts: RebuildOptions) -> None:
    published = b"0123456789abcdefXYZ-the-rest"
    rel = simple(tmp_path / "rel",
                 "mkdir -p out && printf '0123456789abcdefxyz-the-rest' > out/result.txt",
                 outputs={"out/result.txt": published})
    report = rebuild(rel, opts)
    diff = next(f for f in report.findings if f.code == "rebuild.output-differs")
    assert diff.data["bytes"]["offset"] == 16
    assert diff.data["bytes"]["rebuilt_hex"].startswith("38 39 61 62")  # "89ab"
    assert "78 79 7a" in diff.data["bytes"]["rebuilt_hex"]  # "xyz"
    assert "58 59 5a" in diff.data["bytes"]["published_hex"]  # "XYZ"
    assert "offset 16" in diff.message
    assert diff.location is not None
    assert diff.location.pointer == "/artifacts/1"


# -- time limits and process groups ---------------------------------------------------


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a zombie not yet reaped by init counts as gone
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def _wait_gone(pids: list[int]) -> bool:
    for _ in range(200):
        if all(_gone(p) for p in pids):
            return True
        time.sleep(0.02)
    return False


def test_hanging_step_is_killed_with_its_whole_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    rel = simple(tmp_path / "rel",
                 f"sleep 300 & echo $! >> {pidfile}; (sleep 300; true) & echo $! >> {pidfile}; "
                 f"echo $$ >> {pidfile}; wait")
    report = rebuild(rel, RebuildOptions(timeout=1, isolation="none"))
    timeout = next(f for f in report.findings if f.code == "rebuild.step-timeout")
    assert timeout.data["timeout"] == 1
    pids = [int(x) for x in pidfile.read_text().split()]
    assert len(pids) == 3
    assert _wait_gone(pids), "processes of the step outlived the timeout"
    assert report.to_dict()["rebuild"]["steps"][0]["status"] == "timeout"


def test_children_that_outlive_a_finished_step_are_killed(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    rel = simple(tmp_path / "rel",
                 f"(sleep 300 >/dev/null 2>&1 &  echo $! > {pidfile}); "
                 "mkdir -p out && cp src/in.txt out/result.txt")
    report = rebuild(rel, RebuildOptions(timeout=30, isolation="none"))
    assert report.ok, report.findings
    pid = int(pidfile.read_text())
    assert _wait_gone([pid])
    assert report.to_dict()["rebuild"]["steps"][0]["runs"][0]["leftover_processes_killed"]


def _running_with_args(*args: str) -> list[int]:
    """Pids of live (not zombie) processes whose command line is exactly ``args``."""
    want = "\0".join(args).encode() + b"\0"
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{name}/cmdline").read_bytes()
            stat_ = Path(f"/proc/{name}/stat").read_bytes()
        except OSError:
            continue
        if cmdline == want and stat_[stat_.rfind(b")") + 2:][:1] != b"Z":
            found.append(int(name))
    return found


@pytest.mark.parametrize("method", ["bwrap", "unshare"])
def test_a_process_escaping_into_a_new_session_dies_with_the_step(tmp_path: Path,
                                                                  method: str) -> None:
    try:
        probe_isolation(method)
    except ValueError as exc:
        pytest.skip(str(exc))
    marker = f"{200 + os.getpid() % 97}.{time.time_ns() % 10**6}"
    rel = simple(tmp_path / "rel",
                 f"setsid sleep {marker} >/dev/null 2>&1 < /dev/null & "
                 "mkdir -p out && cp src/in.txt out/result.txt")
    try:
        report = rebuild(rel, RebuildOptions(timeout=30, isolation=method))
        assert report.ok, report.findings
        for _ in range(100):
            if not _running_with_args("sleep", marker):
                break
            time.sleep(0.02)
        assert not _running_with_args("sleep", marker)
    finally:
        for pid in _running_with_args("sleep", marker):
            os.kill(pid, 9)


# -- environment ------------------------------------------------------------------------

#: what /bin/sh itself may add to the environment it was given
SHELL_ADDED = {"PWD", "SHLVL", "OLDPWD", "_"}
DOCUMENTED = {"PATH", "HOME", "TMPDIR", "LANG", "TZ", "SOURCE_DATE_EPOCH"}


@pytest.mark.parametrize("method", ["auto", "none"])
def test_environment_is_minimal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                method: str) -> None:
    monkeypatch.setenv("REBUILDABLE_TEST_SECRET", "do-not-leak")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "nope")
    rel = simple(tmp_path / "rel", "mkdir -p out && env > out/result.txt")
    report = rebuild(rel, RebuildOptions(timeout=30, isolation=method, keep=True,
                                         work_root=tmp_path / "w"))
    dumped = next(tmp_path.joinpath("w").rglob("rebuilt-run1-*/out-result-txt")).read_text()
    env = dict(line.split("=", 1) for line in dumped.splitlines() if "=" in line)
    assert set(env) - SHELL_ADDED == DOCUMENTED
    assert env["LANG"] == "C.UTF-8"
    assert env["TZ"] == "UTC"
    assert env["SOURCE_DATE_EPOCH"] == str(DEFAULT_SOURCE_DATE_EPOCH)
    assert env["PATH"] == os.environ["PATH"]
    work = report.to_dict()["rebuild"]["steps"][0]["work_dir"]
    assert env["HOME"].startswith(work)
    assert env["TMPDIR"].startswith(work)
    assert "do-not-leak" not in dumped


def test_source_date_epoch_comes_from_the_manifest(tmp_path: Path,
                                                   opts: RebuildOptions) -> None:
    rel = simple(tmp_path / "rel", 'mkdir -p out && echo "$SOURCE_DATE_EPOCH" > out/result.txt',
                 outputs={"out/result.txt": b"1700000000\n"})
    data = read_manifest(rel)
    data["x-source-date-epoch"] = 1700000000
    write_manifest(rel / "rebuild.yaml", data)
    report = rebuild(rel, opts)
    assert report.ok, report.findings
    assert report.to_dict()["rebuild"]["source_date_epoch"]["from"] == "manifest"


def test_inputs_have_the_source_date_epoch_as_mtime(tmp_path: Path,
                                                     opts: RebuildOptions) -> None:
    rel = simple(tmp_path / "rel", "mkdir -p out && stat -c %Y src/in.txt > out/result.txt",
                 outputs={"out/result.txt": f"{DEFAULT_SOURCE_DATE_EPOCH}\n".encode()})
    report = rebuild(rel, opts)
    assert report.ok, report.findings


# -- isolation --------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["bwrap", "unshare", "none"])
def test_each_isolation_method_reports_what_it_gave(tmp_path: Path, method: str) -> None:
    try:
        probe_isolation(method)
    except ValueError as exc:
        pytest.skip(str(exc))
    rel = simple(tmp_path / "rel", "mkdir -p out && cp src/in.txt out/result.txt")
    report = rebuild(rel, RebuildOptions(timeout=30, isolation=method))
    assert report.ok, report.findings
    iso = report.to_dict()["rebuild"]["steps"][0]["isolation"]
    assert iso["method"] == method
    assert iso["network"] is (method == "none")
    # both sandboxes enforce REB-3; only an explicit --isolation none runs without one,
    # and says so as a warning
    assert iso["readonly_system"] is (method != "none")
    assert iso["private_mounts"] is (method != "none")
    weak = "rebuild.isolation-weak" in codes(report, Severity.WARNING)
    assert weak is (method == "none")


def test_bwrap_gives_no_network_and_a_read_only_system(tmp_path: Path) -> None:
    try:
        probe_isolation("bwrap")
    except ValueError as exc:
        pytest.skip(str(exc))
    probe = Path("/var/tmp", f"rebuildable-probe-{os.getpid()}-{tmp_path.name}")
    rel = simple(tmp_path / "rel",
                 f"mkdir -p out; (touch {probe} 2>/dev/null && echo wrote || echo ro) > out/r; "
                 "grep -c : /proc/net/dev >> out/r; mv out/r out/result.txt",
                 outputs={"out/result.txt": b"ro\n1\n"})  # one interface: lo
    try:
        report = rebuild(rel, RebuildOptions(timeout=30, isolation="bwrap"))
        assert report.ok, [f.message for f in report.findings]
        assert not probe.exists()
    finally:
        probe.unlink(missing_ok=True)


def test_an_unavailable_isolation_method_is_a_usage_error(monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    from rebuildable.errors import UsageError
    from rebuildable.rebuild import runner

    monkeypatch.setattr(runner, "_PROBED", {})
    monkeypatch.setenv("PATH", str(tmp_path))  # neither bwrap nor unshare on it
    rel = simple(tmp_path / "rel", "true")
    with pytest.raises(UsageError, match="bwrap"):
        rebuild(rel, RebuildOptions(isolation="bwrap"))
    assert runner.probe_isolation("auto").method == "none"
    assert any("not found" in p for p in runner.probe_isolation("auto").probe)


# -- multi-step plans, --step, --twice ---------------------------------------------------


def _two_steps(root: Path, second_run: str = "cat mid.txt mid.txt > final.txt") -> Path:
    files = {"a.txt": b"A\n", "mid.txt": b"A\nA\n", "final.txt": b"A\nA\nA\nA\n"}
    steps = [
        {"id": "second", "run": second_run, "inputs": ["mid.txt"], "outputs": ["final.txt"]},
        {"id": "first", "run": "cat a.txt a.txt > mid.txt", "inputs": ["a.txt"],
         "outputs": ["mid.txt"]},
    ]
    return make_release(root, files, steps)


def test_steps_run_in_dependency_order_on_rebuilt_outputs(tmp_path: Path,
                                                          opts: RebuildOptions) -> None:
    rel = _two_steps(tmp_path / "rel")
    report = rebuild(rel, opts)
    assert report.ok, report.findings
    steps = report.to_dict()["rebuild"]["steps"]
    assert [s["id"] for s in steps] == ["first", "second"]
    assert steps[1]["inputs"][0]["origin"] == "rebuilt:first"


def test_a_failed_step_skips_its_dependants(tmp_path: Path, opts: RebuildOptions) -> None:
    rel = _two_steps(tmp_path / "rel")
    data = read_manifest(rel)
    data["steps"][1]["run"] = "exit 1"
    write_manifest(rel / "rebuild.yaml", data)
    report = rebuild(rel, opts)
    assert {"rebuild.step-failed", "rebuild.step-skipped"} <= set(codes(report, *PROBLEMS))
    skipped = next(f for f in report.findings if f.code == "rebuild.step-skipped")
    assert skipped.step == "second"
    assert "first" in skipped.message


def test_step_option_takes_earlier_outputs_as_shipped(tmp_path: Path) -> None:
    rel = _two_steps(tmp_path / "rel")
    report = rebuild(rel, RebuildOptions(timeout=30, step="second"))
    assert report.ok, report.findings
    steps = report.to_dict()["rebuild"]["steps"]
    assert [s["id"] for s in steps] == ["second"]
    assert steps[0]["inputs"][0]["origin"] == "shipped-output"
    assert report.to_dict()["rebuild"]["mode"] == "step"


def test_step_option_verifies_shipped_outputs_by_digest(tmp_path: Path) -> None:
    rel = _two_steps(tmp_path / "rel")
    (rel / "mid.txt").write_bytes(b"B\nB\n")  # tampered after the manifest was written
    report = rebuild(rel, RebuildOptions(timeout=30, step="second"))
    unavailable = next(f for f in report.findings if f.code == "rebuild.input-unavailable")
    assert "digest" in unavailable.message


def test_unknown_step_is_a_usage_error(tmp_path: Path) -> None:
    from rebuildable.errors import UsageError

    with pytest.raises(UsageError, match="no step 'nope'"):
        rebuild(_two_steps(tmp_path / "rel"), RebuildOptions(step="nope"))


def test_twice_catches_a_nondeterministic_step(tmp_path: Path) -> None:
    rel = simple(tmp_path / "rel",
                 "mkdir -p out && head -c 16 /dev/urandom > out/result.txt",
                 outputs={"out/result.txt": b"0" * 16})
    report = rebuild(rel, RebuildOptions(timeout=30, twice=True))
    nondet = next(f for f in report.findings if f.code == "rebuild.nondeterministic")
    assert nondet.severity is Severity.ERROR
    assert nondet.data["bytes"]["rebuilt_size"] == 16
    step = report.to_dict()["rebuild"]["steps"][0]
    assert len(step["runs"]) == 2
    assert step["outputs"][0]["second_run"] == "differs"


def test_twice_is_quiet_for_a_deterministic_step(tmp_path: Path) -> None:
    rel = simple(tmp_path / "rel", "mkdir -p out && cp src/in.txt out/result.txt")
    report = rebuild(rel, RebuildOptions(timeout=30, twice=True))
    assert report.ok
    assert "rebuild.nondeterministic" not in codes(report, *Severity)
    assert report.to_dict()["rebuild"]["steps"][0]["outputs"][0]["second_run"] == "identical"


def test_undeclared_writes_are_noted(tmp_path: Path, opts: RebuildOptions) -> None:
    rel = simple(tmp_path / "rel",
                 "mkdir -p out && cp src/in.txt out/result.txt && echo x > scratch.log")
    report = rebuild(rel, opts)
    note = next(f for f in report.findings if f.code == "rebuild.undeclared-write")
    assert note.data["files"] == ["scratch.log"]


# -- refusing, sources, external and upstream inputs ------------------------------------


def test_structural_errors_refuse_the_rebuild(tmp_path: Path, opts: RebuildOptions) -> None:
    marker = tmp_path / "ran"
    rel = simple(tmp_path / "rel", f"touch {marker}")
    data = read_manifest(rel)
    data["steps"][0]["inputs"].append("no-such-artifact")
    write_manifest(rel / "rebuild.yaml", data)
    report = rebuild(rel, opts)
    assert codes(report, *PROBLEMS) == ["rebuild.refused", "refs.dangling-input"]
    assert not marker.exists()
    assert report.to_dict()["rebuild"]["refused"] is True


def test_output_digest_mismatch_does_not_refuse(tmp_path: Path, opts: RebuildOptions) -> None:
    rel = simple(tmp_path / "rel", "mkdir -p out && cp src/in.txt out/result.txt")
    (rel / "out/result.txt").write_bytes(b"tampered\n")
    report = rebuild(rel, opts)
    diff = next(f for f in report.findings if f.code == "rebuild.output-differs")
    assert diff.data["bytes"]["offset"] == 0
    out = report.to_dict()["rebuild"]["steps"][0]["outputs"][0]
    assert out["matches_declared_digest"] is True


def test_tampered_source_is_not_used(tmp_path: Path, opts: RebuildOptions) -> None:
    rel = simple(tmp_path / "rel", "mkdir -p out && cp src/in.txt out/result.txt")
    (rel / "src/in.txt").write_bytes(b"evil!\n")
    report = rebuild(rel, opts)
    bad = next(f for f in report.findings if f.code == "rebuild.input-unavailable")
    assert "src-in-txt" in bad.message
    assert "digest" in bad.message


def _external(tmp_path: Path, content: bytes) -> tuple[Path, dict[str, Any]]:
    ext = {"id": "corpus", "uri": "http://127.0.0.1:9/data/corpus.txt", "kind": "dataset",
           "digest": {"sha256": hashlib.sha256(content).hexdigest()}, "size": len(content)}
    rel = make_release(
        tmp_path / "rel", {"out/result.txt": content},
        [{"id": "build", "run": "mkdir -p out && cp external/corpus/corpus.txt out/result.txt",
          "inputs": ["corpus"], "outputs": ["out-result.txt"]}],
        ids={"out/result.txt": "out-result.txt"}, extra_artifacts=[ext])
    return rel, ext


def test_external_input_missing_offline_is_reported_and_dependants_skipped(
        tmp_path: Path, opts: RebuildOptions) -> None:
    rel, _ = _external(tmp_path, b"corpus data\n")
    report = rebuild(rel, opts)
    missing = next(f for f in report.findings if f.code == "rebuild.input-unavailable")
    assert "corpus" in missing.message
    assert "--fetch" in missing.message
    assert report.to_dict()["rebuild"]["steps"][0]["status"] == "unavailable"


def test_external_input_found_in_inputs_dir_by_digest(tmp_path: Path) -> None:
    content = b"corpus data\n"
    rel, _ = _external(tmp_path, content)
    store = tmp_path / "store"
    (store / "deep").mkdir(parents=True)
    (store / "deep" / "whatever-name.bin").write_bytes(content)
    (store / "decoy.bin").write_bytes(b"corpus datA\n")  # same size, other digest
    report = rebuild(rel, RebuildOptions(timeout=30, inputs_dirs=(store,)))
    assert report.ok, report.findings
    assert report.to_dict()["rebuild"]["steps"][0]["inputs"][0]["origin"].startswith(
        "inputs-dir:")


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    import functools
    import http.server
    import threading

    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_fetch_downloads_and_verifies_external_inputs(tmp_path: Path,
                                                     http_server: tuple[str, Path]) -> None:
    base, www = http_server
    content = b"corpus data\n"
    rel, _ext = _external(tmp_path, content)
    (www / "corpus.txt").write_bytes(content)
    data = read_manifest(rel)
    data["artifacts"][-1]["uri"] = f"{base}/corpus.txt"
    write_manifest(rel / "rebuild.yaml", data)
    report = rebuild(rel, RebuildOptions(timeout=30, fetch=True))
    assert report.ok, report.findings
    # the same URI serving other bytes: refused before use
    (www / "corpus.txt").write_bytes(b"CORPUS DATA\n")
    report = rebuild(rel, RebuildOptions(timeout=30, fetch=True))
    bad = next(f for f in report.findings if f.code == "rebuild.input-unavailable")
    assert "digest" in bad.message
    # larger than declared: the download stops at the declared size
    (www / "corpus.txt").write_bytes(content * 50)
    report = rebuild(rel, RebuildOptions(timeout=30, fetch=True))
    bad = next(f for f in report.findings if f.code == "rebuild.input-unavailable")
    assert "declared size" in bad.message


def test_fetch_refuses_other_schemes(tmp_path: Path) -> None:
    rel, _ = _external(tmp_path, b"x\n")
    data = read_manifest(rel)
    data["artifacts"][-1]["uri"] = "file:///etc/passwd"
    write_manifest(rel / "rebuild.yaml", data)
    report = rebuild(rel, RebuildOptions(timeout=30, fetch=True))
    bad = next(f for f in report.findings if f.code == "rebuild.input-unavailable")
    assert "only https and http" in bad.message


def test_upstream_input_is_taken_from_the_pinned_upstream_manifest(
        tmp_path: Path, opts: RebuildOptions) -> None:
    base_weights = b"base weights\n"
    up = make_release(tmp_path / "rel" / "upstream" / "base", {"w.bin": base_weights},
                      ids={"w.bin": "weights"})
    up_digest = hashlib.sha256((up / "rebuild.yaml").read_bytes()).hexdigest()
    rel = tmp_path / "rel"
    (rel / "out").mkdir()
    make_release(
        rel, {"out/tuned.bin": base_weights},
        [{"id": "tune", "run": "mkdir -p out && cp upstream/base/w.bin out/tuned.bin",
          "inputs": ["base:weights"], "outputs": ["tuned"]}],
        ids={"out/tuned.bin": "tuned"},
        upstream=[{"id": "base", "relation": "fine-tune-of",
                   "manifest": {"path": "upstream/base/rebuild.yaml",
                                "digest": {"sha256": up_digest}}}])
    data = read_manifest(rel)
    data["artifacts"] += [{"id": "base-manifest", "path": "upstream/base/rebuild.yaml",
                           "kind": "other", "digest": {"sha256": up_digest}},
                          {"id": "base-w", "path": "upstream/base/w.bin", "kind": "weights",
                           "digest": {"sha256": hashlib.sha256(base_weights).hexdigest()}}]
    write_manifest(rel / "rebuild.yaml", data)
    report = rebuild(rel, opts)
    assert report.ok, [f.message for f in report.findings]
    assert report.to_dict()["rebuild"]["steps"][0]["inputs"][0]["origin"] == "upstream:base"
    # the upstream manifest changed after it was pinned: unavailable, not used
    (up / "rebuild.yaml").write_text((up / "rebuild.yaml").read_text() + "# changed\n")
    report = rebuild(rel, opts)
    assert "rebuild.input-unavailable" in codes(report, *PROBLEMS)


def test_archive_release_is_rebuilt_without_extracting_it_anywhere_else(
        tmp_path: Path, opts: RebuildOptions) -> None:
    import tarfile

    rel = simple(tmp_path / "rel", "mkdir -p out && cp src/in.txt out/result.txt")
    archive = tmp_path / "rel.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(rel, arcname=".")
    shutil.rmtree(rel)
    report = rebuild(archive, opts)
    assert report.ok, report.findings
    assert report.to_dict()["rebuild"]["steps"][0]["status"] == "reproduced"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rel.tar.gz"]


def test_work_dir_inside_the_release_is_refused(tmp_path: Path) -> None:
    from rebuildable.errors import UsageError

    rel = simple(tmp_path / "rel", "mkdir -p out && cp src/in.txt out/result.txt")
    before = tree_digest(rel)
    with pytest.raises(UsageError, match="inside the release"):
        rebuild(rel, RebuildOptions(work_root=rel / "scratch"))
    assert tree_digest(rel) == before


def test_no_steps_is_a_warning(tmp_path: Path, opts: RebuildOptions) -> None:
    rel = make_release(tmp_path / "rel", {"a.txt": b"a"})
    report = rebuild(rel, opts)
    assert "rebuild.no-steps" in codes(report, *PROBLEMS)
    assert report.ok


def test_missing_release_is_fatal(tmp_path: Path) -> None:
    report = rebuild(tmp_path / "nope")
    assert report.fatal


def test_reports_validate_against_the_report_schema(tmp_path: Path) -> None:
    from rebuildable import schema

    rel = _two_steps(tmp_path / "rel", second_run="echo other > final.txt")
    failing = _two_steps(tmp_path / "failing", second_run="exit 1")
    refused = simple(tmp_path / "refused", "true")
    data = read_manifest(refused)
    data["steps"][0]["outputs"].append("nope")
    write_manifest(refused / "rebuild.yaml", data)
    reports = [rebuild(rel, RebuildOptions(timeout=30, twice=True)),
               rebuild(rel, RebuildOptions(timeout=30, step="second", keep=True,
                                           work_root=tmp_path / "w")),
               rebuild(failing, RebuildOptions(timeout=30)),
               rebuild(refused, RebuildOptions(timeout=30))]
    assert reports[3].to_dict()["rebuild"]["refused"] is True
    for report in reports:
        data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
        errors = list(schema.validator("report").iter_errors(data))
        assert not errors, [e.message for e in errors]


def test_cli_exit_codes_and_json(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from rebuildable.cli import cli

    good = simple(tmp_path / "good", "mkdir -p out && cp src/in.txt out/result.txt")
    bad = simple(tmp_path / "bad", "mkdir -p out && echo nope > out/result.txt")
    runner = CliRunner()
    res = runner.invoke(cli, ["rebuild", str(good), "--format", "json", "--timeout", "30"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["rebuild"]["steps"][0]["status"] == "reproduced"
    res = runner.invoke(cli, ["rebuild", str(bad)], catch_exceptions=False)
    assert res.exit_code == 1
    assert "rebuild.output-differs" in res.stdout
    assert "offset 0" in res.stdout
    res = runner.invoke(cli, ["rebuild", str(tmp_path / "missing")], catch_exceptions=False)
    assert res.exit_code == 2
    res = runner.invoke(cli, ["rebuild", str(good), "--step", "nope"], catch_exceptions=False)
    assert res.exit_code == 2
    assert "no step 'nope'" in res.stderr
    res = runner.invoke(cli, ["rebuild", str(good), "--timeout", "0"])
    assert res.exit_code == 2
    keep = runner.invoke(cli, ["rebuild", str(good), "--keep", "--work-dir",
                               str(tmp_path / "kept")], catch_exceptions=False)
    assert keep.exit_code == 0
    assert "work folders kept in" in keep.stderr
    shutil.rmtree(tmp_path / "kept")


# -- comparator availability, missing references, tolerated nondeterminism ---------------


def _npy(values: list[float]) -> bytes:
    import io

    import numpy as np

    buf = io.BytesIO()
    np.save(buf, np.array(values, dtype=np.float64), allow_pickle=False)
    return buf.getvalue()


def test_missing_numpy_is_an_error_not_a_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              opts: RebuildOptions) -> None:
    from rebuildable.rebuild import equivalence

    monkeypatch.setattr(equivalence.optional, "numpy_module", lambda: None)
    rel = simple(tmp_path / "rel", "mkdir -p out && cp src/in.npy out/w.npy",
                 files={"src/in.npy": _npy([1.0, 2.0 + 1e-12])},
                 outputs={"out/w.npy": _npy([1.0, 2.0])},
                 equivalence={"out-w-npy": {"numeric": {"rtol": 1e-6}}})
    report = rebuild(rel, opts)
    assert codes(report, *PROBLEMS) == ["rebuild.comparator-unavailable"]
    unavailable = next(f for f in report.findings if f.code == "rebuild.comparator-unavailable")
    assert "rebuildable[numeric]" in unavailable.message


def test_unreadable_published_output_is_reported(tmp_path: Path, opts: RebuildOptions) -> None:
    rel = simple(tmp_path / "rel", "mkdir -p out && cp src/in.txt out/result.txt")
    (rel / "out/result.txt").unlink()
    report = rebuild(rel, opts)
    assert codes(report, *PROBLEMS) == ["rebuild.reference-unavailable",
                                        "rebuild.validation-failed"]


def test_twice_tolerates_nondeterminism_within_the_policy(tmp_path: Path) -> None:
    flag = tmp_path / "first-run-done"
    rel = simple(tmp_path / "rel",
                 f"mkdir -p out; if [ -e {flag} ]; then cp src/b.npy out/w.npy; "
                 f"else touch {flag}; cp src/a.npy out/w.npy; fi",
                 files={"src/a.npy": _npy([1.0, 2.0]), "src/b.npy": _npy([1.0, 2.0 + 1e-12])},
                 outputs={"out/w.npy": _npy([1.0, 2.0])},
                 equivalence={"out-w-npy": {"numeric": {"rtol": 1e-9}}})
    report = rebuild(rel, RebuildOptions(timeout=30, twice=True, isolation="none"))
    assert report.ok, report.findings
    nondet = next(f for f in report.findings if f.code == "rebuild.nondeterministic")
    assert nondet.severity is Severity.INFO
    assert nondet.data["max_abs_diff"] > 0
    assert report.to_dict()["rebuild"]["steps"][0]["outputs"][0]["second_run"] == "equivalent"
