"""The rebuild of a release, start to end: static validation first ([REB-1]), then the
run (every step, or sampled segments), then one report whose verdict includes both."""

from __future__ import annotations

from typing import Any

from rebuildable import schema
from rebuildable.context import Options
from rebuildable.engine import validate_release
from rebuildable.errors import MemberError
from rebuildable.findings import Finding, Severity, finding
from rebuildable.load import Document, load_manifest
from rebuildable.model import Manifest
from rebuildable.rebuild.options import RebuildOptions
from rebuildable.rebuild.run import StepsRun
from rebuildable.rebuild.sampled import SampledRun
from rebuildable.release import Release
from rebuildable.report import ReleaseInfo, Report

#: static errors in these areas make the manifest unusable for a rebuild ([REB-1])
REFUSING_AREAS = ("release", "load", "schema", "ids", "refs", "path", "internal")


def _load_model(release: Release) -> tuple[Document, Manifest]:
    loaded = schema.load_document(release.read_manifest(), release.manifest_name)
    assert loaded.document is not None  # validate_release succeeded on the same bytes
    return loaded.document, Manifest.from_data(loaded.document.data)


def rebuild_release(release: Release, options: RebuildOptions) -> Report:
    static = validate_release(release, Options(strict=False, upstream_dirs=options.upstream_dirs))
    if static.fatal:
        static.strict = options.strict
        return static
    refusing = [f for f in static.findings
                if f.severity is Severity.ERROR and f.code.split(".")[0] in REFUSING_AREAS]
    info = static.release
    if refusing or info.manifest is None or not _loadable(release):
        findings = list(refusing)
        findings.append(finding(
            "rebuild.refused",
            f"the manifest has {len(refusing) or 'unreadable'} structural error(s); "
            "nothing was run",
            data={"errors": sorted({f.code for f in refusing})}))
        section = {"refused": True, "validation": _summary_of(static), "steps": []}
        return Report(info, findings, options.strict, sections={"rebuild": section})
    document, manifest = _load_model(release)
    run = (SampledRun if options.sample is not None else StepsRun)(
        release, document, manifest, options)
    if not static.ok:
        run.add(_validation_failed(static))
    try:
        run.go()
    finally:
        run.close()
    section = run.section()
    section["validation"] = _summary_of(static)
    return Report(ReleaseInfo(manifest.name, manifest.version, release.manifest_name),
                  run.findings, options.strict, sections={"rebuild": section})


def _loadable(release: Release) -> bool:
    try:
        return load_manifest(release.read_manifest(), release.manifest_name).document is not None
    except (MemberError, OSError):
        return False


def _summary_of(report: Report) -> dict[str, Any]:
    return {"ok": report.ok, "counts": report.counts,
            "errors": sorted({f.code for f in report.findings
                              if f.severity is Severity.ERROR})}


def _validation_failed(static: Report) -> Finding:
    """A release that fails validation is not reproduced, whatever its steps make."""
    errors = sorted({f.code for f in static.findings if f.severity is Severity.ERROR})
    shown = ", ".join(errors[:10]) + (" …" if len(errors) > 10 else "")
    return finding("rebuild.validation-failed",
                   f"the release fails static validation ({static.counts.get('error', 0)} "
                   f"error(s): {shown}); rebuilt outputs do not make it reproduced",
                   data={"errors": errors, "counts": static.counts})

