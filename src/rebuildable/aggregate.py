"""A report that stays readable at any size (spec/manifest.md [REP-5]).

Unless the caller asks for ``detail``, the report of a release is summarised when it is
built:

* informational findings that repeat (the same code and the same message once names,
  parenthesised text and numbers are set aside) are folded into one finding per group when
  a group holds more than :data:`MAX_SIMILAR` of them: the first finding of the group,
  its count and a bounded list of examples. Errors and warnings are never folded;
* the report sections that hold one entry per artifact list at most :data:`MAX_LISTED`
  entries; the top-level ``omitted`` object says how many each one left out.

A release of 10,000 unlicensed files otherwise gets 10,000 ``openness.not-open`` infos and
two 10,000-entry sections: a 12 MB report that takes longer to encode than to hash.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from rebuildable.findings import Finding, Severity
from rebuildable.sections import C2pa, Formats, Section, Verdicts

__all__ = ["MAX_EXAMPLES", "MAX_LISTED", "MAX_SIMILAR", "Omitted", "bound_sections",
           "fold_findings", "shape"]

#: a group of more alike informational findings than this is folded into one
MAX_SIMILAR = 20
#: how many findings of a folded group its one finding keeps as examples
MAX_EXAMPLES = 10
#: how many entries a per-artifact section lists
MAX_LISTED = 100
# What varies between alike messages: quoted names, parenthesised text, numbers.
_VARYING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|\([^()]*\)|\d+")


def shape(message: str) -> str:
    """``message`` with what varies between alike findings set aside."""
    return _VARYING.sub("_", message)


def fold_findings(findings: Sequence[Finding]) -> list[Finding]:
    """``findings`` with each large group of alike infos folded into its first finding."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, f in enumerate(findings):
        if f.severity is Severity.INFO:
            groups.setdefault((f.code, shape(f.message)), []).append(i)
    folded: dict[int, Finding] = {}
    dropped: set[int] = set()
    for members in groups.values():
        if len(members) <= MAX_SIMILAR:
            continue
        folded[members[0]] = _fold([findings[i] for i in members])
        dropped.update(members[1:])
    if not folded:
        return list(findings)
    return [folded.get(i, f) for i, f in enumerate(findings) if i not in dropped]


def _fold(group: Sequence[Finding]) -> Finding:
    first = group[0]
    more = len(group) - 1
    return Finding(
        code=first.code, severity=Severity.INFO,
        message=f"{first.message} (and {more} more like it)",
        hint=first.hint,
        data={"count": len(group),
              "examples": [f.to_dict() for f in group[:MAX_EXAMPLES]]},
    )


@dataclass
class Omitted:
    """The report's ``omitted`` object: how many entries each bounded section left out,
    by the section's JSON pointer in the report."""

    NAME: ClassVar[str] = "omitted"

    counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.counts)


def _first(entries: dict[str, Any], pointer: str, omitted: dict[str, int]) -> dict[str, Any]:
    if len(entries) <= MAX_LISTED:
        return entries
    omitted[pointer] = len(entries) - MAX_LISTED
    return dict(list(entries.items())[:MAX_LISTED])


def bound_sections(sections: Mapping[str, Section]) -> dict[str, Section]:
    """A copy of ``sections`` whose per-artifact parts list at most :data:`MAX_LISTED`
    entries (the first ones), with an :class:`Omitted` section when any were left out.
    ``sections`` itself (the engine's state) is not changed."""
    out = dict(sections)
    omitted: dict[str, int] = {}
    formats = out.get(Formats.NAME)
    if isinstance(formats, Formats):
        out[Formats.NAME] = replace(
            formats, artifacts=_first(formats.artifacts, "/formats", omitted))
    c2pa = out.get(C2pa.NAME)
    if isinstance(c2pa, C2pa):
        out[C2pa.NAME] = replace(c2pa, artifacts=_first(c2pa.artifacts, "/c2pa", omitted))
    verdicts = out.get(Verdicts.NAME)
    if isinstance(verdicts, Verdicts):
        listed = _first(verdicts.open_source.artifacts, "/verdicts/open-source/artifacts",
                        omitted)
        out[Verdicts.NAME] = replace(
            verdicts, open_source=replace(verdicts.open_source, artifacts=listed))
    if omitted:
        out[Omitted.NAME] = Omitted(omitted)
    return out
