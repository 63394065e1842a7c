"""SARIF 2.1.0 output, for code-scanning dashboards (GitHub, GitLab, Azure DevOps).

One rule per finding code that occurs (``ruleId`` = the code, ``shortDescription`` and
``fullDescription`` from the registry's title, ``help`` from its hint, ``helpUri`` = the
code's entry in ``spec/codes.md``); one result per finding.

What GitHub code scanning requires (checked in the tests with the SARIF multitool's
``Sarif;Gh;Ghas`` rules): every result has a physical location, and every file URI is
relative to the working folder (the repository root), not to the release, and a valid
RFC 3986 reference (percent-encoded). A finding about the release as a whole, or about a
step or artifact with no place of its own, is placed at the top of the manifest. A
release read from an archive has no file of its own in the repository but the archive:
every place inside it is given as the archive, and the place in the member is named in
the message.
"""

from __future__ import annotations

import hashlib
from typing import Any

from rebuildable._version import __version__
from rebuildable.codes import CODES
from rebuildable.findings import Finding, Location, Severity
from rebuildable.jsonsafe import dumps
from rebuildable.render._places import ArchivePlace, shown_path, uri_reference
from rebuildable.report import Report

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://rebuildable.dev/"
#: where the table of finding codes lives; each code is an anchor of its own
CODES_DOC = "https://rebuildable.dev/spec/codes.md"

#: the partialFingerprints key; bump the version if the identity below changes
FINGERPRINT = "rebuildableFinding/v1"

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def help_uri(code: str) -> str:
    """The documentation address of one finding code."""
    return f"{CODES_DOC}#{code}"


def _rule(code: str) -> dict[str, Any]:
    spec = CODES[code]
    title = spec.title.rstrip(".")
    help_text = f"{title}. {spec.hint}" if spec.hint else f"{title}."
    return {
        "id": code,
        "name": "".join(part.capitalize() for part in code.replace(".", "-").split("-")),
        "shortDescription": {"text": title},
        "fullDescription": {"text": f"{title}."},
        "help": {"text": f"{help_text} See {help_uri(code)}",
                 "markdown": f"{help_text}\n\nSee [{code}]({help_uri(code)})."},
        "helpUri": help_uri(code),
        "defaultConfiguration": {"level": _LEVELS[Severity(spec.severity)]},
    }


def _member_place(loc: Location) -> str:
    where = loc.file
    if loc.line is not None:
        where += f":{loc.line}" + (f":{loc.column}" if loc.column is not None else "")
    return where


def _physical(loc: Location | None, manifest: str | None, base: str | None,
              archive: ArchivePlace | None) -> tuple[dict[str, Any], str | None]:
    """The result's physical location, and the place inside an archive it stands for."""
    if archive is not None and (loc is None or not loc.from_cwd):
        # The archive is the one file code scanning can find; a line of a member is no
        # line of the archive, so the result sits at its top and the message says where.
        inside = _member_place(loc) if loc is not None and loc.file != archive.given else None
        return ({"artifactLocation": {"uri": uri_reference(archive.path)},
                 "region": {"startLine": 1}}, inside)
    if loc is not None:
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": uri_reference(shown_path(loc, manifest, base))}}
        # A finding about a whole file is placed at its first line: consumers want a region.
        region: dict[str, Any] = {"startLine": loc.line or 1}
        if loc.line is not None and loc.column is not None:
            region["startColumn"] = loc.column
        physical["region"] = region
        return physical, None
    # About the release as a whole (or a step with no place of its own): the top of
    # the manifest, since code scanning refuses a result without a file.
    physical = {"artifactLocation": {"uri": uri_reference((base or "") + (manifest or "."))}}
    if manifest is not None:
        physical["region"] = {"startLine": 1}
    return physical, None


def _result(f: Finding, rule_index: int, manifest: str | None,
            base: str | None, archive: ArchivePlace | None) -> dict[str, Any]:
    loc = f.location
    physical, inside = _physical(loc, manifest, base, archive)
    text = f.message
    if inside is not None and archive is not None:
        text = f"{text} (at {inside} in {archive.given})"
    if f.hint:
        text = f"{text} (hint: {f.hint})"
    result: dict[str, Any] = {
        "ruleId": f.code,
        "ruleIndex": rule_index,
        "level": _LEVELS[f.severity],
        "message": {"text": text},
    }
    location: dict[str, Any] = {"physicalLocation": physical}
    logical = [{"name": name, "kind": kind}
               for name, kind in ((f.artifact, "artifact"), (f.step, "step"),
                                  (f.upstream, "upstream")) if name]
    if logical:
        location["logicalLocations"] = logical
    result["locations"] = [location]
    # Stable across runs and line moves: what the finding is about, not where it sits.
    identity = "\x1f".join([f.code, f.artifact or "", f.step or "", f.upstream or "",
                            loc.pointer or "" if loc is not None else "", f.message])
    result["partialFingerprints"] = {
        FINGERPRINT: hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()}
    props: dict[str, Any] = {"severity": f.severity.value}
    for key in ("artifact", "step", "upstream"):
        value = getattr(f, key)
        if value is not None:
            props[key] = value
    if loc is not None and loc.pointer is not None:
        props["pointer"] = loc.pointer
    if manifest is not None:
        props["manifest"] = manifest
    if f.data:
        props["data"] = f.data
    result["properties"] = props
    return result


def to_sarif(report: Report, *, base: str | None = None,
             archive: ArchivePlace | None = None) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log (a dict ready for ``json.dumps``).

    Places in the release are given relative to the release folder; with ``base`` (that
    folder's path from the working directory, e.g. ``releases/model/``, or an absolute
    path) every one of them is given from the working directory instead, which
    code-scanning services resolve against the repository root. With ``archive`` (the
    path of the archive the release was read from) every place in the release is given
    as that archive. Paths the user named (a trust policy, a release that could not be
    read) are kept as they were given.
    """
    findings = report.sorted_findings()
    codes = sorted({f.code for f in findings})
    index = {code: i for i, code in enumerate(codes)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "rebuildable",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_rule(c) for c in codes],
            }
        },
        "columnKind": "unicodeCodePoints",
        "invocations": [{"executionSuccessful": not report.fatal}],
        "results": [_result(f, index[f.code], report.release.manifest, base, archive)
                    for f in findings],
        "properties": {
            "release": report.release.to_dict(),
            "ok": report.ok,
            "strict": report.strict,
            "counts": report.counts,
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(report: Report, *, color: bool = False, base: str | None = None,
                 archive: ArchivePlace | None = None) -> str:
    return dumps(to_sarif(report, base=base, archive=archive))
