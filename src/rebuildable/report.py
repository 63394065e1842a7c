"""The report: what a validation (or rebuild) found, as data. Renderers live in
:mod:`rebuildable.render`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from rebuildable._version import __version__
from rebuildable.findings import Finding, Severity
from rebuildable.sections import Section

S = TypeVar("S", bound=Section)

REPORT_FORMAT = "rebuildable-report/0.1"


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    name: str | None
    version: str | None
    manifest: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "manifest": self.manifest}


@dataclass
class Report:
    release: ReleaseInfo
    findings: list[Finding] = field(default_factory=list)
    strict: bool = False
    #: True when the input could not be read at all (CLI exit code 2)
    fatal: bool = False
    #: further sections keyed by name ("verdicts", "signatures", "rebuild", ...), typed
    #: in :mod:`rebuildable.sections`; each is described in report.schema.json
    sections: dict[str, Section] = field(default_factory=dict)

    def section(self, kind: type[S]) -> S | None:
        """The section of type ``kind`` (``report.section(Verdicts)``), or None."""
        value = self.sections.get(kind.NAME)
        return value if isinstance(value, kind) else None

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    @property
    def counts(self) -> dict[str, int]:
        return {s.value: self.count(s) for s in Severity}

    @property
    def ok(self) -> bool:
        if self.count(Severity.ERROR):
            return False
        return not (self.strict and self.count(Severity.WARNING))

    def sorted_findings(self) -> list[Finding]:
        """Findings in a stable order: by severity, then manifest position, then code."""

        def key(f: Finding) -> tuple[int, int, int, str, str]:
            loc = f.location
            return (f.severity.rank, loc.line or 0 if loc else 0, loc.column or 0 if loc else 0,
                    f.code, f.message)

        return sorted(self.findings, key=key)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "report": REPORT_FORMAT,
            "tool": {"name": "rebuildable", "version": __version__},
            "release": self.release.to_dict(),
            "ok": self.ok,
            "strict": self.strict,
            "counts": self.counts,
            "findings": [f.to_dict() for f in self.sorted_findings()],
        }
        out.update((name, section.to_dict()) for name, section in self.sections.items())
        return out
