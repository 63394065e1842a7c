"""A report that stays readable at any size (spec/manifest.md [REP-5], [REP-6]).

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
from typing import Any

from rebuildable.findings import Finding, Severity

__all__ = ["MAX_EXAMPLES", "MAX_LISTED", "MAX_SIMILAR", "OMITTED", "PER_ARTIFACT",
           "bound_sections", "fold_findings", "shape"]

#: a group of more alike informational findings than this is folded into one
MAX_SIMILAR = 20
#: how many findings of a folded group its one finding keeps as examples
MAX_EXAMPLES = 10
#: how many entries a per-artifact section lists
MAX_LISTED = 100
#: the top-level report key saying what the bounded sections left out
OMITTED = "omitted"
#: the per-artifact sections, as paths of keys from the top of the report
PER_ARTIFACT: tuple[tuple[str, ...], ...] = (("formats",), ("verdicts", "open-source",
                                                             "artifacts"))

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


def bound_sections(sections: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``sections`` whose per-artifact objects list at most :data:`MAX_LISTED`
    entries (the first ones), with an ``omitted`` entry (JSON pointer -> how many entries
    were left out) when any were. ``sections`` itself is not changed."""
    out = dict(sections)
    omitted: dict[str, int] = {}
    for keys in PER_ARTIFACT:
        parents: list[dict[str, Any]] = [out]
        for key in keys[:-1]:
            inner = parents[-1].get(key)
            if not isinstance(inner, dict):
                break
            parents.append(dict(inner))
        else:
            listed = parents[-1].get(keys[-1])
            if isinstance(listed, dict) and len(listed) > MAX_LISTED:
                kept = dict(list(listed.items())[:MAX_LISTED])
                omitted["/" + "/".join(keys)] = len(listed) - MAX_LISTED
                parents[-1][keys[-1]] = kept
                # Re-link the copied parents so the caller's nested dicts stay unchanged.
                for parent, key, child in zip(parents, keys, parents[1:], strict=False):
                    parent[key] = child
    if omitted:
        out[OMITTED] = omitted
    return out
