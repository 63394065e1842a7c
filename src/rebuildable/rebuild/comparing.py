"""Comparing a step's outputs with the published ones ([REB-10], [REB-18]): the part of a
rebuild run that judges what came out."""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rebuildable.errors import MemberError
from rebuildable.findings import Finding, Location, Severity, finding
from rebuildable.load import Document
from rebuildable.model import Artifact, Step
from rebuildable.rebuild.equivalence import (
    Comparison,
    EquivalencePolicy,
    PolicyError,
    compare,
    parse_policy,
)
from rebuildable.rebuild.inputs import (
    ExternalResolver,
    Unavailable,
    hash_file,
)
from rebuildable.rebuild.options import RebuildOptions
from rebuildable.rebuild.outputs import copy_new
from rebuildable.rebuild.runner import Isolation
from rebuildable.rebuild_records import OutputStatus, StepOutput, StepRecord
from rebuildable.release import Release


@dataclass
class OutputResult:
    artifact: Artifact
    file: Path | None = None  # the rebuilt bytes, in the private folder
    too_large: bool = False
    #: why the step's output could not be taken (a link, a FIFO, a folder, ...)
    missing_reason: str | None = None
    #: what the report says of it; "not-built" until it is compared
    record: StepOutput = field(init=False)

    def __post_init__(self) -> None:
        self.record = StepOutput(self.artifact.id, self.artifact.path, "not-built")

    @property
    def status(self) -> OutputStatus:
        return self.record.status


class ReleaseModifiedError(Exception):
    """A file of the release changed since the rebuild started."""


def release_key(release: Release, path: str) -> tuple[int, ...] | None:
    """What changes when a file of the release is written or replaced: (device, inode,
    size, mtime, ctime) of the file in a folder release, or of the archive file."""
    key = release.cache_key(path)
    if key is not None or release.local_root() is not None:
        return key
    try:
        st = os.stat(release.label)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class ComparingRun:
    """The comparisons of a run; :class:`~rebuildable.rebuild.run.StepsRun` runs the steps."""

    release: Release
    document: Document
    options: RebuildOptions
    findings: list[Finding]
    steps: list[StepRecord]
    state: Path
    externals: ExternalResolver
    rebuilt_sha256: dict[Path, str]
    isolation: Isolation
    #: the published outputs' keys (:func:`release_key`) before any step ran
    published_keys: dict[str, tuple[int, ...] | None]

    def locate(self, pointer: str) -> Location:
        return self.document.locate(pointer)

    def add(self, f: Finding) -> None:
        self.findings.append(f)

    def snapshot_published(self, arts: list[Artifact]) -> None:
        """Note, before any step runs, what would change if the published outputs
        ``arts`` were written: a step without a sandbox can write the release."""
        self.published_keys = {a.id: release_key(self.release, a.path) for a in arts
                               if a.path is not None}

    def _published(self, art: Artifact) -> Path:
        """A fresh private copy of the published output, made now, never reused: a
        file that already exists somewhere is never trusted to be the release's, nor
        the release's own file when it changed since the steps started."""
        if art.path is None:
            src, _ = self.externals.resolve(art)
            return src
        dst = Path(tempfile.mkdtemp(prefix="published-", dir=self.state)) / art.id
        try:
            with self.release.open(art.path) as fh:
                copy_new(fh, dst, None)
        except MemberError as exc:
            raise Unavailable(exc.message) from exc
        except OSError as exc:
            raise Unavailable(f"{art.path}: {exc.strerror or exc}") from exc
        before = self.published_keys.get(art.id)
        if before is not None and release_key(self.release, art.path) != before:
            raise ReleaseModifiedError(art.path)
        return dst

    def _policy(self, step: Step, art: Artifact) -> EquivalencePolicy:
        raw = step.equivalence.get(art.id)
        if raw is None and art.id in step.checkpoints:
            # a checkpoint without its own policy is compared like the step's output
            raw = step.equivalence.get(step.checkpoints[-1])
        return parse_policy(raw)

    # -- sampled replay (spec/rebuild.md §9) -------------------------------------------

    def _compare_outputs(self, step: Step, outputs: list[OutputResult]) -> None:
        for out in outputs:
            art = out.artifact
            pointer = self._artifact_pointer(art)
            rec = out.record
            if out.file is None and out.too_large:
                rec.status = "too-large"
                continue
            if out.file is None:
                rec.status = "missing"
                why = (f" as a regular file ({out.missing_reason})" if out.missing_reason
                       else "")
                self.add(finding(
                    "rebuild.output-missing",
                    f"step {step.id!r} did not produce {art.path or art.id}{why}",
                    artifact=art.id, step=step.id, location=self.locate(pointer)))
                continue
            known = self.rebuilt_sha256.get(out.file)
            rec.digest = {"sha256": known} if known else hash_file(out.file, ["sha256"])
            declared = {k: v for k, v in art.digest.items() if k == "sha256"}
            if declared:
                rec.matches_declared_digest = declared["sha256"] == rec.digest["sha256"]
            try:
                policy = self._policy(step, art)
            except PolicyError as exc:  # pragma: no cover - the schema check refuses first
                rec.status = "differs"
                self.add(finding("rebuild.output-differs", f"{art.name}: {exc}",
                                 artifact=art.id, step=step.id))
                continue
            rec.policy = policy.to_dict()
            try:
                published = self._published(art)
            except ReleaseModifiedError:
                rec.status = "unchecked"
                self.add(finding(
                    "rebuild.release-modified",
                    f"{art.name}: {art.path} in the release changed while the steps ran "
                    f"(isolation {self.isolation.method!r}); what it holds now may be what a "
                    "step wrote, so it was not compared", artifact=art.id, step=step.id,
                    location=self.locate(pointer)))
                continue
            except Unavailable as exc:
                rec.status = "unchecked"
                self.add(finding(
                    "rebuild.reference-unavailable",
                    f"{art.name}: the published output cannot be read: {exc.reason}",
                    artifact=art.id, step=step.id, location=self.locate(pointer)))
                continue
            result = compare(out.file, published, policy)
            self._report_comparison(step, out, result, pointer)

    def _report_comparison(self, step: Step, out: OutputResult, result: Comparison,
                           pointer: str) -> None:
        art, rec = out.artifact, out.record
        rec.summary = result.summary
        if result.details:
            rec.details = result.details
        if result.identical:
            rec.status = "reproduced"
            self.add(finding("rebuild.output-reproduced",
                             f"{art.name}: rebuilt bytes are identical to the published ones",
                             artifact=art.id, step=step.id,
                             data={"digest": rec.digest}))
        elif result.equal:
            rec.status = "equivalent"
            self.add(finding("rebuild.output-equivalent",
                             f"{art.name}: {result.policy} equivalence holds: {result.summary}",
                             artifact=art.id, step=step.id,
                             location=self.locate(f"{step.pointer}/equivalence"),
                             data=result.details))
        elif result.unavailable:
            rec.status = "unchecked"
            self.add(finding("rebuild.comparator-unavailable",
                             f"{art.name}: the bytes differ and {result.unavailable}",
                             artifact=art.id, step=step.id,
                             location=self.locate(f"{step.pointer}/equivalence"),
                             data=result.details))
        else:
            rec.status = "differs"
            self.add(finding("rebuild.output-differs",
                             f"{art.name}: rebuilt output differs ({result.policy}): "
                             f"{result.summary}",
                             artifact=art.id, step=step.id, location=self.locate(pointer),
                             data=result.details))

    def _compare_runs(self, step: Step, outputs: list[OutputResult],
                      results: list[dict[str, Path | None]]) -> None:
        first, second = results[0], results[1]
        for out in outputs:
            art = out.artifact
            a, b = first.get(art.id), second.get(art.id)
            if a is None and b is None:
                continue
            if a is None or b is None:
                summary = "produced in one run only"
                equal, identical = False, False
                details: dict[str, Any] = {}
            else:
                try:
                    policy = self._policy(step, art)
                except PolicyError:  # pragma: no cover
                    policy = EquivalencePolicy("exact")
                cmp = compare(a, b, policy)
                summary, equal, identical, details = (cmp.summary, cmp.equal, cmp.identical,
                                                      cmp.details)
            out.record.second_run = ("identical" if identical else
                                        "equivalent" if equal else "differs")
            if identical:
                continue
            severity = Severity.INFO if equal else None
            msg = (f"{art.name}: two runs of step {step.id!r} gave different bytes"
                   + (" that are still equivalent under its policy: " if equal else ": ")
                   + summary)
            self.add(finding("rebuild.nondeterministic", msg, severity=severity,
                             artifact=art.id, step=step.id, location=self.locate(step.pointer),
                             data=details))
            if not equal:
                self.steps[-1].nondeterministic = True

    def _artifact_pointer(self, art: Artifact) -> str:
        return art.pointer

    # -- report ----------------------------------------------------------------------

