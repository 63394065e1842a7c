"""Running one step: a private work folder, a minimal environment, a time limit, the
whole process group killed at the end, and as much isolation as the machine allows.

Isolation methods (probed once per process by running ``true`` in them):

* ``bwrap`` and ``unshare``: each gives the step the private view of [REB-3]
  (``sandbox.py``): only the work folder writable, the system read-only, the release,
  ``/root``, ``/home``, ``/tmp``, ``/run`` and the rebuilder's folders hidden, a fresh
  ``/dev``, no network, a PID namespace (nothing the step starts outlives it);
* ``none``: a plain child process (its own session, time-limited, the minimal
  environment) that sees and may write whatever the caller may. It proves nothing
  about a step's inputs, so a rebuild uses it only when the caller asks for it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rebuildable.rebuild.sandbox import View, bwrap_argv, make_view, unshare_argv
from rebuildable.rebuild.workfolder import remove_tree

#: how long a process group gets between SIGTERM and SIGKILL
KILL_GRACE = 2.0
#: how much of stdout/stderr a report keeps (the tail)
TAIL_BYTES = 4000
METHODS = ("bwrap", "unshare", "none")
__all__ = ["GUARANTEES", "METHODS", "Isolation", "StepRun", "kill_group", "make_private_dir",
           "minimal_environment", "probe_isolation", "remove_tree", "run_command"]


#: what [REB-3] asks of a sandbox, as the report names it
GUARANTEES = ("private-mounts", "readonly-system", "no-network", "pid-namespace")


@dataclass(frozen=True, slots=True)
class Isolation:
    method: str  # "bwrap" | "unshare" | "none"
    network: bool  # True when the step can reach the network
    readonly_system: bool
    #: what was tried and why it was not used, for the report
    probe: tuple[str, ...] = ()

    @property
    def enforced(self) -> tuple[str, ...]:
        return GUARANTEES if self.method in ("bwrap", "unshare") else ()

    @property
    def not_enforced(self) -> tuple[str, ...]:
        return tuple(g for g in GUARANTEES if g not in self.enforced)

    def to_dict(self, timeout: float | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"method": self.method, "network": self.network,
                               "readonly_system": self.readonly_system,
                               "private_mounts": "private-mounts" in self.enforced,
                               "not_enforced": list(self.not_enforced)}
        if timeout is not None:
            out["timeout"] = timeout
        return out


_PROBED: dict[str, Isolation] = {}
_PROBE_LOCK = threading.Lock()


def _wrap(method: str, work: Path, command: str, view: View, network: bool = False) -> list[str]:
    if method == "bwrap":
        return bwrap_argv(work, ["/bin/sh", "-c", command], view, network=network)
    if method == "unshare":
        return unshare_argv(work, command, view, network=network)
    return ["/bin/sh", "-c", command]


def _try(method: str) -> str | None:
    """Run ``true`` under ``method``; None when it works, else why not."""
    tool = {"bwrap": "bwrap", "unshare": "unshare"}[method]
    if shutil.which(tool) is None:
        return f"{method}: {tool} not found on PATH"
    with tempfile.TemporaryDirectory(prefix="rebuildable-probe-") as tmp:
        try:
            view = make_view([], None)
            proc = subprocess.run(_wrap(method, Path(tmp), "true", view),
                                  cwd=tmp, stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=20, check=False, env={"PATH": os.defpath})
        except (OSError, subprocess.SubprocessError) as exc:
            return f"{method}: {exc}"
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        return f"{method}: exit {proc.returncode}" + (f" ({err[-1]})" if err else "")
    return None


def probe_isolation(preferred: str = "auto") -> Isolation:
    """The strongest isolation that works here (or exactly ``preferred``).

    Raises ValueError when ``preferred`` names a method that does not work here.
    """
    if preferred not in ("auto", *METHODS):
        raise ValueError(f"unknown isolation method {preferred!r}")
    with _PROBE_LOCK:
        if preferred in _PROBED:
            return _PROBED[preferred]
        notes: list[str] = []
        candidates = ["bwrap", "unshare"] if preferred == "auto" else [preferred]
        chosen: Isolation | None = None
        for method in candidates:
            if method == "none":
                chosen = Isolation("none", True, False)
                break
            why = _try(method)
            if why is None:
                chosen = Isolation(method, False, True, tuple(notes))
                break
            notes.append(why)
            if preferred != "auto":
                raise ValueError(f"isolation {why}")
        if chosen is None:
            chosen = Isolation("none", True, False, tuple(notes))
        _PROBED[preferred] = chosen
        return chosen


@dataclass(slots=True)
class StepRun:
    exit_code: int | None  # None when killed for the time limit
    timed_out: bool
    seconds: float
    stdout_tail: str
    stderr_tail: str
    #: processes still in the step's group after it ended (then killed)
    leftover_processes: bool = False
    interrupted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def minimal_environment(work: Path, source_date_epoch: int,
                        caller: Mapping[str, str] | None = None) -> dict[str, str]:
    """The whole environment of a step: [REB-6]."""
    caller = os.environ if caller is None else caller
    return {
        "PATH": caller.get("PATH", os.defpath),
        "HOME": str(work / ".rebuild" / "home"),
        "TMPDIR": str(work / ".rebuild" / "tmp"),
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "SOURCE_DATE_EPOCH": str(source_date_epoch),
    }


def _group_alive(pgid: int) -> bool:
    """True while a process of the group is running (zombies waiting to be reaped by an
    init that may never reap them do not count)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - a member changed uid: still there
        return True
    members = _group_states(pgid)
    if members is None:  # no /proc: trust killpg
        return True
    return any(state != "Z" for state in members)


def _group_states(pgid: int) -> list[str] | None:
    """The states of the processes in group ``pgid`` from /proc (None without /proc)."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return None
    states = []
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                raw = fh.read()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses
        fields = raw[raw.rfind(b")") + 2:].split()
        if len(fields) >= 3 and fields[2] == str(pgid).encode():
            states.append(fields[0].decode("ascii", "replace"))
    return states


def kill_group(pgid: int, grace: float = KILL_GRACE,
               leader: subprocess.Popen[bytes] | None = None) -> bool:
    """SIGTERM the process group, then SIGKILL what is left. True if anything was there.

    ``leader`` (the group's first process, our child) is reaped while we wait, so that
    its zombie does not keep the group looking alive.
    """
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover
        pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if leader is not None:
            leader.poll()
        if not _group_alive(pgid):
            return True
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    # zombies of the group are reaped by init once their parent is gone; wait a moment
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        if leader is not None:
            leader.poll()
        if not _group_alive(pgid):
            break
        time.sleep(0.02)
    return True


def _tail(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - TAIL_BYTES))
            data = fh.read()
    except OSError:
        return ""
    text = data.decode("utf-8", "replace")
    return text if size <= TAIL_BYTES else "…" + text


def run_command(run: str, work: Path, logs: Path, env: Mapping[str, str], *,
                timeout: float, isolation: Isolation, view: View | None = None,
                network: bool = False) -> StepRun:
    """Run ``/bin/sh -c run`` in ``work`` under ``isolation``; ``logs`` gets stdout/stderr.

    The step is the leader of a new session and process group; the group is killed on
    timeout, on interrupt and after the step ends (children that outlive it). ``view``
    says what the sandbox hides besides the standard places (the release, the
    rebuilder's folders).
    """
    (work / ".rebuild" / "home").mkdir(parents=True, exist_ok=True)
    (work / ".rebuild" / "tmp").mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    out_path, err_path = logs / "stdout", logs / "stderr"
    if view is None:
        view = make_view([], env.get("PATH"))
    argv = _wrap(isolation.method, work, run, view, network)
    start = time.monotonic()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        try:
            proc = subprocess.Popen(argv, cwd=work, env=dict(env), stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=err, start_new_session=True,
                                    close_fds=True)
        except OSError as exc:
            return StepRun(127, False, 0.0, "", f"cannot start the step: {exc.strerror or exc}")
        pgid = proc.pid
        timed_out = False
        try:
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                kill_group(pgid, leader=proc)
                proc.wait()
        except BaseException:  # KeyboardInterrupt, SystemExit: never leave the group running
            kill_group(pgid, grace=0.5, leader=proc)
            with contextlib.suppress(Exception):
                proc.wait(timeout=5)
            raise
        leftovers = False
        if not timed_out and _group_alive(pgid):
            leftovers = kill_group(pgid, grace=0.5)
    seconds = time.monotonic() - start
    return StepRun(None if timed_out else proc.returncode, timed_out, seconds,
                   _tail(out_path), _tail(err_path), leftover_processes=leftovers)


def make_private_dir(prefix: str = "rebuildable-") -> Path:
    """A fresh private (0700) temporary folder outside any release."""
    return Path(tempfile.mkdtemp(prefix=prefix))
