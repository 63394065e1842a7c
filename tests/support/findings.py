"""The one way tests read finding codes out of a report.

It imports nothing of rebuildable at run time, so that a vector generator may use
``tests.support`` without loading the implementation it writes vectors for.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rebuildable.findings import Finding, Severity
    from rebuildable.report import Report

__all__ = ["PROBLEMS", "codes"]

#: the severities that make a report fail (with --strict): what most tests look at
PROBLEMS = ("error", "warning")


def codes(source: Report | Iterable[Finding], *severities: Severity | str,
          prefix: str = "") -> list[str]:
    """The codes of ``source``'s findings, sorted, one entry per finding.

    Keeping one entry per finding lets a test say "exactly one"; wrap in ``set()`` to ask
    only which codes occur. ``severities`` keeps only findings of those severities (all when
    none are given, e.g. ``codes(report, *PROBLEMS)``); ``prefix`` keeps only codes starting
    with it (``"integrity."``).
    """
    findings: Iterable[Finding] = (source.findings if hasattr(source, "findings")
                                   else source)
    wanted = {str(s) for s in severities}
    return sorted(f.code for f in findings
                  if (not wanted or str(f.severity) in wanted) and f.code.startswith(prefix))
