"""The rebuild of a release, start to end: static validation first ([REB-1]), then the
run (every step, or sampled segments), then one report whose verdict includes both."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rebuildable.context import Options
from rebuildable.findings import Finding, Severity, finding
from rebuildable.rebuild.options import RebuildOptions
from rebuildable.rebuild.run import StepsRun
from rebuildable.rebuild.sampled import SampledRun
from rebuildable.release import Release
from rebuildable.report import ReleaseInfo, Report
from rebuildable.sections import Rebuild

if TYPE_CHECKING:
    from rebuildable.engine import Validation

#: static errors in these areas make the manifest unusable for a rebuild ([REB-1])
REFUSING_AREAS = ("release", "load", "schema", "ids", "refs", "path", "internal")


def static_options(options: RebuildOptions) -> Options:
    """How the engine validates a release before it is rebuilt."""
    return Options(strict=False, upstream_dirs=options.upstream_dirs)


def rebuild_release(release: Release, validation: Validation,
                    options: RebuildOptions) -> Report:
    """Rebuild ``release``, which the engine has validated (``validation``, with
    :func:`static_options`): the document and manifest it loaded are used as they are."""
    static = validation.report
    document, manifest = validation.document, validation.manifest
    if static.fatal:
        static.strict = options.strict
        return static
    refusing = [f for f in static.findings
                if f.severity is Severity.ERROR and f.code.split(".")[0] in REFUSING_AREAS]
    info = static.release
    if refusing or info.manifest is None or document is None or manifest is None:
        findings = list(refusing)
        findings.append(finding(
            "rebuild.refused",
            f"the manifest has {len(refusing) or 'unreadable'} structural error(s); "
            "nothing was run",
            data={"errors": sorted({f.code for f in refusing})}))
        refused = Rebuild(refused=True, validation=_summary_of(static))
        return Report(info, findings, options.strict, sections={Rebuild.NAME: refused})
    run = (SampledRun if options.sample is not None else StepsRun)(
        release, document, manifest, options)
    if not static.ok:
        run.add(_validation_failed(static))
    try:
        run.go()
    finally:
        run.close()
    section = run.section(_summary_of(static))
    return Report(ReleaseInfo(manifest.name, manifest.version, release.manifest_name),
                  run.findings, options.strict, sections={Rebuild.NAME: section})


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

