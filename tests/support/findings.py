"""The one way tests read finding codes out of a report."""

from __future__ import annotations

from collections.abc import Iterable

from rebuildable.findings import Finding, Severity
from rebuildable.report import Report

__all__ = ["PROBLEMS", "codes"]

#: the severities that make a report fail (with --strict): what most tests look at
PROBLEMS = (Severity.ERROR, Severity.WARNING)


def codes(source: Report | Iterable[Finding], *severities: Severity | str,
          prefix: str = "") -> list[str]:
    """The codes of ``source``'s findings, sorted, one entry per finding.

    Keeping one entry per finding lets a test say "exactly one"; wrap in ``set()`` to ask
    only which codes occur. ``severities`` keeps only findings of those severities (all when
    none are given, e.g. ``codes(report, *PROBLEMS)``); ``prefix`` keeps only codes starting
    with it (``"integrity."``).
    """
    findings = source.findings if isinstance(source, Report) else source
    wanted = {Severity(s) for s in severities}
    return sorted(f.code for f in findings
                  if (not wanted or f.severity in wanted) and f.code.startswith(prefix))
