"""SARIF 2.1.0 output, for code-scanning dashboards (GitHub, GitLab, Azure DevOps).

One rule per finding code that occurs (``ruleId`` = the code, ``shortDescription`` =
the registry's title, ``helpUri`` = the code's entry in ``spec/codes.md``); one
result per finding, located in the manifest (line and column) whenever the finding
has a location.
"""

from __future__ import annotations

import hashlib
from typing import Any

from rebuildable._version import __version__
from rebuildable.codes import CODES
from rebuildable.findings import Finding, Severity
from rebuildable.render._jsonsafe import dumps
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
    rule: dict[str, Any] = {
        "id": code,
        "name": "".join(part.capitalize() for part in code.replace(".", "-").split("-")),
        "shortDescription": {"text": spec.title},
        "helpUri": help_uri(code),
        "defaultConfiguration": {"level": _LEVELS[Severity(spec.severity)]},
    }
    if spec.hint:
        rule["help"] = {"text": spec.hint}
    return rule


def _result(f: Finding, rule_index: int, manifest: str | None,
            base: str | None) -> dict[str, Any]:
    text = f.message if not f.hint else f"{f.message} (hint: {f.hint})"
    result: dict[str, Any] = {
        "ruleId": f.code,
        "ruleIndex": rule_index,
        "level": _LEVELS[f.severity],
        "message": {"text": text},
    }
    location: dict[str, Any] = {}
    loc = f.location
    if loc is not None:
        uri = loc.file
        if base and manifest is not None and loc.file == manifest:
            uri = base + loc.file
        physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
        if loc.line is not None:
            region: dict[str, Any] = {"startLine": loc.line}
            if loc.column is not None:
                region["startColumn"] = loc.column
            physical["region"] = region
        location["physicalLocation"] = physical
    logical = [{"name": name, "kind": kind}
               for name, kind in ((f.artifact, "artifact"), (f.step, "step"),
                                  (f.upstream, "upstream")) if name]
    if logical:
        location["logicalLocations"] = logical
    if location:
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


def to_sarif(report: Report, *, base: str | None = None) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log (a dict ready for ``json.dumps``).

    Locations in the manifest are given relative to the release folder; with ``base``
    (that folder's path from the working directory, e.g. ``releases/model/``) they are
    given from the working directory instead, which code-scanning services resolve
    against the repository root.
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
        "results": [_result(f, index[f.code], report.release.manifest, base)
                    for f in findings],
        "properties": {
            "release": report.release.to_dict(),
            "ok": report.ok,
            "strict": report.strict,
            "counts": report.counts,
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(report: Report, *, color: bool = False, base: str | None = None) -> str:
    return dumps(to_sarif(report, base=base))
