"""A rebuild run: each step in a fresh private work folder, in its sandbox, from its
declared inputs alone; its locked environment built first; its outputs taken out within
bounds (``spec/rebuild.md``)."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from rebuildable.errors import MemberError, UsageError
from rebuildable.findings import Finding, Location, finding
from rebuildable.load import Document
from rebuildable.model import Artifact, Manifest, Step
from rebuildable.rebuild.comparing import ComparingRun, OutputResult
from rebuildable.rebuild.environment import (
    ENV_DIR,
    LOCK_MAX_BYTES,
    REQUIREMENTS,
    LockError,
    lock_kind,
    parse_lock,
    read_probe,
    setup_command,
)
from rebuildable.rebuild.environment import REPORT as ENV_REPORT
from rebuildable.rebuild.inputs import (
    ExternalResolver,
    Unavailable,
    UpstreamResolver,
    copy_verified,
    place_file,
)
from rebuildable.rebuild.messages import failure_hint
from rebuildable.rebuild.options import RebuildOptions
from rebuildable.rebuild.outputs import OutputOverTimeError, OutputTooLargeError, copy_new
from rebuildable.rebuild.plan import (
    InputOrigin,
    PlanError,
    order_steps,
    plan_step,
    source_date_epoch,
)
from rebuildable.rebuild.runner import (
    Isolation,
    StepRun,
    make_private_dir,
    minimal_environment,
    probe_isolation,
    remove_tree,
    run_command,
)
from rebuildable.rebuild.sandbox import View, make_view
from rebuildable.rebuild.workfolder import list_files
from rebuildable.rebuild_records import (
    StepInput,
    StepOutput,
    StepRecord,
    StepRunRecord,
    StepStatus,
)
from rebuildable.release import FolderRelease, Release, safe_relative
from rebuildable.sections import Rebuild

STDERR_TAIL = 1500
#: lines of a failed step's standard error shown in its finding
STDERR_LINES = 20
MAX_UNDECLARED = 20
#: entries of a work folder looked at to find undeclared files
MAX_SCANNED = 100_000
#: the rebuilder's own folder in every work folder (no input goes there)
RESERVED = ".rebuild"


class StepsRun(ComparingRun):
    """Every step in full, in dependency order ([REB-2])."""

    def __init__(self, release: Release, document: Document, manifest: Manifest,
                 options: RebuildOptions) -> None:
        self.release = release
        self.document = document
        self.manifest = manifest
        self.options = options
        self.findings: list[Finding] = []
        self.steps: list[StepRecord] = []
        self.artifacts = manifest.artifact_index()
        self.sde, self.sde_source = source_date_epoch(manifest)
        try:
            self.isolation: Isolation = probe_isolation(options.isolation)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        local = release.local_root()
        if (options.work_root is not None and local is not None
                and options.work_root.resolve().is_relative_to(local.resolve())):
            raise UsageError(f"`work_root` {options.work_root} is inside the release; "
                             "the release is never written to", field="work_root")
        self.private = make_private_dir() if options.work_root is None else Path(
            _mkdtemp_in(options.work_root))
        # the rebuilder's own files (verified inputs, published copies, rebuilt outputs,
        # logs) and the steps' work folders live apart; no step ever sees either
        self.state = self.private / "state"
        self.work_root = self.private / "steps"
        self.state.mkdir(mode=0o700)
        self.work_root.mkdir(mode=0o700)
        self.externals = ExternalResolver(options.inputs_dirs, options.fetch,
                                          self.state / "inputs")
        self.upstreams = UpstreamResolver(release, options.upstream_dirs, self.externals)
        #: rebuilt outputs by artifact id (files in the private folder)
        self.rebuilt: dict[str, Path] = {}
        #: the sha256 of each rebuilt file, taken while it was copied out
        self.rebuilt_sha256: dict[Path, str] = {}
        self.published_keys: dict[str, tuple[int, ...] | None] = {}
        self.failed_steps: set[str] = set()
        #: the sampled replay's summary (--sample), for the report
        self.sample: dict[str, Any] | None = None
        self.caller_env = options.caller_env if options.caller_env is not None else dict(
            os.environ)
        secret = [self.private, *options.inputs_dirs, *options.upstream_dirs]
        if local is not None:
            secret.append(local)
        elif Path(release.label).is_file():  # an archive
            secret.append(Path(release.label))
        self.view = make_view(secret, self.caller_env.get("PATH"))

    # -- helpers ---------------------------------------------------------------------

    def close(self) -> None:
        if not self.options.keep:
            remove_tree(self.private)

    # -- the run ---------------------------------------------------------------------

    def go(self) -> None:
        if not self.manifest.steps:
            self.add(finding("rebuild.no-steps", "the manifest declares no steps",
                             location=self.locate("")))
            return
        if not self._isolation_acceptable():
            return
        try:
            ordered = order_steps(self.manifest)
        except PlanError as exc:  # pragma: no cover - refs.cycle refuses first
            self.add(finding("rebuild.refused", str(exc)))
            return
        if self.options.step is not None:
            chosen = [s for s in ordered if s.id == self.options.step]
            if not chosen:
                known = ", ".join(s.id for s in ordered)
                raise UsageError(f"no step {self.options.step!r} in the manifest (steps: {known})")
            ordered = chosen
        made = {o for s in self.manifest.steps for o in (*s.outputs, *s.checkpoints)}
        self.snapshot_published([self.artifacts[i] for i in sorted(made) if i in self.artifacts])
        self.run_steps(ordered)

    def run_steps(self, ordered: list[Step]) -> None:
        done: set[str] = set()
        for n, step in enumerate(ordered, 1):
            self.options.progress.start(f"step {step.id}", 0)
            try:
                self.run_step(n, step, done)
            finally:
                self.options.progress.finish()
            done.add(step.id)

    def run_step(self, n: int, step: Step, done: set[str]) -> None:
        plan = plan_step(self.manifest, step, rebuilt_steps=done)
        record = StepRecord(step.id, "pending", step.run,
                            self.isolation.to_dict(self.options.timeout))
        self.steps.append(record)
        outputs = [OutputResult(self.artifacts[o]) for o in step.outputs if o in self.artifacts]
        # inputs that an earlier step of this rebuild failed to make
        blocked = sorted({i.producer for i in plan.inputs
                          if i.origin is InputOrigin.REBUILT and i.producer in self.failed_steps})
        blocked_outputs = sorted(i.ref for i in plan.inputs
                                 if i.origin is InputOrigin.REBUILT and i.ref not in self.rebuilt)
        if blocked or blocked_outputs:
            self._skip(step, record, outputs,
                       f"step {step.id!r} was not run: its input(s) "
                       f"{', '.join(blocked_outputs)} were not rebuilt"
                       + (f" (step(s) {', '.join(str(b) for b in blocked)} failed)"
                          if blocked else ""))
            return
        staged = self._stage_inputs(n, step, plan, record, outputs)
        if staged is None:
            return
        if step.run is None:  # pragma: no cover - the schema requires run
            self._mark_failed(step, record, outputs, "failed")
            return
        results: list[dict[str, Path | None]] = []
        for r in range(2 if self.options.twice else 1):
            got = self._run_once(n, r, step, staged=staged, record=record, outputs=outputs)
            if got is None:
                return
            results.append(got)
        first = results[0]
        for out in outputs:
            out.file = first.get(out.artifact.id)
        self._compare_outputs(step, outputs)
        if self.options.twice:
            self._compare_runs(step, outputs, results)
        record.outputs = [o.record for o in outputs]
        statuses: set[str] = {o.status for o in outputs}
        if record.nondeterministic:
            statuses.add("nondeterministic")
        record.status = "reproduced" if statuses <= {"reproduced", "equivalent"} else "differs"
        for out in outputs:
            if out.file is not None:
                self.rebuilt[out.artifact.id] = out.file
            else:
                self.failed_steps.add(step.id)

    def _stage_inputs(self, n: int, step: Step, plan: Any, record: StepRecord,
                      outputs: list[OutputResult]) -> list[tuple[str, Path, bool]] | None:
        """Verified copies of the step's inputs in the rebuilder's own folder."""
        store = Path(tempfile.mkdtemp(prefix=f"{n:03d}-", dir=self.state))
        staged: list[tuple[str, Path, bool]] = []
        missing: list[str] = []
        for inp in plan.inputs:
            try:
                place, src, origin, executable = self._resolve_input(inp, store)
            except Unavailable as exc:
                missing.append(f"{inp.ref} ({exc.reason})")
                record.inputs.append(StepInput(inp.ref, inp.origin.value, available=False,
                                               reason=exc.reason))
                continue
            staged.append((place, src, executable))
            record.inputs.append(StepInput(inp.ref, origin, available=True, path=place))
        if missing:
            self.add(finding(
                "rebuild.input-unavailable",
                f"step {step.id!r} cannot be rebuilt offline: missing input(s) "
                + "; ".join(missing),
                step=step.id, location=self.locate(f"{step.pointer}/inputs"),
                data={"missing": missing}))
            self._mark_failed(step, record, outputs, "unavailable")
            return None
        return staged

    def _run_once(self, n: int, r: int, step: Step, *, staged: list[tuple[str, Path, bool]],
                  record: StepRecord, outputs: list[OutputResult],
                  folders: tuple[str, ...] = ()) -> dict[str, Path | None] | None:
        """One run of a step in a fresh work folder; its outputs, or None when it failed.

        The folder's name is unpredictable (mkdtemp), so that no step can make it in
        advance (a step under ``--isolation none`` sees the folder it would be in).
        """
        assert step.run is not None
        label = f"{n:03d}-{_slug(step.id)}-run{r + 1}-"
        work = Path(tempfile.mkdtemp(prefix=label, dir=self.work_root))
        logs = Path(tempfile.mkdtemp(prefix=label + "logs-", dir=self.state))
        try:
            for place, src, executable in staged:
                place_file(src, work, place, self.sde, executable)
            for folder in folders:  # safe relative paths (checked by the path rules)
                work.joinpath(*folder.split("/")).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.add(finding(
                "rebuild.input-unavailable",
                f"step {step.id!r}: cannot place its inputs: {exc}", step=step.id,
                location=self.locate(f"{step.pointer}/inputs")))
            self._mark_failed(step, record, outputs, "unavailable")
            return None
        env = minimal_environment(work, self.sde, self.caller_env)
        if step.environment is not None:
            materialised = self._materialise(step, staged, work, logs=logs, env=env,
                                             record=record)
            if materialised is False:
                self._mark_failed(step, record, outputs, "failed")
                return None
            if materialised:
                env["PATH"] = f"{work / ENV_DIR / 'bin'}{os.pathsep}{env['PATH']}"
        result = run_command(step.run, work, logs, env, timeout=self.options.timeout,
                             isolation=self.isolation, view=self.view)
        deadline = time.monotonic() + max(0.0, self.options.timeout - result.seconds)
        record.runs.append(_run_record(result, logs if self.options.keep else None))
        if self.options.keep:
            record.work_dir = str(work)
        if not self._check_run(step, record, outputs, result, logs):
            return None
        got = self._collect(step, work, outputs, r, staged, deadline=deadline)
        if got is None:
            self._mark_failed(step, record, outputs, "timeout")
            return None
        if not self.options.keep:
            remove_tree(work)
        return got

    def _isolation_acceptable(self) -> bool:
        """[REB-3]: without a private view, run only when the caller asked for none."""
        iso = self.isolation
        if not iso.not_enforced:
            return True
        missing = ", ".join(iso.not_enforced)
        tried = f" ({'; '.join(iso.probe)})" if iso.probe else ""
        if self.options.isolation != "none":
            self.add(finding(
                "rebuild.isolation-unavailable",
                f"no sandbox works on this machine{tried}: steps would run without "
                f"{missing}, so a rebuild here could not show that they use only their "
                "declared inputs; nothing was run",
                data=iso.to_dict()))
            return False
        self.add(finding(
            "rebuild.isolation-weak",
            f"steps run with isolation 'none', as asked: not enforced: {missing}; "
            "a step could read undeclared files, the release or the network",
            data=iso.to_dict()))
        return True

    # -- inputs ----------------------------------------------------------------------

    def _resolve_input(self, inp: Any, store: Path) -> tuple[str, Path, str, bool]:
        """(place in work folder, local file, origin label, executable)."""
        art: Artifact | None = inp.artifact
        if inp.origin is InputOrigin.UPSTREAM:
            _, _, name = inp.ref.partition(":")
            place, src, origin = self.upstreams.resolve(inp.upstream, name, store)
            _check_place(place)
            return place, src, origin, False
        assert art is not None
        _check_place(inp.place)
        if inp.origin is InputOrigin.EXTERNAL:
            src, origin = self.externals.resolve(art)
            return inp.place, src, origin, False
        if inp.origin is InputOrigin.REBUILT:
            built = self.rebuilt.get(art.id)
            if built is None:  # pragma: no cover - blocked earlier
                raise Unavailable("not rebuilt")
            return inp.place, built, f"rebuilt:{inp.producer}", _executable(self.release,
                                                                             art.path)
        # a shipped file (a source, or with --step an earlier step's shipped output)
        if art.path is None:  # pragma: no cover - schema: path or uri
            raise Unavailable("no path")
        dst = store / art.id
        try:
            with self.release.open(art.path) as fh:
                copy_verified(fh, dst, art.digest)
        except MemberError as exc:
            raise Unavailable(exc.message) from exc
        except OSError as exc:
            raise Unavailable(f"{art.path}: {exc.strerror or exc}") from exc
        origin = "release" if inp.origin is InputOrigin.RELEASE else "shipped-output"
        return inp.place, dst, origin, _executable(self.release, art.path)

    # -- results ---------------------------------------------------------------------

    def _skip(self, step: Step, record: StepRecord, outputs: list[OutputResult],
              message: str) -> None:
        self.add(finding("rebuild.step-skipped", message, step=step.id,
                         location=self.locate(step.pointer)))
        self._mark_failed(step, record, outputs, "skipped")

    def _mark_failed(self, step: Step, record: StepRecord, outputs: list[OutputResult],
                     status: StepStatus) -> None:
        record.status = status
        record.outputs = [StepOutput(o.artifact.id, o.artifact.path, "not-built")
                          for o in outputs]
        self.failed_steps.add(step.id)

    def _materialise(self, step: Step, staged: list[tuple[str, Path, bool]], work: Path, *,
                     logs: Path, env: dict[str, str], record: StepRecord) -> bool | None:
        """Build the step's locked environment in its work folder, in its sandbox
        ([REB-24]). None: the environment is no lock (nothing to do); False: failed."""
        art = self.artifacts.get(step.environment or "")
        if art is None or art.path is None:
            return None
        src = next((p for place, p, _ in staged if place == art.path), None)
        if src is None:
            return None
        with src.open("rb") as fh:  # a lock is small; a hostile one need not be
            data = fh.read(LOCK_MAX_BYTES + 1)
        kind = lock_kind(art.path, data[:65536])
        if kind is None:
            return None
        where = self.locate(f"{step.pointer}/environment")
        try:
            lock = parse_lock(kind, data)
        except LockError as exc:
            self.add(finding("rebuild.environment-failed",
                             f"step {step.id!r}: its environment {art.path} is not a usable "
                             f"lock: {exc}", step=step.id, artifact=art.id, location=where))
            return False
        (work / REQUIREMENTS).parent.mkdir(parents=True, exist_ok=True)
        (work / REQUIREMENTS).write_text(lock.requirements, encoding="utf-8")
        wheels = self.options.wheels
        network = self.options.allow_network_for_environment
        python = shutil.which("python3", path=env["PATH"]) or "python3"
        command = setup_command(python, wheels=str(wheels) if wheels else None,
                                network=network, install=bool(lock.packages))
        view = View(self.view.hide, self.view.keep + ((str(wheels.resolve()),) if wheels else ()))
        result = run_command(command, work, logs / "environment", env,
                             timeout=self.options.timeout, isolation=self.isolation, view=view,
                             network=network)
        environment: dict[str, Any] = {
            "artifact": art.id, "lock": kind,
            "source": ("wheels:" + str(wheels)) if wheels else ("index" if network else "none"),
            "packages": list(lock.packages)}
        record.environment = environment
        if result.exit_code != 0:
            lines = result.stderr_tail.rstrip().splitlines()[-STDERR_LINES:]
            self.add(finding(
                "rebuild.environment-failed",
                f"step {step.id!r}: its environment {art.path} could not be built"
                + (f": {lines[-1].strip()}" if lines else ""), step=step.id,
                artifact=art.id, location=where, data={"excerpt": lines}))
            return False
        environment.update(read_probe(work / ENV_REPORT))
        executable = str(environment.get("executable", ""))
        if executable.startswith(f"{work}/"):  # comparable between rebuilds
            environment["executable"] = executable[len(str(work)) + 1:]
        return True

    def _check_run(self, step: Step, record: StepRecord, outputs: list[OutputResult],
                   result: StepRun, logs: Path) -> bool:
        where = (f"full log: {logs / 'stderr'}" if self.options.keep
                 else "rerun with --keep for the full log")
        if result.timed_out:
            self.add(finding(
                "rebuild.step-timeout",
                f"step {step.id!r} ran longer than {self.options.timeout:g} s and was killed "
                f"with its process group", step=step.id,
                location=self.locate(f"{step.pointer}/run"),
                data={"timeout": self.options.timeout,
                      "stderr_tail": result.stderr_tail[-STDERR_TAIL:]}))
            self._mark_failed(step, record, outputs, "timeout")
            return False
        if result.exit_code != 0:
            lines = result.stderr_tail.rstrip().splitlines()[-STDERR_LINES:]
            self.add(finding(
                "rebuild.step-failed",
                f"step {step.id!r} exited with status {result.exit_code}"
                + (f": {lines[-1].strip()}; the last {len(lines)} line(s) of its standard "
                   f"error are in the report ({where})" if lines
                   else f"; it wrote nothing to standard error ({where})"),
                step=step.id, location=self.locate(f"{step.pointer}/run"),
                hint=failure_hint(result.stderr_tail),
                data={"exit_code": result.exit_code, "stderr_tail": "\n".join(lines),
                      "excerpt": lines,
                      "log": str(logs / "stderr") if self.options.keep else None}))
            self._mark_failed(step, record, outputs, "failed")
            return False
        return True

    def _collect(self, step: Step, work: Path, outputs: list[OutputResult], run: int,
                 staged: list[tuple[str, Path, bool]], *,
                 deadline: float) -> dict[str, Path | None] | None:
        """Copy the outputs out of the work folder, each into a fresh private file, at
        most ``max_output_size`` bytes of it (a sparse 1 TiB file is refused, not
        copied) and before ``deadline``, the end of the step's time limit ([REB-8],
        [REB-20]). None when the deadline passed (the step is then reported)."""
        got: dict[str, Path | None] = {}
        view = FolderRelease(work, "rebuild.yaml", str(work))
        store = Path(tempfile.mkdtemp(prefix=f"rebuilt-run{run + 1}-", dir=self.state))
        bound = self.options.max_output_size
        for out in outputs:
            art = out.artifact
            got[art.id] = None
            if art.path is None or not safe_relative(art.path):
                continue
            sha256 = hashlib.sha256()
            try:
                with view.open(art.path) as fh:
                    size = os.fstat(fh.fileno()).st_size
                    if size > bound:
                        self.add(_too_large(step, art, size, bound,
                                            self.locate(art.pointer)))
                        out.too_large = True
                        continue
                    copied = copy_new(fh, store / art.id, bound, deadline=deadline,
                                      hasher=sha256)
                got[art.id] = copied
                self.rebuilt_sha256[copied] = sha256.hexdigest()
            except OutputTooLargeError:
                self.add(_too_large(step, art, bound + 1, bound, self.locate(art.pointer)))
                out.too_large = True
            except OutputOverTimeError as exc:
                self.add(finding(
                    "rebuild.step-timeout",
                    f"step {step.id!r} ran past its time limit of {self.options.timeout:g} s "
                    f"while {art.path} was taken out of its work folder ({exc.copied} bytes "
                    "copied); the time limit covers taking the outputs out",
                    step=step.id, artifact=art.id, location=self.locate(f"{step.pointer}/run"),
                    data={"timeout": self.options.timeout, "copied": exc.copied}))
                return None
            except MemberError as exc:
                out.missing_reason = exc.message
            except OSError as exc:
                out.missing_reason = f"{art.path}: {exc.strerror or exc}"
        if run == 0:
            self._note_undeclared(step, work, outputs, staged)
        return got

    def _note_undeclared(self, step: Step, work: Path, outputs: list[OutputResult],
                         staged: list[tuple[str, Path, bool]]) -> None:
        """The files the step left that no artifact declares; the walk stops after
        ``MAX_SCANNED`` entries (a step can make millions in its time)."""
        declared = {p for p, _, _ in staged} | {o.artifact.path for o in outputs
                                                if o.artifact.path}
        listing = list_files(work, lambda p: p in declared or p.startswith(".rebuild/"),
                             shown=MAX_UNDECLARED, bound=MAX_SCANNED)
        if listing.count:
            count = f"{listing.count}{' or more' if listing.truncated else ''}"
            self.add(finding(
                "rebuild.undeclared-write",
                f"step {step.id!r} left {count} undeclared file(s) in its work folder: "
                + ", ".join(listing.first)
                + (" …" if listing.count > len(listing.first) else "")
                + (f" (counting stopped after {MAX_SCANNED} entries)"
                   if listing.truncated else ""),
                step=step.id, data={"files": listing.first, "count": listing.count,
                                    "count_is_lower_bound": listing.truncated}))

    def section(self, validation: dict[str, Any]) -> Rebuild:
        """The report's ``rebuild`` section, with the static ``validation`` summary."""
        counts: dict[str, int] = {}
        for s in self.steps:
            for o in s.outputs:
                counts[o.status] = counts.get(o.status, 0) + 1
        step_counts: dict[str, int] = {}
        for s in self.steps:
            step_counts[s.status] = step_counts.get(s.status, 0) + 1
        return Rebuild(
            refused=False, validation=validation, steps=self.steps,
            isolation={**self.isolation.to_dict(self.options.timeout),
                       "probe": list(self.isolation.probe), "view": self.view.to_dict()},
            source_date_epoch={"value": self.sde, "from": self.sde_source},
            mode="sample" if self.sample is not None else
                 "step" if self.options.step else "all",
            twice=self.options.twice,
            work_dir=str(self.private) if self.options.keep else None,
            summary={"steps": step_counts, "outputs": counts}, sample=self.sample)


def _mkdtemp_in(root: Path) -> str:
    import tempfile  # noqa: PLC0415

    root.mkdir(parents=True, exist_ok=True)
    return tempfile.mkdtemp(prefix="rebuildable-", dir=root)


def _check_place(place: str) -> None:
    """An input goes at a safe relative path outside the work folder's ``.rebuild/``,
    which holds the step's HOME, TMPDIR and environment ([REB-6])."""
    if not safe_relative(place):
        raise Unavailable(f"{place!r} is not a safe relative path")
    if place.split("/", maxsplit=1)[0] == RESERVED:
        raise Unavailable(f"{place!r} lies in {RESERVED}/, the rebuilder's folder in the "
                          "work folder (the step's HOME, TMPDIR and environment)")


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in text)[:60]


def _run_record(result: StepRun, logs: Path | None) -> StepRunRecord:
    return StepRunRecord(exit_code=result.exit_code, timed_out=result.timed_out,
                         seconds=round(result.seconds, 3),
                         leftover_processes_killed=result.leftover_processes,
                         stderr_tail=result.stderr_tail[-STDERR_TAIL:],
                         logs=str(logs) if logs is not None else None)


def _too_large(step: Step, art: Artifact, size: int, bound: int, where: Location) -> Finding:
    return finding(
        "rebuild.output-too-large",
        f"step {step.id!r} made {art.path} of {size} bytes, over the bound of {bound} bytes; "
        "it was not copied or compared", artifact=art.id, step=step.id, location=where,
        data={"size": size, "bound": bound})


def _executable(release: Release, path: str | None) -> bool:
    root = release.local_root()
    if root is None or path is None:
        return False
    try:
        st = os.lstat(root.joinpath(*path.split("/")))
    except OSError:
        return False
    return bool(st.st_mode & 0o111)

