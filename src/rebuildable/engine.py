"""The one validation engine the CLI, a registry service and the Python API share.

``validate`` never prints and never raises for a bad release: every problem becomes a
finding in the returned :class:`~rebuildable.report.Report`. A release that cannot be
read at all gives a report with ``fatal`` set (the CLI's exit code 2).
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from rebuildable import schema
from rebuildable.aggregate import bound_sections, fold_findings
from rebuildable.checks import CHECKS
from rebuildable.context import Context, Options
from rebuildable.digest import HashResult
from rebuildable.errors import MemberError, ReleaseError
from rebuildable.findings import Finding, Location, finding
from rebuildable.load import Document, gc_paused
from rebuildable.model import Manifest
from rebuildable.release import Release, open_release
from rebuildable.report import ReleaseInfo, Report
from rebuildable.state import Check, State, check_order

__all__ = ["Options", "Validation", "run", "run_checks", "run_release", "validate",
           "validate_release"]


@dataclass(frozen=True)
class Validation:
    """What one validation computed: the report, and for callers that build on it
    (signing, export, rebuild, the registry) the document, the typed manifest and the
    digests of the shipped files, so that none of them reads the release again."""

    report: Report
    document: Document | None = None
    manifest: Manifest | None = None
    #: path -> hash result of every shipped file the integrity check hashed
    hashes: Mapping[str, HashResult] = field(default_factory=dict)
    #: everything the checks computed for each other (upstreams, closure, formats...)
    state: State = field(default_factory=State)


def fatal_report(exc: ReleaseError, strict: bool = False) -> Report:
    f = finding(exc.code, exc.message,
                location=Location(exc.path, None, None, None) if exc.path else None)
    return Report(ReleaseInfo(None, None, None), [f], strict=strict, fatal=True)


def validate(target: str | os.PathLike[str] | BinaryIO | Release,
             options: Options | None = None) -> Report:
    """Validate a release given as a folder, a manifest path, an archive or a binary stream."""
    return run(target, options or Options()).report


def run(target: str | os.PathLike[str] | BinaryIO | Release, options: Options,
        checks: Sequence[Check] = CHECKS) -> Validation:
    """Open ``target`` and run ``checks``, keeping what they computed."""
    if isinstance(target, Release):
        return _run_validation(target, options, checks)
    try:
        release = open_release(target, archive_limits=options.archive_limits)
    except ReleaseError as exc:
        return Validation(fatal_report(exc, options.strict))
    with release:
        return _run_validation(release, options, checks)


def validate_release(release: Release, options: Options) -> Report:
    return run_release(release, options, CHECKS)


def run_checks(target: str | os.PathLike[str] | BinaryIO | Release, options: Options,
               checks: Sequence[Check]) -> Report:
    """Open ``target`` and run ``checks`` on it: the one pipeline behind ``validate``,
    ``verify`` (the signature check alone) and any caller that wants a subset."""
    return run(target, options, checks).report


def run_release(release: Release, options: Options, checks: Sequence[Check]) -> Report:
    return _run_validation(release, options, checks).report


def _run_validation(release: Release, options: Options, checks: Sequence[Check],
                    chain: tuple[str, ...] = ()) -> Validation:
    check_order(checks)
    # The checks build one or more objects per artifact and none of them is cyclic;
    # without the collector a 100,000-artifact manifest validates about twice as fast.
    with gc_paused():
        return _run_release(release, options, checks, chain)


def _nested(release: Release, options: Options, chain: tuple[str, ...]) -> tuple[Report, State]:
    """How an upstream release is validated: every check, one link further down the chain."""
    result = _run_validation(release, options, CHECKS, chain)
    return result.report, result.state


def _run_release(release: Release, options: Options, checks: Sequence[Check],
                 chain: tuple[str, ...]) -> Validation:
    findings: list[Finding] = list(release.findings)
    manifest_name = release.manifest_name
    try:
        raw = release.read_manifest()
    except (MemberError, OSError) as exc:
        message = exc.message if isinstance(exc, MemberError) else (exc.strerror or str(exc))
        findings.append(finding("release.unreadable", f"{manifest_name}: {message}",
                                location=Location(manifest_name)))
        return Validation(Report(ReleaseInfo(None, None, manifest_name), findings,
                                 options.strict, fatal=True))

    loaded = schema.load_document(raw, manifest_name, options.limits)
    findings.extend(loaded.findings)
    doc = loaded.document
    if doc is None:
        return Validation(Report(ReleaseInfo(None, None, manifest_name), findings,
                                 options.strict))
    manifest = Manifest.from_data(doc.data)
    ctx = Context(release=release, document=doc, manifest=manifest, options=options,
                  findings=findings, chain=chain, nested=_nested)
    for check in checks:
        try:
            findings.extend(check(ctx))
        except Exception as exc:
            findings.append(finding(
                "internal.error",
                f"check {check.__module__} failed: {type(exc).__name__}: {exc}",
                data={"traceback": traceback.format_exc(limit=-3)}))
    info = ReleaseInfo(manifest.name, manifest.version, manifest_name)
    sections = ctx.sections
    if not chain and not options.detail:
        # Summarised for the reader [REP-5]; an upstream's report keeps every entry
        # because the release consuming it looks its artifacts up there.
        findings = fold_findings(findings)
        sections = bound_sections(sections)
    report = Report(info, findings, options.strict, sections=sections)
    return Validation(report, doc, manifest, ctx.state.hashes or {}, ctx.state)
